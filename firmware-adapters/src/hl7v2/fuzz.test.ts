// Fuzzing: the decoder, the deframer and the ACK builder never throw, stay within bounds, and a
// good message next to garbage still decodes. `NEVA_FUZZ_RUNS=100000 make test ARGS=hl7v2/fuzz`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { fuzzRuns } from '../fuzz-runs.js'
import { buildAck } from './ack.js'
import { decodeHl7 } from './decode.js'
import { Alarm, validator } from '@neva/contracts'
import { encodeOruR01 } from './encode.js'
import { encodeOruR40 } from './encode-alarm.js'
import { MllpDeframer, mllpFrame } from './mllp.js'
import { parseHl7 } from './parse.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const GOOD = encodeOruR01({
  controlId: 'c-1', time: NOW - 1000, sendingApplication: 'SIM', patientId: 'p1', equipmentId: 'bed-1', location: { pointOfCare: 'W', bed: '1' },
  readings: [{ vital: 'spo2', value: 97 }, { vital: 'heart_rate', value: 72 }, { vital: 'nibp_systolic', value: 120, time: NOW - 60_000 }],
})
const GOOD_BYTES = Buffer.from(GOOD)
const ALARM_BYTES = Buffer.from(encodeOruR40({
  controlId: 'a-1', time: NOW - 1000, sendingApplication: 'SIM', patientId: 'p1', equipmentId: 'bed-1', location: { pointOfCare: 'W', bed: '1' }, alertId: 'al-1',
  event: { code: 196670, name: 'MDC_EVT_LO', text: 'SpO2 low' }, vital: 'spo2', value: 85, limits: { low: 90, high: 100 }, priority: 'high', alertType: 'physiological', phase: 'start', state: 'active',
}))
const alarmContract = validator(Alarm)
const LIMITS = { maxMessageBytes: 4096, maxSegments: 64 }

/** Bytes HL7 and MLLP give meaning to, so that random input reaches the parser's corners. */
const hl7ish = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(...[...'|^~\\&\r\n0123456789.-+'].map((c) => c.charCodeAt(0)), 0x0b, 0x1c),
    fc.constantFrom(...['MSH|^~\\&|', 'PID|||p', 'OBX|1|NM|150456^^MDC||', 'OBR|1', '\\X41\\', '\\F\\', 'ORU^R01', '\x0b', '\x1c\r'].map((s) => [...Buffer.from(s)])),
  ),
  { maxLength: 600 },
).map((parts) => Buffer.from(parts.flat()))

/** A good message with a few bytes overwritten or inserted. */
const mutate = (good: Buffer) => fc.array(fc.tuple(fc.nat(good.length), fc.integer({ min: 0, max: 255 }), fc.boolean()), { minLength: 1, maxLength: 8 }).map((edits) => {
  let b = Buffer.from(good)
  for (const [at, byte, insert] of edits) b = insert ? Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]) : (b[Math.min(at, b.length - 1)] = byte, b)
  return b
})
const mutated = mutate(GOOD_BYTES)

test('decodeHl7 never throws and stays within bounds on any input', () => {
  fc.assert(
    fc.property(fc.oneof(hl7ish, mutated, fc.uint8Array({ maxLength: 5000 })), (input) => {
      const d = decodeHl7(input, NOW, LIMITS)
      const segments = input.length === 0 ? 0 : Buffer.from(input).toString('latin1').split(/[\r\n]+/).length
      assert.ok(d.observations.length + d.labResults.length + d.problems.length + d.ignored.length <= segments + 1)
      assert.ok(['AA', 'AE', 'AR'].includes(d.ack.code))
      for (const p of d.problems) assert.ok(p.payload.length <= 65536 && p.reason.length > 0)
      // Whatever came in, the sender gets an ACK the parser can read.
      const ack = parseHl7(buildAck(d.message ?? input, d.ack.code, d.ack.text, { controlId: 'n', time: NOW })).message
      assert.equal(ack?.segment('MSA')?.value(1), d.ack.code)
    }),
    { numRuns: fuzzRuns() },
  )
})

test('ORU^R40: any mutation of an alert decodes without throwing; every alarm it yields fits the contract, or is refused', () => {
  const tokens = fc.constantFrom('|', '^', '&', '~', '\\', '\r', 'OBX|9|ST|68481^MDC_ATTR_EVENT_PHASE^MDC|1.0.0.1.3|end', 'OBR|2', '""', 'PH', 'MDC_EVT_', '.1', '99999999999')
  const spliced = fc.tuple(fc.nat(ALARM_BYTES.length), fc.array(tokens, { maxLength: 6 })).map(([at, ins]) => Buffer.concat([ALARM_BYTES.subarray(0, at), Buffer.from(ins.join('')), ALARM_BYTES.subarray(at)]))
  fc.assert(
    fc.property(fc.oneof(mutate(ALARM_BYTES), spliced), (input) => {
      const d = decodeHl7(input, NOW, LIMITS)
      assert.ok(['AA', 'AE', 'AR'].includes(d.ack.code))
      assert.ok(d.alarms.length <= Buffer.from(input).toString('latin1').split('OBR').length)
      for (const a of d.alarms) assert.ok(alarmContract.check({ ...a, gateway_id: 'gw', seq: 1 }), alarmContract.explain({ ...a, gateway_id: 'gw', seq: 1 }))
    }),
    { numRuns: fuzzRuns() },
  )
})

test('an over-long input is refused quickly, never buffered whole', () => {
  const started = performance.now()
  const d = decodeHl7(Buffer.alloc(8 * 1024 * 1024, 0x41), NOW)
  assert.deepEqual([d.ack.code, d.problems[0]!.code], ['AR', 'NEVA_HL7V2_TOO_LARGE'])
  assert.ok(d.problems[0]!.payload.length <= 4096)
  assert.ok(performance.now() - started < 1000)
})

test('MLLP: garbage around a good frame, at any chunking, never loses the frame; the deframer stays bounded', () => {
  const noDelimiters = fc.uint8Array({ maxLength: 300 }).map((b) => b.filter((x) => x !== 0x0b && x !== 0x1c))
  fc.assert(
    fc.property(hl7ish, noDelimiters, noDelimiters, fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }), (noise, before, after, cuts) => {
      const d = new MllpDeframer({ maxFrameBytes: 8192 })
      // Noise first: whatever it leaves open, an end block closes (its frame, if any, is its own).
      const stream = Buffer.concat([noise, Buffer.from([0x1c, 0x0d]), before, mllpFrame(GOOD_BYTES), after])
      const messages: Uint8Array[] = []
      let at = 0
      for (let i = 0; at < stream.length; i++) {
        const size = cuts[i % cuts.length]!
        const out = d.push(stream.subarray(at, at + size))
        messages.push(...out.messages)
        for (const p of out.problems) assert.ok(p.offset! >= 0 && p.offset! < stream.length)
        assert.ok(d.buffered <= 8192)
        at += size
      }
      d.end()
      const good = messages.filter((m) => Buffer.from(m).equals(GOOD_BYTES))
      assert.equal(good.length, 1)
      const decoded = decodeHl7(good[0]!, NOW)
      assert.deepEqual([decoded.ack.code, decoded.observations.length], ['AA', 3])
    }),
    { numRuns: fuzzRuns() },
  )
})
