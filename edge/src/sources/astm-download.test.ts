// ASTM download over a real pseudo-terminal (socat): the gateway sends the pending orders to the
// analyzer unprompted (O-26 O), one message per order, each delivered once; the analyzer runs
// exactly their tests and its results reach the real durable stage. Line contention (E1381): the
// analyzer's ENQ wins over the gateway's, which downloads afterwards; an order whose transfer the
// analyzer refused is offered again while it is pending.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SerialPort } from 'serialport'
import { AstmReceiver, AstmSender, astmHostMessageKind, astmOrdersOf, encodeAstmMessage, frameAstmMessage, type AstmOrderAnswer } from '@neva/firmware-adapters'
import { lookupFor, ordersFor } from './astm-download.js'
import { openPort, ptyPair, until } from '../../test/pty.js'
import { ACK, astmGateway, ENQ, EOT, NAK } from '../../test/astm-pty.js'

const gateway = (path: string, pending: () => AstmOrderAnswer[], contentionRetryMs = 300) =>
  astmGateway(path, { tickMs: 20, protocol: { download: { pending, everyMs: 50, sender: { contentionRetryMs, abortRetryMs: 100 } } } })

/** An analyzer taking downloads: a receiver for the host's orders, its sender for the results. */
class DownloadAnalyzer {
  readonly sender = new AstmSender({ contentionRetryMs: 100 })
  readonly receiver = new AstmReceiver()
  readonly orders: ReturnType<typeof astmOrdersOf> = []
  readonly kinds: string[] = []
  readonly delivered: string[] = []
  private timer: NodeJS.Timeout
  constructor(readonly port: SerialPort) {
    port.on('data', (b: Buffer) => {
      const s = this.sender.state
      if (s === 'establishing' || s === 'transferring') this.out(this.sender.receive(b, Date.now()))
      else this.in(this.receiver.receive(b, Date.now()))
    })
    this.timer = setInterval(() => {
      // The line must be neutral before it sends ENQ: never while the host is sending.
      if (this.receiver.state === 'idle') {
        const next = this.toSend.shift()
        this.out(next ? this.sender.enqueue(next, Date.now()) : this.sender.tick(Date.now()))
      }
      this.in(this.receiver.tick(Date.now()))
    }, 20)
  }
  private readonly toSend: Array<{ id: string; frames: Uint8Array[] }> = []
  private out(o: ReturnType<AstmSender['tick']>) {
    this.delivered.push(...o.delivered)
    for (const w of o.write) this.port.write(Buffer.from(w))
  }
  private in(o: ReturnType<AstmReceiver['tick']>) {
    for (const w of o.write) this.port.write(Buffer.from(w))
    for (const m of o.messages) {
      this.kinds.push(astmHostMessageKind(m.bytes))
      for (const order of astmOrdersOf(m.bytes)) {
        this.orders.push(order)
        // Runs exactly the ordered tests.
        const results = order.tests.map((t) => ({ test_code: t, value: '5', unit: 'mmol/L', result_time: Date.now() }))
        this.toSend.push({ id: `r-${order.specimen_id}`, frames: frameAstmMessage(encodeAstmMessage({ time: Date.now(), patients: [{ patient_id: order.patient_id, orders: [{ order_id: order.specimen_id, results }] }] })) })
      }
      this.in(this.receiver.ack(m.id, true, Date.now()))
    }
  }
  async close() {
    clearInterval(this.timer)
    await new Promise<void>((r) => this.port.close(() => r()))
  }
}

const ORDERS: AstmOrderAnswer[] = [
  { patient_id: 'MRN-1', specimen_id: 'SP-1', tests: ['GLU', 'K'], priority: 'stat' },
  { patient_id: 'MRN-2', specimen_id: 'SP-2', tests: ['NA'], priority: 'routine' },
  { patient_id: 'MRN-3', specimen_id: 'SP-3', tests: ['CRP', 'GLU'], priority: 'urgent' },
]

test('which orders an analyzer is sent: trimmed to the tests it runs, none when it runs none', () => {
  assert.deepEqual(ordersFor(ORDERS, undefined), ORDERS)
  assert.deepEqual(ordersFor(ORDERS, ['GLU']).map((o) => [o.specimen_id, o.tests]), [['SP-1', ['GLU']], ['SP-3', ['GLU']]])
  assert.equal(lookupFor(ORDERS[1], ['GLU']), undefined)
  assert.deepEqual(lookupFor(ORDERS[0], ['K'])?.tests, ['K'])
})

test('download: every pending order reaches the analyzer once, it runs exactly its tests, the results are stored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-dl-pty-'))
  const pair = await ptyPair(dir)
  let pending = [...ORDERS]
  const gw = await gateway(pair.b, () => pending)
  const analyzer = new DownloadAnalyzer(await openPort(pair.a))
  // Released even when an assertion fails: an open port would keep the test process alive.
  t.after(async () => {
    await analyzer.close()
    await gw.close()
    await pair.stop()
  })
  await until('three orders downloaded', () => analyzer.orders.length >= 3, 20_000, () => [analyzer.orders, analyzer.sender.state, analyzer.receiver.state, gw.devices.snapshot()])
  await until('their results acknowledged', () => analyzer.delivered.length === 3, 20_000, () => analyzer.delivered)
  assert.deepEqual(analyzer.kinds, ['download', 'download', 'download'])
  // Stat first, then urgent, then routine.
  assert.deepEqual(analyzer.orders.map((o) => [o.specimen_id, o.tests, o.priority]), [['SP-1', ['GLU', 'K'], 'S'], ['SP-3', ['CRP', 'GLU'], 'A'], ['SP-2', ['NA'], 'R']])
  // A new order is sent; those already delivered are not sent again, even while still pending.
  pending = [...ORDERS, { patient_id: 'MRN-4', specimen_id: 'SP-4', tests: ['K'], priority: 'routine' }]
  await until('the fourth order', () => analyzer.orders.length >= 4)
  await new Promise((r) => setTimeout(r, 300))
  assert.deepEqual(analyzer.orders.map((o) => o.specimen_id), ['SP-1', 'SP-3', 'SP-2', 'SP-4'])
  await until('all results acknowledged', () => analyzer.delivered.length === 4)
  const results = await gw.results()
  assert.deepEqual(results.map((r) => `${r.order_id}/${r.test_code}`).sort(), ['SP-1/GLU', 'SP-1/K', 'SP-2/NA', 'SP-3/CRP', 'SP-3/GLU', 'SP-4/K'])
})

test('contention: the analyzer sends ENQ as the gateway does; the gateway yields, takes the analyzer\'s message, then downloads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-dl-pty-'))
  const pair = await ptyPair(dir)
  const port = await openPort(pair.a)
  const got: number[] = []
  port.on('data', (b: Buffer) => got.push(...b))
  const gw = await gateway(pair.b, () => [ORDERS[1]!], 500)
  t.after(async () => {
    if (port.isOpen) await port.close()
    await gw.close()
    await pair.stop()
  })
  const write = (b: Uint8Array | number[]) => port.write(Buffer.from(b))
  await until('the gateway\'s ENQ', () => got.includes(ENQ))
  // The analyzer wants the line too: it has priority (E1381), the gateway must answer it as receiver.
  let n = got.length
  write([ENQ])
  await until('the gateway yields', () => got.length > n)
  assert.equal(got[n], ACK, 'ACK: the gateway became the receiver')
  const frames = frameAstmMessage(encodeAstmMessage({ time: Date.now(), patients: [{ patient_id: 'MRN-9', orders: [{ order_id: 'SP-9', results: [{ test_code: 'GLU', value: '6.1', unit: 'mmol/L', result_time: Date.now() }] }] }] }))
  for (const f of frames) {
    n = got.length
    write(f)
    await until('ACK to frame', () => got.length > n)
    assert.equal(got[n], ACK)
  }
  write([EOT])
  // After its contention wait the gateway asks for the line again and downloads the order.
  n = got.length
  await until('the gateway\'s ENQ again', () => got.slice(n).includes(ENQ), 10_000)
  n = got.length
  write([ACK])
  // ACK every frame until the gateway's EOT.
  for (let seen = n; got.at(-1) !== EOT;) {
    await until('a frame or EOT', () => got.length > seen && (got.at(-1) === 0x0a || got.at(-1) === EOT))
    seen = got.length
    if (got.at(-1) === 0x0a) write([ACK])
  }
  const text = Buffer.from(got.slice(n)).toString('latin1')
  assert.match(text, /O\|1\|SP-2\|\|\^\^\^NA\|R\|{6}N\|{14}O/)
  const results = await gw.results()
  assert.deepEqual(results.map((r) => r.order_id), ['SP-9'])
})

test('an order the analyzer refuses (7 NAKs) is counted as aborted and offered again while pending', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-dl-pty-'))
  const pair = await ptyPair(dir)
  const gw = await gateway(pair.b, () => [ORDERS[0]!])
  const port = await openPort(pair.a)
  t.after(async () => {
    if (port.isOpen) await port.close()
    await gw.close()
    await pair.stop()
  })
  const got: number[] = []
  let naks = 0
  let accept = false
  const received: string[] = []
  port.on('data', (b: Buffer) => {
    for (const byte of b) {
      got.push(byte)
      if (byte === ENQ) port.write(Buffer.of(ACK))
      else if (byte === 0x0a) {
        received.push(Buffer.from(got).toString('latin1'))
        got.length = 0
        if (accept) port.write(Buffer.of(ACK))
        else { naks++; port.write(Buffer.of(NAK)) }
      }
    }
  })
  await until('seven NAKs', () => naks >= 7)
  accept = true
  const refused = received.length
  await until('the order sent again and taken', () => received.slice(refused).some((f) => f.includes('L|1|N')), 10_000, () => received)
  assert.ok(received.slice(refused).some((f) => f.includes('O|1|SP-1|')))
  assert.equal(gw.devices.snapshot().find((d) => d.device_id === 'chem-1')?.errors.NEVA_EDGE_ASTM_DOWNLOAD_ABORTED, 1)
})
