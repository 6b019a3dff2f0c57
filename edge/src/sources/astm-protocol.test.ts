// ASTM analyzers over real pseudo-terminals (socat) into the real durable stage (SQLite outbox,
// NEWS2 triage): what the analyzer gets back, and what the outbox holds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SerialPort } from 'serialport'
import type { LabResult, RejectedReading } from '@neva/contracts'
import { AstmSender, encodeAstmMessage, frameAstmMessage, type AstmSenderOptions, type Decoded } from '@neva/firmware-adapters'
import type { DurableStage } from '../outbox/durable-stage.js'
import type { DecodedSink } from './source.js'
import { openPort, ptyPair, until } from '../../test/pty.js'
import { ACK, astmGateway, ENQ, EOT, NAK } from '../../test/astm-pty.js'

/** The gateway's side, its analyzer an hour ahead of UTC. */
const gateway = (path: string, wrap?: (durable: DurableStage) => DecodedSink) =>
  astmGateway(path, { protocol: { defaultUtcOffsetMinutes: 60 }, ...(wrap ? { wrap } : {}) })

const T = Date.UTC(2026, 10, 25, 9, 0)
/** One specimen's chemistry message, as an analyzer makes it (times stamped: resends are recognizable). */
function specimen(n: number): string {
  return encodeAstmMessage({
    time: T + n * 60_000,
    utcOffsetMinutes: 60,
    patients: [{ patient_id: `P-${n % 3}`, orders: [{ order_id: `S-${n}`, results: [
      { test_code: 'GLU', value: (5 + n / 10).toFixed(1), unit: 'mmol/L', reference_range: '3.9-6.1', abnormal_flag: 'N', result_time: T + n * 60_000 },
      { test_code: 'K', value: '4.2', unit: 'mmol/L', reference_range: '3.5-5.1', abnormal_flag: 'N', result_time: T + n * 60_000 },
      { test_code: 'CRP', value: `${'8'.repeat(3)}`, unit: 'mg/L', reference_range: '0-5', abnormal_flag: 'H', result_time: T + n * 60_000, comments: ['x'.repeat(300)] },
    ] }] }],
  })
}

/** The analyzer's side driven byte by byte: what the test writes, and every reply it got. */
class Line {
  readonly replies: number[] = []
  constructor(readonly port: SerialPort) {
    port.on('data', (b: Buffer) => this.replies.push(...b))
  }
  static async open(path: string) {
    return new Line(await openPort(path))
  }
  /** Writes, then waits for one more reply and returns it. */
  async send(bytes: Uint8Array | number): Promise<number> {
    const n = this.replies.length
    this.port.write(Buffer.from(typeof bytes === 'number' ? [bytes] : bytes))
    await until('a reply', () => this.replies.length > n)
    return this.replies[n]!
  }
  close() {
    return new Promise<void>((r) => this.port.close(() => r()))
  }
}

/** A scripted analyzer: the E1381 sender machine on a real port, reopening it when it comes back. */
class Analyzer {
  readonly sender: AstmSender
  readonly delivered: string[] = []
  private port: SerialPort | undefined
  private timer: NodeJS.Timeout
  private stopped = false
  private opening = false

  constructor(private readonly path: string, options: AstmSenderOptions) {
    this.sender = new AstmSender(options)
    this.timer = setInterval(() => {
      if (this.port?.isOpen) this.write(this.sender.tick(Date.now()))
      else if (!this.opening && !this.stopped && existsSync(this.path)) void this.open()
    }, 20)
  }

  private async open() {
    this.opening = true
    try {
      const port = await openPort(this.path)
      port.on('data', (b: Buffer) => this.write(this.sender.receive(b, Date.now())))
      port.on('close', () => {
        this.port = undefined
        this.sender.reset(Date.now())
      })
      this.port = port
    } catch {
      // not there yet; the timer tries again
    } finally {
      this.opening = false
    }
  }

  private write(out: ReturnType<AstmSender['tick']>) {
    this.delivered.push(...out.delivered)
    for (const w of out.write) this.port?.write(Buffer.from(w))
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false
  }

  send(n: number) {
    this.write(this.sender.enqueue({ id: `S-${n}`, frames: frameAstmMessage(specimen(n)) }, Date.now()))
  }

  async stop() {
    this.stopped = true
    clearInterval(this.timer)
    const port = this.port
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()))
  }
}

/** How many times each specimen's results are in the outbox, and whether each one is whole. */
function stored(results: LabResult[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of results) if (r.test_code === 'GLU') counts.set(r.order_id!, (counts.get(r.order_id!) ?? 0) + 1)
  for (const [id, n] of counts) assert.equal(results.filter((r) => r.order_id === id).length, 3 * n, `${id}: all three results`)
  return counts
}

test('a full session: every message stored with its results, then acknowledged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-pty-'))
  const pair = await ptyPair(dir)
  const gw = await gateway(pair.b)
  const analyzer = new Analyzer(pair.a, { abortRetryMs: 300 })
  await until('the analyzer port open', () => analyzer.isOpen)
  for (let n = 1; n <= 5; n++) analyzer.send(n)
  await until('five messages acknowledged', () => analyzer.delivered.length === 5, 20_000, () => analyzer.sender.stats)
  const held = await gw.drain()
  assert.deepEqual([...stored(held.labResults)].sort(), [['S-1', 1], ['S-2', 1], ['S-3', 1], ['S-4', 1], ['S-5', 1]])
  const glu = held.labResults.find((r) => r.order_id === 'S-2' && r.test_code === 'GLU')!
  assert.deepEqual(
    [glu.device_id, glu.source, glu.patient_id, glu.loinc, glu.value, glu.numeric_value, glu.unit, glu.reference_range, glu.abnormal_flag, glu.status, glu.result_time],
    ['chem-1', 'astm', 'P-2', '2345-7', '5.2', 5.2, 'mmol/L', '3.9-6.1', 'N', 'F', T + 2 * 60_000],
  )
  // The 300-character comment crossed an ETB frame boundary and came back whole.
  assert.deepEqual(held.labResults.find((r) => r.order_id === 'S-2' && r.test_code === 'CRP')!.comments, ['x'.repeat(300)])
  assert.deepEqual(held.rejected, [])
  assert.equal(analyzer.sender.stats.framesResent, 0)
  const status = gw.device()!
  assert.deepEqual([status.source, status.origin, status.connected, status.messages, status.readings], ['astm', `serial:${pair.b}`, true, 5, 15])
  await analyzer.stop()
  await gw.close()
  await pair.stop()
})

test('the last frame is acknowledged only once the message is durable; not durable → NAK and the resend is stored once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-pty-'))
  const pair = await ptyPair(dir)
  let gate: (() => void) | undefined
  let failNext = false
  const gw = await gateway(pair.b, (durable) => ({
    async consume(decoded: Decoded, origin: string) {
      if (failNext) {
        failNext = false
        throw Object.assign(new Error('disk full'), { code: 'NEVA_EDGE_OUTBOX_FULL' })
      }
      if (gate === undefined) await new Promise<void>((r) => (gate = r))
      await durable.consume(decoded, origin)
    },
  }))
  const line = await Line.open(pair.a)
  const frames = frameAstmMessage(specimen(1))
  assert.equal(await line.send(ENQ), ACK)
  for (const f of frames.slice(0, -1)) assert.equal(await line.send(f), ACK)
  // The L frame: no answer while the message is not durable.
  const before = line.replies.length
  line.port.write(Buffer.from(frames[frames.length - 1]!))
  await until('the message reaches the durable stage', () => gate !== undefined)
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(line.replies.length, before, 'no ACK before durable')
  assert.equal((await gw.drain()).labResults.length, 0)
  gate!()
  await until('the ACK', () => line.replies.length > before)
  assert.equal(line.replies[before], ACK)
  assert.equal((await gw.drain()).labResults.length, 3, 'durable when acknowledged')
  line.port.write(Buffer.from([EOT]))

  // Next message: the store fails once → NAK; the analyzer resends the frame → stored once.
  failNext = true
  const second = frameAstmMessage(specimen(2))
  assert.equal(await line.send(ENQ), ACK)
  for (const f of second.slice(0, -1)) assert.equal(await line.send(f), ACK)
  assert.equal(await line.send(second[second.length - 1]!), NAK)
  assert.equal(await line.send(second[second.length - 1]!), ACK)
  line.port.write(Buffer.from([EOT]))
  assert.deepEqual([...stored((await gw.drain()).labResults)].sort(), [['S-1', 1], ['S-2', 1]])
  assert.equal(gw.device()!.errors.NEVA_EDGE_OUTBOX_FULL, 1)
  await line.close()
  await gw.close()
  await pair.stop()
})

test('a corrupted checksum → NAK → resend → stored once; a repeated frame → ACK, stored once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-pty-'))
  const pair = await ptyPair(dir)
  const gw = await gateway(pair.b)
  const line = await Line.open(pair.a)
  const frames = frameAstmMessage(specimen(7))
  assert.equal(await line.send(ENQ), ACK)
  assert.equal(await line.send(frames[0]!), ACK)
  const corrupted = Buffer.from(frames[1]!)
  corrupted[4] = corrupted[4]! ^ 0x02
  assert.equal(await line.send(corrupted), NAK)
  assert.equal(await line.send(frames[1]!), ACK)
  // Our ACK "was lost": the analyzer sends frame 2 again.
  assert.equal(await line.send(frames[1]!), ACK)
  for (const f of frames.slice(2)) assert.equal(await line.send(f), ACK)
  assert.equal(await line.send(frames[frames.length - 1]!), ACK, 'the L frame repeated after its ACK: acknowledged again')
  line.port.write(Buffer.from([EOT]))
  const held = await gw.drain()
  assert.deepEqual([...stored(held.labResults)], [['S-7', 1]])
  assert.deepEqual(held.rejected, [], 'line errors are counted, not kept aside')
  assert.equal(gw.device()!.errors.NEVA_ASTM_CHECKSUM, 1)
  // The whole message sent again (its last ACK lost): the outbox recognizes it and keeps it once.
  assert.equal(await line.send(ENQ), ACK)
  for (const f of frames) assert.equal(await line.send(f), ACK)
  line.port.write(Buffer.from([EOT]))
  await new Promise((r) => setTimeout(r, 200))
  assert.deepEqual([...stored((await gw.drain()).labResults)], [['S-7', 1]])
  await line.close()
  await gw.close()
  await pair.stop()
})

test('unplug and replug while the analyzer holds results: every acknowledged result stored exactly once, the others resent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-astm-pty-'))
  let pair = await ptyPair(dir)
  const gw = await gateway(pair.b)
  const analyzer = new Analyzer(pair.a, { abortRetryMs: 200, busyRetryMs: 200, replyTimeoutMs: 3000 })
  await until('the analyzer port open', () => analyzer.isOpen)
  const total = 16
  for (let n = 1; n <= total; n++) analyzer.send(n)
  await until('some messages acknowledged', () => analyzer.delivered.length >= 4, 20_000, () => analyzer.sender.stats)

  // Pull the cable mid-stream.
  await pair.stop()
  const ackedBefore = [...analyzer.delivered]
  await until('the gateway sees the port gone', () => gw.device()?.connected === false)
  assert.ok(analyzer.delivered.length < total, 'results still held by the analyzer')
  const held = await gw.drain()
  const counts = stored(held.labResults)
  // Everything the analyzer got an ACK for is stored, once.
  for (const id of ackedBefore) assert.equal(counts.get(id), 1, `${id} acknowledged before the unplug`)
  await new Promise((r) => setTimeout(r, 300))

  // Plug it back: the analyzer resends what it was not acknowledged for.
  pair = await ptyPair(dir)
  await until('all messages acknowledged', () => analyzer.delivered.length === total, 30_000, () => ({ stats: analyzer.sender.stats, delivered: analyzer.delivered.length }))
  const after = stored((await gw.drain()).labResults)
  assert.deepEqual([...after.keys()].sort(), Array.from({ length: total }, (_, i) => `S-${i + 1}`).sort())
  for (const [id, n] of after) assert.equal(n, 1, `${id} stored once`)
  assert.equal(gw.device()!.connected, true)
  assert.equal(gw.device()!.errors.NEVA_EDGE_SERIAL_LOST, 1)
  await analyzer.stop()
  await gw.close()
  await pair.stop()
})
