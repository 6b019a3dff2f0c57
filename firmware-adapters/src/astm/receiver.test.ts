import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ACK, ENQ, EOT, ETX, NAK, buildFrame, frameAstmMessage } from './frames.js'
import { AstmReceiver, type AstmReceiverOutput } from './receiver.js'

const T0 = 1_000_000
const MESSAGE = 'H|\\^&|||Chem|||||||P|LIS2-A2|20261125103500\rP|1||PAT-7\rO|1|S-1||^^^GLU|R\rR|1|^^^GLU|5.4|mmol/L|3.9-6.1|N||F||||20261125103000\rL|1|N\r'
const FRAMES = frameAstmMessage(MESSAGE) // H, P, O, R, L: frames 1-5
const byte = (b: number) => Uint8Array.of(b)

/** The replies written, as letters: A for ACK, N for NAK. */
function replies(out: AstmReceiverOutput): string {
  return Buffer.concat(out.write).toString('latin1').replaceAll(String.fromCharCode(ACK), 'A').replaceAll(String.fromCharCode(NAK), 'N')
}

function corrupt(frame: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(frame)
  copy[3] = copy[3] === 0x41 ? 0x42 : 0x41
  return copy
}

test('a session: ENQ → ACK, frames → ACK, the L frame waits until the message is durable, EOT → idle', () => {
  const rx = new AstmReceiver()
  assert.equal(replies(rx.receive(byte(ENQ), T0)), 'A')
  let writes = ''
  for (const f of FRAMES.slice(0, 4)) writes += replies(rx.receive(f, T0 + 10))
  assert.equal(writes, 'AAAA')
  const last = rx.receive(FRAMES[4]!, T0 + 20)
  assert.equal(replies(last), '', 'no reply before the message is durable')
  assert.equal(last.messages.length, 1)
  const message = last.messages[0]!
  assert.equal(Buffer.from(message.bytes).toString('latin1'), MESSAGE)
  assert.deepEqual([message.frames, message.terminated, rx.state], [5, true, 'awaiting'])
  // A stale or unknown id changes nothing.
  assert.equal(replies(rx.ack(message.id + 1, true, T0 + 30)), '')
  assert.equal(replies(rx.ack(message.id, true, T0 + 30)), 'A')
  assert.equal(rx.state, 'receiving')
  assert.deepEqual(rx.receive(byte(EOT), T0 + 40), { write: [], messages: [], problems: [] })
  assert.equal(rx.state, 'idle')
})

test('bad checksum → NAK, the resent frame is taken once; a repeated frame → ACK, not appended twice', () => {
  const rx = new AstmReceiver()
  rx.receive(byte(ENQ), T0)
  rx.receive(FRAMES[0]!, T0)
  const bad = rx.receive(corrupt(FRAMES[1]!), T0)
  assert.equal(replies(bad), 'N')
  assert.equal(bad.problems[0]?.code, 'NEVA_ASTM_CHECKSUM')
  assert.match(bad.problems[0]!.reason, /frame 2 at offset \d+: checksum sent [0-9A-F]{2}, its content gives [0-9A-F]{2}/)
  assert.equal(replies(rx.receive(FRAMES[1]!, T0)), 'A')
  // Our ACK to frame 2 was lost: the sender sends frame 2 again.
  assert.equal(replies(rx.receive(FRAMES[1]!, T0)), 'A')
  for (const f of FRAMES.slice(2, 4)) rx.receive(f, T0)
  const out = rx.receive(FRAMES[4]!, T0)
  assert.equal(Buffer.from(out.messages[0]!.bytes).toString('latin1'), MESSAGE, 'each record once')
  // A frame number that is neither next nor a repeat.
  const rx2 = new AstmReceiver()
  rx2.receive(byte(ENQ), T0)
  rx2.receive(FRAMES[0]!, T0)
  const skipped = rx2.receive(FRAMES[2]!, T0)
  assert.equal(replies(skipped), 'N')
  assert.match(skipped.problems[0]!.reason, /has number 3, expected 2/)
  // The first frame after ENQ must be 1.
  const rx3 = new AstmReceiver()
  rx3.receive(byte(ENQ), T0)
  assert.equal(replies(rx3.receive(FRAMES[1]!, T0)), 'N')
})

test('not durable → NAK, the frame is forgotten, and its resend completes the message again', () => {
  const rx = new AstmReceiver()
  rx.receive(byte(ENQ), T0)
  for (const f of FRAMES.slice(0, 4)) rx.receive(f, T0)
  const first = rx.receive(FRAMES[4]!, T0).messages[0]!
  assert.equal(replies(rx.ack(first.id, false, T0 + 5)), 'N')
  const again = rx.receive(FRAMES[4]!, T0 + 10)
  assert.equal(again.messages.length, 1)
  assert.notEqual(again.messages[0]!.id, first.id)
  assert.deepEqual(again.messages[0]!.bytes, first.bytes)
  assert.equal(replies(rx.ack(again.messages[0]!.id, true, T0 + 20)), 'A')
})

test('durability slower than the reply limit: NAK within 15 s, then the resend is answered once the message is durable', () => {
  // Durable before the resend: the resend is a repeat → ACK, nothing emitted twice.
  const rx = new AstmReceiver({ replyLimitMs: 10_000 })
  rx.receive(byte(ENQ), T0)
  for (const f of FRAMES.slice(0, 4)) rx.receive(f, T0)
  const m = rx.receive(FRAMES[4]!, T0).messages[0]!
  assert.equal(replies(rx.tick(T0 + 9_999)), '')
  assert.equal(replies(rx.tick(T0 + 10_000)), 'N')
  assert.equal(replies(rx.tick(T0 + 11_000)), '', 'NAKed once')
  assert.equal(replies(rx.ack(m.id, true, T0 + 11_000)), '', 'the NAK was the answer to that frame')
  const resend = rx.receive(FRAMES[4]!, T0 + 12_000)
  assert.deepEqual([replies(resend), resend.messages.length], ['A', 0])

  // Still not durable when the resend arrives: the resend waits, and gets the answer.
  const rx2 = new AstmReceiver({ replyLimitMs: 10_000 })
  rx2.receive(byte(ENQ), T0)
  for (const f of FRAMES.slice(0, 4)) rx2.receive(f, T0)
  const m2 = rx2.receive(FRAMES[4]!, T0).messages[0]!
  assert.equal(replies(rx2.tick(T0 + 10_000)), 'N')
  const waiting = rx2.receive(FRAMES[4]!, T0 + 10_500)
  assert.deepEqual([replies(waiting), waiting.messages.length], ['', 0])
  assert.equal(replies(rx2.ack(m2.id, true, T0 + 12_000)), 'A')
})

test('ENQ while a message awaits durability, or when busy → NAK (the sender retries in 10 s)', () => {
  let busy = true
  const rx = new AstmReceiver({ isBusy: () => busy })
  assert.equal(replies(rx.receive(byte(ENQ), T0)), 'N')
  busy = false
  assert.equal(replies(rx.receive(byte(ENQ), T0)), 'A')
  for (const f of FRAMES.slice(0, 4)) rx.receive(f, T0)
  const m = rx.receive(FRAMES[4]!, T0).messages[0]!
  // The analyzer gave up waiting, ended, and tries again: not before we know.
  rx.receive(byte(EOT), T0 + 15_000)
  assert.equal(replies(rx.receive(byte(ENQ), T0 + 16_000)), 'N')
  assert.equal(replies(rx.ack(m.id, true, T0 + 17_000)), '', 'no frame is waiting for an answer')
  assert.equal(rx.state, 'idle')
  assert.equal(replies(rx.receive(byte(ENQ), T0 + 26_000)), 'A')
})

test('EOT before an L record: the sender gave up, the part is discarded (a problem); for analyzers without L, the message is handed over', () => {
  const aborted = new AstmReceiver()
  aborted.receive(byte(ENQ), T0)
  for (const f of FRAMES.slice(0, 4)) aborted.receive(f, T0)
  const dropped = aborted.receive(byte(EOT), T0)
  assert.deepEqual([dropped.messages.length, dropped.problems.map((p) => p.code), aborted.state], [0, ['NEVA_ASTM_INTERRUPTED'], 'idle'])
  assert.match(dropped.problems[0]!.reason, /EOT before the L record/)

  const rx = new AstmReceiver({ messageEndsAtEot: true })
  rx.receive(byte(ENQ), T0)
  for (const f of FRAMES.slice(0, 4)) rx.receive(f, T0)
  const out = rx.receive(byte(EOT), T0)
  assert.equal(out.messages.length, 1)
  assert.equal(out.messages[0]!.terminated, false)
  assert.equal(Buffer.from(out.messages[0]!.bytes).toString('latin1'), MESSAGE.slice(0, MESSAGE.indexOf('L|1')))
  assert.equal(replies(rx.ack(out.messages[0]!.id, true, T0)), '')
  assert.equal(rx.state, 'idle')
})

test('receiver timeout: 30 s without a frame discards the partial message and returns to idle', () => {
  const rx = new AstmReceiver()
  rx.receive(byte(ENQ), T0)
  rx.receive(FRAMES[0]!, T0)
  rx.receive(FRAMES[1]!, T0 + 1000)
  assert.deepEqual(rx.tick(T0 + 30_999).problems, [])
  const out = rx.tick(T0 + 31_000)
  assert.equal(out.problems[0]?.code, 'NEVA_ASTM_RECEIVER_TIMEOUT')
  assert.match(out.problems[0]!.reason, /partial message from offset 1 \(2 frame\(s\)\) discarded: no frame for 30 s/)
  assert.equal(rx.state, 'idle')
  // A new transfer starts clean.
  rx.receive(byte(ENQ), T0 + 40_000)
  for (const f of FRAMES.slice(0, 4)) rx.receive(f, T0 + 40_000)
  assert.equal(Buffer.from(rx.receive(FRAMES[4]!, T0 + 40_000).messages[0]!.bytes).toString('latin1'), MESSAGE)
})

test('frames without ENQ open a transfer (captures show analyzers that skip it); ENQ mid-transfer starts over', () => {
  const rx = new AstmReceiver()
  const out: AstmReceiverOutput[] = FRAMES.map((f) => rx.receive(f, T0))
  assert.equal(out.map(replies).join(''), 'AAAA')
  assert.equal(out[4]!.messages.length, 1)

  const rx2 = new AstmReceiver()
  rx2.receive(byte(ENQ), T0)
  rx2.receive(FRAMES[0]!, T0)
  const restart = rx2.receive(byte(ENQ), T0)
  assert.equal(replies(restart), 'A')
  assert.equal(restart.problems[0]?.code, 'NEVA_ASTM_INTERRUPTED')
})

test('a message over the size cap is acknowledged and dropped with a problem; the next one is read', () => {
  const rx = new AstmReceiver({ maxMessageBytes: 100 })
  rx.receive(byte(ENQ), T0)
  const big = frameAstmMessage(`H|\\^&\r${'R|1|^^^GLU|5\r'.repeat(20)}L|1|N\r`)
  const out = big.map((f) => rx.receive(f, T0))
  assert.equal(out.map(replies).join(''), 'A'.repeat(big.length))
  assert.deepEqual(out.flatMap((o) => o.problems.map((p) => p.code)), ['NEVA_ASTM_MESSAGE_TOO_LONG'])
  assert.equal(out.flatMap((o) => o.messages).length, 0)
  const next = frameAstmMessage('H|\\^&\rL|1|N\r', { firstFrameNumber: (big.length + 1) % 8 })
  rx.receive(next[0]!, T0)
  assert.equal(rx.receive(next[1]!, T0).messages.length, 1)
})

test('reset (the port closed): the partial message is dropped, a late ack is ignored, bytes resume cleanly', () => {
  const rx = new AstmReceiver()
  rx.receive(byte(ENQ), T0)
  rx.receive(FRAMES[0]!, T0)
  rx.receive(FRAMES[1]!.subarray(0, 5), T0)
  assert.deepEqual(rx.reset().problems.map((p) => p.code), ['NEVA_ASTM_INTERRUPTED'])
  rx.receive(byte(ENQ), T0)
  for (const f of FRAMES.slice(0, 4)) rx.receive(f, T0)
  const m = rx.receive(FRAMES[4]!, T0).messages[0]!
  rx.reset()
  assert.equal(replies(rx.ack(m.id, true, T0)), '')
  assert.equal(rx.state, 'idle')
  // A single-frame message with the L record in the same frame.
  const one = buildFrame(1, Buffer.from('H|\\^&\rR|1|^^^K|4\rL|1|N\r'), ETX)
  rx.receive(byte(ENQ), T0)
  assert.equal(rx.receive(one, T0).messages.length, 1)
})
