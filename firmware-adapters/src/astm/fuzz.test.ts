// Fuzzing the ASTM adapter: arbitrary bytes into the capture decoder and the receiver, good
// messages next to garbage, and random results through encoder, frames and decoder. Nothing
// throws, output stays within bounds and valid, and garbage never costs a good message.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { LabResult, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeAstmCapture } from './capture.js'
import { decodeAstmMessage } from './decode.js'
import { encodeAstmMessage, type AstmResultInput } from './encode.js'
import { ACK, ENQ, EOT, ETB, ETX, NAK, STX, frameAstmMessage } from './frames.js'
import { AstmReceiver } from './receiver.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const OPTIONS = { deviceId: 'fuzz-lab', receivedTime: NOW, defaultUtcOffsetMinutes: 0 }
const labResult = validator(LabResult)
const valid = (r: object) => labResult.check({ gateway_id: 'g', seq: 1, ...r })

/** Bytes that look like ASTM often enough to reach deep states: control bytes, digits, delimiters. */
const astmish = fc.uint8Array({ maxLength: 3000, size: 'large' }).chain((noise) =>
  fc.array(fc.oneof(
    fc.constantFrom(STX, ETX, ETB, EOT, ENQ, ACK, NAK, 0x0d, 0x0a),
    fc.constantFrom(...Buffer.from('0123456789ABCDEF|\\^&HPORCLMQ')),
    fc.integer({ min: 0, max: 255 }),
  ), { maxLength: 400, size: 'large' }).map((picked) => Buffer.concat([noise.subarray(0, noise.length >> 1), Uint8Array.from(picked), noise.subarray(noise.length >> 1)])),
)

const text = (max: number) => fc.string({ unit: fc.constantFrom(...'abcXYZ019 .-<>|^\\&é/'), minLength: 1, maxLength: max }).map((s) => s.trim()).filter((s) => s.length > 0)
/** Sample and patient ids within the id rule (contracts/src/ids.ts): no backslash, quote or non-ASCII. */
const idText = (max: number) => fc.string({ unit: fc.constantFrom(...'abcXYZ019 .-<>|^&/'), minLength: 1, maxLength: max }).map((s) => s.trim()).filter((s) => s.length > 0)
const result: fc.Arbitrary<AstmResultInput> = fc.record({
  test_code: fc.constantFrom('GLU', 'K', 'NA', 'CRP', 'WBC', 'X-1'),
  value: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => Math.round(v * 100) / 100), text(40)),
  unit: text(12),
  reference_range: text(20),
  abnormal_flag: fc.constantFrom('N', 'H', 'L', 'HH', null),
  result_time: fc.option(fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2030, 0, 1) / 1000 }).map((s) => s * 1000), { nil: null }),
  comments: fc.array(text(60), { maxLength: 3 }),
})
const message = fc.record({
  patient: fc.option(idText(20), { nil: null }),
  order: idText(20),
  results: fc.array(result, { minLength: 1, maxLength: 12 }),
})

test('fuzz: arbitrary bytes into the capture decoder never throw; output is bounded and valid', () => {
  fc.assert(
    fc.property(astmish, (bytes) => {
      const d = decodeAstmCapture(bytes, OPTIONS)
      for (const r of d.labResults) assert.ok(valid(r), JSON.stringify(r))
      assert.ok(d.problems.length <= 1001)
      for (const p of [...d.problems, ...d.ignored]) assert.ok(p.reason.length > 0 && p.payload.length <= 65_536 && (p.offset ?? 0) <= bytes.length)
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: arbitrary chunks into the receiver never throw; it writes only ACK or NAK, and messages stay under the cap', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(astmish, fc.integer({ min: 0, max: 40_000 })), { maxLength: 6 }), (steps) => {
      const rx = new AstmReceiver({ maxMessageBytes: 4096 })
      let now = NOW
      let id = 0
      for (const [bytes, dt] of steps) {
        now += dt
        for (const out of [rx.receive(bytes, now), rx.tick(now)]) {
          for (const w of out.write) assert.ok(w.length === 1 && (w[0] === ACK || w[0] === NAK))
          for (const m of out.messages) {
            assert.ok(m.bytes.length <= 4096)
            id = m.id
            decodeAstmMessage(m.bytes, OPTIONS)
          }
        }
        if (id) rx.ack(id, dt % 2 === 0, now)
      }
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: a good message between garbage still decodes whole, in a capture and on a live line', () => {
  fc.assert(
    fc.property(message, astmish, astmish, fc.integer({ min: 1, max: 64 }), (m, before, after, chunk) => {
      const body = encodeAstmMessage({ time: NOW, patients: [{ patient_id: m.patient, orders: [{ order_id: m.order, results: m.results }] }] })
      const frames = frameAstmMessage(body)
      const expected = decodeAstmMessage(body, OPTIONS).labResults
      assert.equal(expected.length, m.results.length)

      // Capture: garbage, then the frames, then garbage.
      const d = decodeAstmCapture(Buffer.concat([before, ...frames, after]), OPTIONS)
      const found = d.labResults.filter((r) => r.order_id === expected[0]!.order_id && r.patient_id === expected[0]!.patient_id)
      assert.deepEqual(found.slice(0, expected.length), expected)

      // Live: garbage in idle, then a session, fed in small chunks.
      const rx = new AstmReceiver()
      const line = Buffer.concat([before.filter((b) => b !== ENQ), Uint8Array.of(EOT, ENQ), ...frames])
      const got: Uint8Array[] = []
      for (let i = 0; i < line.length; i += chunk) {
        for (const msg of rx.receive(line.subarray(i, i + chunk), NOW).messages) {
          got.push(msg.bytes)
          rx.ack(msg.id, true, NOW)
        }
      }
      assert.equal(got.length, 1)
      assert.deepEqual(decodeAstmMessage(got[0]!, OPTIONS).labResults, expected)
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: round trip of random results through encoder, frames and capture decoder', () => {
  fc.assert(
    fc.property(message, (m) => {
      const time = NOW - 60_000
      const body = encodeAstmMessage({ time, patients: [{ patient_id: m.patient, orders: [{ order_id: m.order, results: m.results }] }] })
      const d = decodeAstmCapture(Buffer.concat(frameAstmMessage(body)), OPTIONS)
      assert.deepEqual(d.problems, [])
      assert.deepEqual(d.labResults.map((r) => [r.patient_id, r.order_id, r.test_code, r.value, r.unit, r.reference_range, r.abnormal_flag, r.result_time, r.comments]),
        m.results.map((r) => [m.patient, m.order, r.test_code, String(r.value), r.unit, r.reference_range, r.abnormal_flag, r.result_time, r.comments]))
      for (const r of d.labResults) assert.ok(valid(r))
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: a sample id outside the id rule is kept aside (NEVA_DECODE_BAD_ID), never stored', () => {
  fc.assert(
    fc.property(message, fc.constantFrom("\\", "'", '"', '`', ';', '\u00e9'), (m, bad) => {
      const order = `${m.order}${bad}x`
      const body = encodeAstmMessage({ time: NOW - 60_000, patients: [{ patient_id: m.patient, orders: [{ order_id: order, results: m.results }] }] })
      const d = decodeAstmCapture(Buffer.concat(frameAstmMessage(body)), OPTIONS)
      assert.deepEqual(d.labResults, [])
      assert.equal(d.problems.length, m.results.length)
      assert.ok(d.problems.every((p) => p.code === 'NEVA_DECODE_BAD_ID' && /order_id/.test(p.reason)))
    }),
    { numRuns: fuzzRuns() },
  )
})
