import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ETB, ETX, FrameReader, MAX_FRAME_TEXT, buildFrame, frameAstmMessage, frameChecksum, type FrameEvent } from './frames.js'

const ascii = (s: string) => Buffer.from(s, 'latin1')
const frames = (events: FrameEvent[]) => events.filter((e) => e.kind === 'frame')

test('checksum: sum of frame number, text and ETX/ETB, mod 256, two upper-case hex digits', () => {
  // '1' (0x31) + 'A' (0x41) + ETX (0x03) = 0x75
  assert.equal(frameChecksum(1, ascii('A'), ETX), '75')
  // 0x37 + 0xFF*2 + 0x17 = 0x24C → 0x4C
  assert.equal(frameChecksum(7, Uint8Array.of(0xff, 0xff), ETB), '4C')
  const f = buildFrame(2, ascii('L|1|N\r'), ETX)
  assert.equal(Buffer.from(f).toString('latin1'), '\x022L|1|N\r\x03' + frameChecksum(2, ascii('L|1|N\r'), ETX) + '\r\n')
})

test('framing a message: one record per frame set, 240 text bytes at most, ETB then ETX, numbers modulo 8', () => {
  const long = `R|1|^^^GLU|${'x'.repeat(600)}\r`
  const message = `H|\\^&\rP|1\r${long}L|1|N\r`
  const out = frameAstmMessage(message)
  // H, P: one frame each; the R record: 240 + 240 + 136; L: one.
  assert.equal(out.length, 6)
  const parsed = frames(new FrameReader().push(Buffer.concat(out)))
  assert.deepEqual(parsed.map((f) => [f.number, f.text.length, f.end, f.checksumOk]), [
    [1, 6, true, true], [2, 4, true, true], [3, 240, false, true], [4, 240, false, true], [5, long.length - 480, true, true], [6, 6, true, true],
  ])
  assert.ok(parsed.every((f) => f.text.length <= MAX_FRAME_TEXT))
  assert.equal(Buffer.concat(parsed.map((f) => f.text)).toString('latin1'), message)
  // Frame numbers wrap 7 → 0 → 1.
  const many = frameAstmMessage('R|1\r'.repeat(10))
  assert.deepEqual(frames(new FrameReader().push(Buffer.concat(many))).map((f) => f.number), [1, 2, 3, 4, 5, 6, 7, 0, 1, 2])
})

test('reader: CR LF, CR-only and LF-only trailers, lower-case checksums, any chunking', () => {
  const a = Buffer.from(buildFrame(1, ascii('H|\\^&\r'), ETX))
  const crOnly = Buffer.concat([a.subarray(0, a.length - 1)])
  const b = Buffer.from(buildFrame(2, ascii('L|1|N\r'), ETX))
  const lfOnly = Buffer.concat([b.subarray(0, b.length - 2), ascii('\n')])
  const c = Buffer.from(buildFrame(3, ascii('L|1|N\r'), ETX))
  c[c.length - 4] = c[c.length - 4]! | 0x20 // lower-case hex letter where there is one
  const input = Buffer.concat([crOnly, lfOnly, c])
  const whole = new FrameReader().push(input)
  const byByte = new FrameReader()
  const chunked: FrameEvent[] = []
  for (const byte of input) chunked.push(...byByte.push(Uint8Array.of(byte)))
  assert.deepEqual(chunked, whole)
  assert.deepEqual(frames(whole).map((f) => [f.number, f.checksumOk, f.offset]), [[1, true, 0], [2, true, crOnly.length], [3, true, crOnly.length + lfOnly.length]])
})

test('reader: control bytes, noise, bad checksum and malformed frames are reported with their offsets', () => {
  const good = Buffer.from(buildFrame(1, ascii('H|\\^&\r'), ETX))
  const bad = Buffer.from(good)
  bad[3] = 0x58 // corrupt the text: checksum no longer matches
  const input = Buffer.concat([Uint8Array.of(0x05), ascii('junk'), bad, ascii('\x029oops'), ascii('\x021abc\x03\n'), ascii('\x021ab'), good, Uint8Array.of(0x04)])
  const events = new FrameReader().push(input)
  const summary = events.map((e) => (e.kind === 'frame' ? `frame ${e.offset} ${e.checksumOk}` : e.kind === 'control' ? `control ${e.offset} ${e.byte}` : `${e.kind} ${e.offset}`))
  const badAt = 5
  const nineAt = badAt + bad.length
  assert.deepEqual(summary, [
    'control 0 5',
    'noise 1',
    `frame ${badAt} false`,
    `bad-frame ${nineAt}`, // frame number '9'
    `noise ${nineAt + 1}`, // "9oops" read outside a frame
    `bad-frame ${nineAt + 6}`, // ETX then LF: no checksum
    `bad-frame ${nineAt + 13}`, // STX before the frame ended
    `frame ${nineAt + 17} true`,
    `control ${nineAt + 17 + good.length} 4`,
  ])
  const reasons = events.filter((e) => e.kind === 'bad-frame').map((e) => e.reason)
  assert.match(reasons[0]!, /frame number byte 0x39 is not a digit 0-7/)
  assert.match(reasons[1]!, /ETX is not followed by two hex checksum digits \(got 0x0a/)
  assert.match(reasons[2]!, /STX at offset \d+ before its ETB or ETX/)
  const badFrame = events.find((e) => e.kind === 'frame' && !e.checksumOk)
  assert.ok(badFrame && badFrame.kind === 'frame' && badFrame.sent !== badFrame.computed)
})

test('reader: a frame longer than the cap is reported and skipped without being buffered', () => {
  const reader = new FrameReader({ maxFrameBytes: 1000 })
  const huge = buildFrame(1, new Uint8Array(5000).fill(0x41), ETX)
  const next = buildFrame(2, ascii('L|1|N\r'), ETX)
  const events = [...reader.push(huge), ...reader.push(next), ...reader.finish()]
  assert.deepEqual(events.map((e) => e.kind), ['bad-frame', 'frame'])
  assert.equal(events[0]!.kind === 'bad-frame' && events[0]!.code, 'NEVA_ASTM_FRAME_TOO_LONG')
  assert.ok(events[0]!.kind === 'bad-frame' && events[0]!.head.length <= 256)
  // Input that ends inside a frame.
  const cut = new FrameReader()
  cut.push(ascii('\x021H|'))
  assert.deepEqual(cut.finish().map((e) => e.kind), ['bad-frame'])
})
