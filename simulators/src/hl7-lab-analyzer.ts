// A simulated analyzer (or lab middleware) that takes orders as HL7 v2 over MLLP: it listens, as
// order-taking MLLP peers do, for the gateway's OML^O21 / ORM^O01, answers each with an original-
// mode ACK (AA; AR with an ERR naming what was wrong for a malformed order), runs exactly the
// tests it received once per specimen, and sends their results as ORU^R01 to the gateway's MLLP
// listener (encodeLabResultOru: placer/filler numbers, OBX with lab code + LOINC, unit, reference
// range, abnormal flag).
//
// Results leave one message at a time, each until its ACK:
//   queued ──sent──► in flight ──AA──► done      ──AR──► rejected (not resent)
//                       │ ──AE, no ACK in ackTimeoutMs, connection lost──► resent (same MSH-10)
import { connect, createServer, type Server, type Socket } from 'node:net'
import { FirmwareErrorCode, MllpDeframer, buildAck, decodeHl7LabOrders, encodeLabResultOru, mllpFrame, parseHl7, type Hl7LabOrder, type LabResultOruTest } from '@neva/firmware-adapters'

export interface Hl7LabAnalyzerOptions {
  /** MSH-3 of its results and OBX-18. */
  deviceId: string
  /** The gateway's MLLP listener, where results go (or later, sendResultsTo). */
  resultsHost?: string
  resultsPort?: number
  /** What it measures for a test; default a plausible adult value (HL7_LAB_VALUES). */
  value?: (labCode: string, specimenId: string) => Omit<LabResultOruTest, 'lab_code' | 'loinc'>
  /** Real time from an order to its results. Default 50 ms. */
  runMs?: number
  ackTimeoutMs?: number
}

export interface Hl7LabAnalyzerStats {
  /** Order messages received, and answered AA / AR. */
  orderMessages: number
  accepted: number
  rejected: number
  /** A message already answered (same MSH-10) received again: answered, not run again. */
  repeats: number
  /** Result messages sent the first time, resent, and acknowledged AA. */
  resultsSent: number
  resultsResent: number
  resultsAcked: number
  resultsRejected: number
}

/** Illustrative adult values (not a clinical reference): the value, UCUM unit and range it sends. */
export const HL7_LAB_VALUES: Readonly<Record<string, { value: number; unit: string; low: number; high: number }>> = {
  GLU: { value: 5.4, unit: 'mmol/L', low: 3.9, high: 7.8 },
  K: { value: 4.2, unit: 'mmol/L', low: 3.5, high: 5.1 },
  NA: { value: 139, unit: 'mmol/L', low: 135, high: 145 },
  CREA: { value: 82, unit: 'umol/L', low: 59, high: 104 },
  CRP: { value: 12, unit: 'mg/L', low: 0, high: 5 },
  WBC: { value: 7.1, unit: '10*9/L', low: 4, high: 11 },
  HGB: { value: 138, unit: 'g/L', low: 130, high: 170 },
  PLT: { value: 250, unit: '10*9/L', low: 150, high: 400 },
}

const defaultValue = (code: string): Omit<LabResultOruTest, 'lab_code' | 'loinc'> => {
  const v = HL7_LAB_VALUES[code] ?? { value: 1, unit: '1', low: 0, high: 2 }
  const flag = v.value < v.low ? 'L' : v.value > v.high ? 'H' : 'N'
  return { value: v.value, unit: v.unit, referenceRange: `${v.low}-${v.high}`, abnormalFlag: flag }
}

/** Problems that make an order message unusable: it is refused whole (AR). */
const REFUSING = new Set<string>([FirmwareErrorCode.NEVA_HL7V2_NOT_AN_ORDER, FirmwareErrorCode.NEVA_HL7V2_ORDER_NO_SPECIMEN, FirmwareErrorCode.NEVA_HL7V2_ORDER_NO_TEST])

export class Hl7LabAnalyzerSim {
  readonly stats: Hl7LabAnalyzerStats = { orderMessages: 0, accepted: 0, rejected: 0, repeats: 0, resultsSent: 0, resultsResent: 0, resultsAcked: 0, resultsRejected: 0 }
  /** Orders received and accepted, in arrival order; `ran` the specimens it ran. */
  readonly received: Hl7LabOrder[] = []
  readonly ran = new Set<string>()
  /** Why each refused message was refused (MSA-3). */
  readonly refusals: string[] = []
  private readonly answered = new Map<string, string>()
  private readonly peers = new Set<Socket>()
  private readonly queue: Array<{ controlId: string; text: string }> = []
  private inFlight: { controlId: string; text: string; sentAt: number } | undefined
  private results: Socket | undefined
  private readonly timer: NodeJS.Timeout
  private next = 0
  private closed = false

  private constructor(private readonly server: Server, private readonly o: Hl7LabAnalyzerOptions) {
    this.o = { ...o }
    server.on('connection', (s) => this.accept(s))
    this.timer = setInterval(() => this.tick(), 20)
  }

  /** Listens for orders on loopback (port 0 by default); `port` is where the gateway sends them. */
  static async start(o: Hl7LabAnalyzerOptions, port = 0): Promise<Hl7LabAnalyzerSim> {
    const server = createServer()
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()))
    return new Hl7LabAnalyzerSim(server, o)
  }

  get deviceId(): string {
    return this.o.deviceId
  }

  get port(): number {
    const a = this.server.address()
    return typeof a === 'object' && a ? a.port : 0
  }

  /** Where results go, for a listener that starts after the analyzer (its port known then). */
  sendResultsTo(host: string, port: number): void {
    this.o.resultsHost = host
    this.o.resultsPort = port
  }

  /** Result messages not yet acknowledged, the one in flight included. */
  get pendingResults(): number {
    return this.queue.length + (this.inFlight ? 1 : 0)
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    for (const p of this.peers) p.destroy()
    this.results?.destroy()
    await new Promise<void>((r) => this.server.close(() => r()))
  }

  private accept(socket: Socket): void {
    this.peers.add(socket)
    const deframer = new MllpDeframer()
    socket.on('data', (b: Buffer) => {
      for (const m of deframer.push(b).messages) socket.write(mllpFrame(this.order(m)))
    })
    socket.on('error', () => {})
    socket.on('close', () => this.peers.delete(socket))
  }

  /** One order message: its ACK, and the run of its orders. */
  private order(message: Uint8Array): string {
    this.stats.orderMessages++
    const decoded = decodeHl7LabOrders(message)
    const msg = parseHl7(message).message
    // HL7 v2 §2.10.1: a message seen before (same MSH-10) gets the same answer, not a second run.
    const seen = decoded.controlId === '' ? undefined : this.answered.get(decoded.controlId)
    if (seen !== undefined) {
      this.stats.repeats++
      return seen
    }
    const refusal = decoded.problems.find((p) => REFUSING.has(p.code)) ?? (decoded.orders.length === 0 ? decoded.problems[0] : undefined)
    let ack: string
    if (refusal || decoded.orders.length === 0) {
      this.stats.rejected++
      const reason = refusal ? `${refusal.code}: ${refusal.reason}` : 'the message holds no order'
      this.refusals.push(reason)
      ack = buildAck(msg ?? message, 'AR', reason, { time: Date.now(), application: this.o.deviceId, error: refusal?.code ?? FirmwareErrorCode.NEVA_HL7V2_ORDER_NO_TEST })
    } else {
      this.stats.accepted++
      ack = buildAck(msg ?? message, 'AA', undefined, { time: Date.now(), application: this.o.deviceId })
      for (const order of decoded.orders) {
        this.received.push(order)
        // ORC-1 CA cancels: nothing to run. A specimen runs once.
        if (order.control === 'CA' || this.ran.has(order.specimen_id)) continue
        this.ran.add(order.specimen_id)
        setTimeout(() => this.run(order), this.o.runMs ?? 50).unref()
      }
    }
    if (decoded.controlId !== '') this.answered.set(decoded.controlId, ack)
    return ack
  }

  private run(order: Hl7LabOrder): void {
    if (this.closed) return
    const value = this.o.value ?? defaultValue
    const tests = order.tests.map((t) => ({ lab_code: t.lab_code ?? t.loinc!, loinc: t.loinc, ...value(t.lab_code ?? t.loinc!, order.specimen_id) }))
    const controlId = `${this.o.deviceId}-R${++this.next}`
    this.queue.push({ controlId, text: encodeLabResultOru({ controlId, time: Date.now(), sendingApplication: this.o.deviceId, receivingApplication: 'NEVA', patientId: order.patient_id, specimenId: order.specimen_id, tests }) })
  }

  private tick(): void {
    const now = Date.now()
    if (this.inFlight && now - this.inFlight.sentAt > (this.o.ackTimeoutMs ?? 10_000)) {
      // No ACK: the link may be gone; reconnect and send the same bytes again.
      this.results?.destroy()
      this.results = undefined
      this.queue.unshift(this.inFlight)
      this.inFlight = undefined
      this.stats.resultsResent++
    }
    if (this.inFlight || this.queue.length === 0 || this.o.resultsPort === undefined) return
    const socket = this.link()
    if (!socket) return
    const m = this.queue.shift()!
    this.inFlight = { ...m, sentAt: now }
    this.stats.resultsSent++
    socket.write(mllpFrame(m.text))
  }

  private link(): Socket | undefined {
    if (this.results) return this.results.readyState === 'open' ? this.results : undefined
    const socket = connect({ host: this.o.resultsHost ?? '127.0.0.1', port: this.o.resultsPort! })
    this.results = socket
    const deframer = new MllpDeframer()
    socket.on('data', (b: Buffer) => {
      for (const m of deframer.push(b).messages) this.answer(m)
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      if (this.results === socket) this.results = undefined
      if (this.inFlight) {
        this.queue.unshift(this.inFlight)
        this.inFlight = undefined
        this.stats.resultsResent++
      }
    })
    return undefined
  }

  private answer(m: Uint8Array): void {
    const msa = parseHl7(m).message?.segment('MSA')
    const f = this.inFlight
    if (!msa || !f || msa.value(2) !== f.controlId) return
    const code = msa.value(1)
    this.inFlight = undefined
    if (code === 'AA' || code === 'CA') this.stats.resultsAcked++
    else if (code === 'AR' || code === 'CR') this.stats.resultsRejected++
    else {
      this.stats.resultsResent++
      this.queue.unshift(f)
    }
  }
}
