import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ACK, ENQ, EOT, NAK, frameAstmMessage } from './frames.js'
import { AstmSender, type AstmSenderOutput } from './sender.js'
import { AstmReceiver } from './receiver.js'
import { decodeAstmMessage } from './decode.js'
import { encodeAstmMessage } from './encode.js'

const T0 = 5_000_000
const FRAMES = frameAstmMessage('H|\\^&\rP|1|p\rR|1|^^^K|4.1\rL|1|N\r')
const byte = (b: number) => Uint8Array.of(b)
const NAMES: Record<number, string> = { [ENQ]: 'ENQ', [EOT]: 'EOT' }
/** What was written: ENQ, EOT, or F<frame number>. */
const sent = (out: AstmSenderOutput) => out.write.map((w) => (w.length === 1 ? NAMES[w[0]!] ?? `?${w[0]}` : `F${String.fromCharCode(w[1]!)}`)).join(' ')

test('a transfer: ENQ, each frame after the ACK of the one before, EOT after the last; then the next message', () => {
  const tx = new AstmSender()
  assert.equal(sent(tx.enqueue({ id: 'm1', frames: FRAMES }, T0)), 'ENQ')
  tx.enqueue({ id: 'm2', frames: FRAMES.slice(0, 1) }, T0)
  const first = tx.receive(byte(ACK), T0)
  assert.deepEqual([sent(first), first.started], ['F1', ['m1']])
  const steps = [ACK, ACK, ACK].map((b) => sent(tx.receive(byte(b), T0)))
  assert.deepEqual(steps, ['F2', 'F3', 'F4'])
  const done = tx.receive(byte(ACK), T0)
  assert.deepEqual([sent(done), done.delivered], ['EOT ENQ', ['m1']])
  assert.equal(sent(tx.receive(byte(ACK), T0)), 'F1')
  // EOT in reply to a frame is an ACK (with a request to stop, which one message per transfer meets).
  const last = tx.receive(byte(EOT), T0)
  assert.deepEqual([sent(last), last.delivered, tx.state, tx.queued], ['EOT', ['m2'], 'idle', 0])
  assert.deepEqual(tx.stats, { transfers: 2, framesSent: 5, framesResent: 0, delivered: 2, aborted: 0 })
})

test('NAK: the same frame again, at most 6 times; then EOT, and the whole message later from its first frame', () => {
  const tx = new AstmSender({ abortRetryMs: 10_000 })
  tx.enqueue({ id: 'm1', frames: FRAMES }, T0)
  tx.receive(byte(ACK), T0)
  tx.receive(byte(ACK), T0) // frame 2 sent
  const resends = [1, 2, 3, 4, 5, 6].map(() => sent(tx.receive(byte(NAK), T0)))
  assert.deepEqual(resends, ['F2', 'F2', 'F2', 'F2', 'F2', 'F2'])
  const abort = tx.receive(byte(NAK), T0)
  assert.deepEqual([sent(abort), abort.aborted], ['EOT', [{ id: 'm1', reason: 'frame 2 NAKed 7 times' }]])
  assert.equal(sent(tx.tick(T0 + 9_999)), '')
  assert.equal(sent(tx.tick(T0 + 10_000)), 'ENQ')
  assert.equal(sent(tx.receive(byte(ACK), T0 + 10_000)), 'F1')
  assert.deepEqual(tx.stats, { transfers: 2, framesSent: 9, framesResent: 6, delivered: 0, aborted: 1 })
})

test('15 s without a reply to ENQ or to a frame → EOT; busy NAK to ENQ → ENQ again after 10 s', () => {
  const tx = new AstmSender({ abortRetryMs: 1000 })
  tx.enqueue({ id: 'm1', frames: FRAMES }, T0)
  assert.equal(sent(tx.tick(T0 + 14_999)), '')
  assert.deepEqual(tx.tick(T0 + 15_000), { write: [byte(EOT)], started: [], delivered: [], aborted: [] })
  assert.equal(sent(tx.tick(T0 + 16_000)), 'ENQ')
  tx.receive(byte(ACK), T0 + 16_000)
  const silent = tx.tick(T0 + 31_000)
  assert.deepEqual([sent(silent), silent.aborted.map((a) => a.reason)], ['EOT', ['no reply within 15000 ms']])

  const busy = new AstmSender()
  busy.enqueue({ id: 'm1', frames: FRAMES }, T0)
  assert.equal(sent(busy.receive(byte(NAK), T0)), '')
  assert.equal(busy.state, 'waiting')
  assert.equal(sent(busy.tick(T0 + 9_999)), '')
  assert.equal(sent(busy.tick(T0 + 10_000)), 'ENQ')
})

test('contention: ENQ from the other end while waiting after our ENQ → the instrument keeps priority and sends ENQ again after 1 s', () => {
  const tx = new AstmSender()
  tx.enqueue({ id: 'm1', frames: FRAMES }, T0)
  assert.equal(sent(tx.receive(byte(ENQ), T0 + 5)), '')
  assert.equal(sent(tx.tick(T0 + 1004)), '')
  assert.equal(sent(tx.tick(T0 + 1005)), 'ENQ')
  assert.equal(sent(tx.receive(byte(ACK), T0 + 1010)), 'F1')
})

test('reset (the link dropped): the message stays first and is sent again from ENQ', () => {
  const tx = new AstmSender()
  tx.enqueue({ id: 'm1', frames: FRAMES }, T0)
  tx.receive(byte(ACK), T0)
  tx.receive(byte(ACK), T0)
  tx.reset(T0 + 100)
  assert.equal(sent(tx.tick(T0 + 100)), 'ENQ')
  assert.equal(sent(tx.receive(byte(ACK), T0 + 100)), 'F1')
  assert.equal(tx.queued, 1)
})

test('sender and receiver over a line that corrupts frames and loses replies: every message arrives, none is lost', () => {
  // Seeded noise: about one frame in eight corrupted, one reply in ten lost.
  let seed = 42
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
  const tx = new AstmSender({ abortRetryMs: 2000 })
  const rx = new AstmReceiver()
  const options = { deviceId: 'chem-1', receivedTime: T0, defaultUtcOffsetMinutes: 0 }
  const ids = Array.from({ length: 12 }, (_, i) => `S-${i}`)
  const bodies = new Map(ids.map((id, i) => [id, encodeAstmMessage({ time: T0 + i * 1000, patients: [{ patient_id: `p${i}`, orders: [{ order_id: id, results: [
    { test_code: 'GLU', value: 5 + i / 10, unit: 'mmol/L', result_time: T0 + i * 1000 },
    { test_code: 'CRP', value: 'x'.repeat(300), unit: 'mg/L' }, // a record over 240 bytes: ETB then ETX
  ] }] }] })]))
  let now = T0
  let toRx: Uint8Array[] = []
  let toTx: Uint8Array[] = []
  const received = new Map<string, Set<string>>()
  const delivered: string[] = []
  const fromTx = (o: AstmSenderOutput) => {
    delivered.push(...o.delivered)
    for (const w of o.write) {
      if (w.length > 1 && random() < 0.125) {
        const c = Uint8Array.from(w)
        c[2] = c[2]! ^ 0x01
        toRx.push(c)
      } else toRx.push(w)
    }
  }
  for (const id of ids) fromTx(tx.enqueue({ id, frames: frameAstmMessage(bodies.get(id)!) }, now))
  for (let step = 0; step < 20_000 && delivered.length < ids.length; step++) {
    now += 50
    for (const b of toRx.splice(0)) {
      const out = rx.receive(b, now)
      for (const m of out.messages) {
        const d = decodeAstmMessage(m.bytes, options)
        const id = d.labResults[0]!.order_id!
        received.set(id, (received.get(id) ?? new Set()).add(d.key!.hash))
        toTx.push(...rx.ack(m.id, true, now).write)
      }
      toTx.push(...out.write)
    }
    toTx.push(...rx.tick(now).write)
    for (const r of toTx.splice(0)) if (random() >= 0.1) fromTx(tx.receive(r, now))
    fromTx(tx.tick(now))
  }
  assert.deepEqual([...delivered].sort(), [...ids].sort())
  // A message whose last ACK was lost is sent again whole: the gateway's store keeps it once
  // (same bytes, same identity); no message is missing.
  assert.deepEqual([...received.keys()].sort(), [...ids].sort())
  for (const [id, hashes] of received) assert.equal(hashes.size, 1, `${id} arrived with one identity however often it was sent`)
  assert.ok(tx.stats.framesResent > 0 && tx.stats.aborted > 0, JSON.stringify(tx.stats))
})
