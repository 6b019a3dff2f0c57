// A simulated lab analyzer on a serial port (a socat pseudo-terminal in tests), in host-query
// mode (it reads a tube, asks the host for the tube's order with an ASTM Q, runs exactly the tests
// the host answered with and sends their results) or taking downloads (the host sends orders
// unprompted, O-26 O; it runs each once, and a specimen it already ran is not run again). E1381 both ways: its own sender for its messages (the
// instrument has priority on contention), a receiver for the host's, bytes routed to the sender
// while it is in a transfer.
import { SerialPort } from 'serialport'
import { AstmReceiver, AstmSender, astmHostMessageKind, astmOrdersOf, encodeAstmMessage, encodeAstmQuery, frameAstmMessage } from '@neva/firmware-adapters'

export interface AnalyzerOrder {
  patient_id: string
  specimen_id: string
  tests: string[]
  priority: string
}

/** What the simulated analyzer measures for a test (a plausible value; tests may pass their own). */
export type TestValue = (testCode: string, specimenId: string) => { value: string; unit: string }

const DEFAULT_VALUE: TestValue = (code) => ({ value: String(4 + (code.length % 5)), unit: 'mmol/L' })

export class LabAnalyzerSim {
  private readonly sender = new AstmSender({ contentionRetryMs: 1000 })
  private readonly receiver = new AstmReceiver()
  /** The host's answers to queries. */
  private readonly fromHost: Uint8Array[] = []
  /** Orders downloaded to it, in the order they came; `ran` holds the specimens it ran. */
  readonly downloaded: AnalyzerOrder[] = []
  readonly ran = new Set<string>()
  private runDownloads: { value: TestValue } | undefined
  private readonly delivered = new Set<string>()
  /** Result messages the host acknowledged. */
  resultsSent = 0
  private readonly toSend: Array<{ id: string; frames: Uint8Array[] }> = []
  private timer: NodeJS.Timeout | undefined
  private next = 0

  private constructor(private readonly port: SerialPort) {
    port.on('data', (b: Buffer) => this.receive(b))
    port.on('error', () => {})
    this.timer = setInterval(() => {
      // E1381: it asks for the line (ENQ) only when the line is neutral, never while the host sends.
      if (this.receiver.state === 'idle') {
        const next = this.toSend.shift()
        this.out(next ? this.sender.enqueue(next, Date.now()) : this.sender.tick(Date.now()))
      }
      this.in(this.receiver.tick(Date.now()))
    }, 20)
  }

  static async open(path: string, baudRate = 9600): Promise<LabAnalyzerSim> {
    const port = new SerialPort({ path, baudRate, autoOpen: false })
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
    return new LabAnalyzerSim(port)
  }

  /**
   * Runs every order downloaded to it from now on (once per specimen), sending its results as it
   * goes; results are queued behind each other on the line like a real instrument's.
   */
  takeDownloads(value: TestValue = DEFAULT_VALUE): void {
    this.runDownloads = { value }
  }

  /** Asks the host for a tube's order; resolves with the orders in its answer ([] for "no information"). */
  async ask(specimenId: string, timeoutMs = 15_000): Promise<AnalyzerOrder[]> {
    const answers = this.fromHost.length
    await this.send(encodeAstmQuery([specimenId], Date.now()), timeoutMs)
    await this.until(() => this.fromHost.length > answers, timeoutMs, 'the host answered the query')
    return astmOrdersOf(this.fromHost[answers]!)
  }

  /** Runs exactly the order's tests and sends their results; resolves once the host acknowledged them. */
  async run(order: AnalyzerOrder, value: TestValue = DEFAULT_VALUE, timeoutMs = 15_000): Promise<void> {
    const now = Date.now()
    const results = order.tests.map((t) => ({ test_code: t, ...value(t, order.specimen_id), result_time: now }))
    await this.send(encodeAstmMessage({ time: now, patients: [{ patient_id: order.patient_id || null, orders: [{ order_id: order.specimen_id, results }] }] }), timeoutMs)
    this.resultsSent++
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    if (this.port.isOpen) await new Promise<void>((r) => this.port.close(() => r()))
  }

  private async send(text: string, timeoutMs: number): Promise<void> {
    const id = `m-${++this.next}`
    this.toSend.push({ id, frames: frameAstmMessage(text) })
    await this.until(() => this.delivered.has(id), timeoutMs, `message ${id} acknowledged`)
  }

  private receive(b: Uint8Array): void {
    const s = this.sender.state
    if (s === 'establishing' || s === 'transferring') this.out(this.sender.receive(b, Date.now()))
    else this.in(this.receiver.receive(b, Date.now()))
  }

  private out(o: ReturnType<AstmSender['tick']>): void {
    for (const id of o.delivered) this.delivered.add(id)
    for (const w of o.write) this.port.write(Buffer.from(w))
  }

  private in(o: ReturnType<AstmReceiver['tick']>): void {
    for (const w of o.write) this.port.write(Buffer.from(w))
    for (const m of o.messages) {
      if (astmHostMessageKind(m.bytes) === 'download') this.download(m.bytes)
      else this.fromHost.push(m.bytes)
      this.in(this.receiver.ack(m.id, true, Date.now()))
    }
  }

  private download(message: Uint8Array): void {
    for (const order of astmOrdersOf(message)) {
      this.downloaded.push(order)
      if (!this.runDownloads || this.ran.has(order.specimen_id)) continue
      this.ran.add(order.specimen_id)
      this.run(order, this.runDownloads.value, 600_000).catch(() => {})
    }
  }

  private async until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`simulated analyzer: timed out waiting until ${what}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }
}
