import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MllpDeframer, mllpFrame } from './mllp.js'

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1')
const bytes = (...parts: Array<string | Uint8Array>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)))

test('frames: 0x0B message 0x1C 0x0D, whatever the chunking', () => {
  assert.deepEqual([...mllpFrame('MSH|x')], [0x0b, ...Buffer.from('MSH|x'), 0x1c, 0x0d])
  const stream = bytes(mllpFrame('MSH|one\r'), mllpFrame('MSH|two\r'), mllpFrame('MSH|three\r'))
  for (const size of [1, 2, 3, 7, stream.length]) {
    const d = new MllpDeframer()
    const got: string[] = []
    for (let i = 0; i < stream.length; i += size) {
      const out = d.push(stream.subarray(i, i + size))
      assert.deepEqual(out.problems, [])
      got.push(...out.messages.map(text))
    }
    assert.deepEqual(got, ['MSH|one\r', 'MSH|two\r', 'MSH|three\r'], `chunks of ${size}`)
    assert.equal(d.buffered, 0)
  }
})

test('bytes outside a frame are one problem per run, with their stream offset; frames around them survive', () => {
  const d = new MllpDeframer()
  const first = d.push(bytes('junk', mllpFrame('MSH|a'), '\r\n', 'GET / HTTP/1.1'))
  assert.deepEqual([first.messages.map(text), first.offsets], [['MSH|a'], [4]])
  assert.deepEqual(first.problems.map((p) => [p.code, p.offset, p.payload]), [['NEVA_HL7V2_MLLP_GARBAGE', 0, 'junk'], ['NEVA_HL7V2_MLLP_GARBAGE', 14, 'GET / HTTP/1.1']])
  assert.equal(first.problems[0]!.reason, '4 bytes outside an MLLP frame at offset 0 (expected 0x0B)')
  const second = d.push(bytes('\x00\xff', mllpFrame('MSH|b')))
  assert.deepEqual(second.messages.map(text), ['MSH|b'])
  assert.deepEqual(second.problems.map((p) => [p.offset, p.payload]), [[28, '\\x00\\xff']])
})

test('a start block inside a frame restarts it; a frame too large is discarded up to its end; a missing CR is tolerated', () => {
  const d = new MllpDeframer({ maxFrameBytes: 16 })
  const out = d.push(bytes('\x0bMSH|cut', mllpFrame('MSH|ok'), '\x0b', 'x'.repeat(40), '\x1c\x0d', '\x0bMSH|no-cr\x1c', mllpFrame('MSH|next')))
  assert.deepEqual(out.messages.map(text), ['MSH|ok', 'MSH|no-cr', 'MSH|next'])
  assert.deepEqual(out.problems.map((p) => [p.code, p.offset]), [['NEVA_HL7V2_MLLP_RESTARTED', 0], ['NEVA_HL7V2_MLLP_FRAME_TOO_LARGE', 17]])
  assert.match(out.problems[0]!.reason, /frame started at offset 0 was cut short by a new start block at offset 8 after 7 bytes/)
  assert.equal(out.problems[0]!.payload, 'MSH|cut')
  assert.match(out.problems[1]!.reason, /exceeds 16 bytes/)
})

test('the stream ends inside a frame: reported; the deframer holds at most one frame', () => {
  const d = new MllpDeframer({ maxFrameBytes: 1000 })
  d.push(bytes('\x0bMSH|half'))
  assert.equal(d.buffered, 8)
  const [p] = d.end()
  assert.deepEqual([p!.code, p!.offset, p!.payload], ['NEVA_HL7V2_MLLP_TRUNCATED', 0, 'MSH|half'])
  assert.deepEqual(d.end(), [])
  for (let i = 0; i < 100; i++) d.push(bytes('\x0b', 'y'.repeat(500)))
  assert.ok(d.buffered <= 1000)
})
