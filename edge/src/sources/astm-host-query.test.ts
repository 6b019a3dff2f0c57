// The ASTM host query over a real pseudo-terminal (socat): the analyzer reads a tube, asks the
// gateway (Q), the gateway answers on the same line with the pending order (P, O) or "no
// information" (L|1|I), the analyzer runs exactly the ordered tests and sends their results,
// which reach the real durable stage. Line contention: the analyzer's ENQ wins over the gateway's.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SerialPort } from 'serialport'
import { AstmReceiver, AstmSender, astmOrdersOf, encodeAstmMessage, encodeAstmQuery, frameAstmMessage, type AstmOrderAnswer } from '@neva/firmware-adapters'
import { openPort, ptyPair, until } from '../../test/pty.js'
import { ACK, astmGateway, ENQ, EOT } from '../../test/astm-pty.js'

const gateway = (path: string, worklist: Map<string, AstmOrderAnswer>) => astmGateway(path, { protocol: { hostQuery: { lookup: (s) => worklist.get(s) } } })

/**
 * A query-mode analyzer: the E1381 instrument's sender for its own messages, a receiver for the
 * host's; bytes go to the sender while it is in a transfer, else to the receiver.
 */
class QueryAnalyzer {
  readonly sender = new AstmSender({ contentionRetryMs: 200 })
  readonly receiver = new AstmReceiver()
  readonly fromHost: Uint8Array[] = []
  readonly delivered: string[] = []
  private timer: NodeJS.Timeout
  constructor(readonly port: SerialPort) {
    port.on('data', (b: Buffer) => this.receive(b))
    this.timer = setInterval(() => {
      if (this.receiver.state === 'idle') this.out(this.sender.tick(Date.now()))
      this.in(this.receiver.tick(Date.now()))
    }, 20)
  }
  private receive(b: Uint8Array) {
    const s = this.sender.state
    if (s === 'establishing' || s === 'transferring') this.out(this.sender.receive(b, Date.now()))
    else this.in(this.receiver.receive(b, Date.now()))
  }
  private out(o: ReturnType<AstmSender['tick']>) {
    this.delivered.push(...o.delivered)
    for (const w of o.write) this.port.write(Buffer.from(w))
  }
  private in(o: ReturnType<AstmReceiver['tick']>) {
    for (const w of o.write) this.port.write(Buffer.from(w))
    for (const m of o.messages) {
      this.fromHost.push(m.bytes)
      this.in(this.receiver.ack(m.id, true, Date.now()))
    }
  }
  send(id: string, text: string) {
    this.out(this.sender.enqueue({ id, frames: frameAstmMessage(text) }, Date.now()))
  }
  async close() {
    clearInterval(this.timer)
    await new Promise<void>((r) => this.port.close(() => r()))
  }
}

const VALUES: Record<string, string> = { GLU: '5.4', K: '4.1', NA: '139', CRP: '3' }

test('host query: the pending order is answered on the line, the analyzer runs exactly its tests, the results are stored', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-hq-pty-'))
  const pair = await ptyPair(dir)
  const worklist = new Map<string, AstmOrderAnswer>([['SP-100', { patient_id: 'MRN-7', specimen_id: 'SP-100', tests: ['GLU', 'K'], priority: 'stat' }]])
  const gw = await gateway(pair.b, worklist)
  const analyzer = new QueryAnalyzer(await openPort(pair.a))
  const asked = Date.now()
  analyzer.send('q-1', encodeAstmQuery(['SP-100'], asked))
  await until('the host\'s answer', () => analyzer.fromHost.length === 1, 20_000, () => [analyzer.sender.state, analyzer.receiver.state])
  const answeredInMs = Date.now() - asked
  const [order] = astmOrdersOf(analyzer.fromHost[0]!)
  assert.deepEqual(order, { patient_id: 'MRN-7', specimen_id: 'SP-100', tests: ['GLU', 'K'], priority: 'S' })
  // The analyzer runs what was ordered, nothing else.
  analyzer.send('r-1', encodeAstmMessage({ time: Date.now(), patients: [{ patient_id: order!.patient_id, orders: [{ order_id: order!.specimen_id, results: order!.tests.map((t) => ({ test_code: t, value: VALUES[t]!, unit: 'mmol/L', result_time: Date.now() })) }] }] }))
  await until('the results acknowledged', () => analyzer.delivered.includes('r-1'))
  const results = await gw.results()
  assert.deepEqual(results.map((r) => [r.order_id, r.patient_id, r.test_code]).sort(), [['SP-100', 'MRN-7', 'GLU'], ['SP-100', 'MRN-7', 'K']])
  process.stdout.write(`# host query answered in ${answeredInMs} ms over the pty (E1381 reply timeout 15000 ms)\n`)

  // A tube the host has no order for: "no information".
  analyzer.send('q-2', encodeAstmQuery(['SP-UNKNOWN'], Date.now()))
  await until('the second answer', () => analyzer.fromHost.length === 2)
  const records = new TextDecoder().decode(analyzer.fromHost[1]!).split('\r').filter(Boolean)
  assert.equal(records.at(-1), 'L|1|I')
  assert.deepEqual(astmOrdersOf(analyzer.fromHost[1]!), [])
  await analyzer.close()
  await gw.close()
  await pair.stop()
})

test('contention: when the analyzer sends ENQ as the gateway does, the analyzer wins and the gateway answers later', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-hq-pty-'))
  const pair = await ptyPair(dir)
  const worklist = new Map<string, AstmOrderAnswer>([['SP-200', { patient_id: 'MRN-8', specimen_id: 'SP-200', tests: ['NA'], priority: 'routine' }]])
  const gw = await gateway(pair.b, worklist)
  const port = await openPort(pair.a)
  const replies: number[] = []
  port.on('data', (b: Buffer) => replies.push(...b))
  // The query by hand, so the test holds the line at the moment the gateway wants to answer.
  const frames = frameAstmMessage(encodeAstmQuery(['SP-200'], Date.now()))
  const write = (b: Uint8Array | number[]) => port.write(Buffer.from(b))
  write([ENQ])
  await until('ACK to ENQ', () => replies.length >= 1)
  for (const f of frames) {
    const n = replies.length
    write(f)
    await until('ACK to frame', () => replies.length > n)
  }
  const before = replies.length
  write([EOT]) // the line is neutral, the gateway wants to send its answer
  await until('the gateway\'s ENQ', () => replies.slice(before).includes(ENQ))
  // The analyzer sends ENQ too instead of answering: it has priority.
  const n = replies.length
  write([ENQ])
  await until('the gateway yields and ACKs the analyzer', () => replies.length > n)
  assert.equal(replies[n], ACK, 'ACK: the gateway became the receiver')
  // The analyzer sends an empty message end and EOT; the gateway tries again only after its 20 s wait.
  write([EOT])
  await port.close()
  await gw.close()
  await pair.stop()
})
