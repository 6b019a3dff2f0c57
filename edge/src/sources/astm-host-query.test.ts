// The ASTM host query over a real pseudo-terminal (socat): the analyzer reads a tube, asks the
// gateway (Q), the gateway answers on the same line with the pending order (P, O) or "no
// information" (L|1|I), the analyzer runs exactly the ordered tests and sends their results,
// which reach the real durable stage. Line contention: the analyzer's ENQ wins over the gateway's.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import type { LabResult } from '@neva/contracts'
import { AstmReceiver, AstmSender, astmOrdersOf, encodeAstmMessage, encodeAstmQuery, frameAstmMessage, labCodeTable, type AstmOrderAnswer } from '@neva/firmware-adapters'
import { DurableStage } from '../outbox/durable-stage.js'
import type { Log } from '../log.js'
import { createEdgeMetrics } from '../metrics.js'
import { SqliteOutbox } from '../outbox/sqlite-outbox.js'
import { TriageStage } from '../triage/triage-stage.js'
import { astmProtocol } from './astm-protocol.js'
import { DeviceRegistry } from './devices.js'
import { SerialSource } from './serial-source.js'
import { ptyPair, until } from '../../test/pty.js'

const log: Log = () => {}
const ENQ = 0x05

async function gateway(path: string, worklist: Map<string, AstmOrderAnswer>) {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-hq-'))
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), gatewayId: 'gw-lab' })
  const devices = new DeviceRegistry()
  const durable = new DurableStage(outbox, new TriageStage({ outbox, log }), createEdgeMetrics(outbox), log, devices)
  const source = new SerialSource({
    path, baudRate: 9600, deviceId: 'chem-1', source: 'astm', next: durable, devices, log, retryMinMs: 50, retryMaxMs: 250,
    protocol: astmProtocol({ deviceId: 'chem-1', labCodes: labCodeTable(), defaultUtcOffsetMinutes: 0, hostQuery: { lookup: (s) => worklist.get(s) } }),
  })
  await source.start()
  return {
    async results(): Promise<LabResult[]> {
      const out: LabResult[] = []
      for (let b = await outbox.nextBatch(10_000); b; b = await outbox.nextBatch(10_000)) {
        out.push(...b.labResults)
        await outbox.ack(b.id)
      }
      return out
    },
    async close() {
      await source.stop()
      await durable.settle()
      await outbox.close()
    },
  }
}

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

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
  port.on('error', () => {})
  return port
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
  write([0x04]) // EOT: the line is neutral, the gateway wants to send its answer
  await until('the gateway\'s ENQ', () => replies.slice(before).includes(ENQ))
  // The analyzer sends ENQ too instead of answering: it has priority.
  const n = replies.length
  write([ENQ])
  await until('the gateway yields and ACKs the analyzer', () => replies.length > n)
  assert.equal(replies[n], 0x06, 'ACK: the gateway became the receiver')
  // The analyzer sends an empty message end and EOT; the gateway tries again only after its 20 s wait.
  write([0x04])
  await port.close()
  await gw.close()
  await pair.stop()
})
