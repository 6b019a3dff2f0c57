// Version 2 chunks: any lead set a recording has (MIT-BIH's MLII and V5, PTB's 15 leads with
// Frank's vx vy vz) at any rate, named in a lead table; round trips, refusals, and fuzz.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { ECG_LEAD_MDC, ECG_LEAD_UNSPECIFIED_MDC, WaveformChunk, standardLead, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { ECG_ERRORS, FirmwareErrorCode } from '../errors.js'
import { decodeEcgMessage, encodeEcgChunk } from './index.js'

const NOW = Date.UTC(2026, 11, 3, 12)
const TOPIC = 'neva/v1/devices/amb-1-tablet/ecg'
const waveform = validator(WaveformChunk)
const ramp = (n: number, k: number) => Int16Array.from({ length: n }, (_, i) => ((i * 37 + k * 101) % 4000) - 2000)

test('MLII and V5 at 360 Hz: version 2, names kept, V5 its MDC code, MLII MDC_ECG_ELEC_POTL', () => {
  const payload = encodeEcgChunk({ patientId: 'p-100', startTime: NOW - 1000, sampleRateHz: 360, resolutionUv: 5, leads: { MLII: ramp(360, 0), V5: ramp(360, 1) } })
  assert.equal(payload[4], 2)
  const d = decodeEcgMessage(TOPIC, payload, NOW)
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.waveforms!.map((w) => [w.lead, w.mdc_code, w.sample_rate_hz, w.resolution_uv]), [['MLII', ECG_LEAD_UNSPECIFIED_MDC, 360, 5], ['V5', ECG_LEAD_MDC.V5, 360, 5]])
  assert.deepEqual(d.waveforms![0]!.samples, [...ramp(360, 0)])
})

test('15 PTB leads at 1000 Hz: standard names in any case are spelled the standard way, Frank leads kept', () => {
  const names = ['i', 'ii', 'iii', 'avr', 'avl', 'avf', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'vx', 'vy', 'vz']
  const leads = Object.fromEntries(names.map((l, k) => [l, ramp(1000, k)]))
  const d = decodeEcgMessage(TOPIC, encodeEcgChunk({ patientId: 'p-ptb', startTime: NOW - 1000, sampleRateHz: 1000, resolutionUv: 0.5, leads }), NOW)
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.waveforms!.map((w) => w.lead), ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'vx', 'vy', 'vz'])
  for (const w of d.waveforms!) assert.ok(waveform.check({ ...w, gateway_id: 'gw', seq: 1 }), waveform.explain({ ...w, gateway_id: 'gw', seq: 1 }))
})

test('version 2 refusals: a mask beside names, a bad name, a lead named twice', () => {
  const good = encodeEcgChunk({ patientId: 'p', startTime: NOW, sampleRateHz: 250, resolutionUv: 1, leads: { MLII: [1, 2], V5: [3, 4] } })
  const reseal = (b: Buffer) => (b.writeUInt32LE(crc32(b.subarray(0, b.length - 4)), b.length - 4), b)
  const masked = reseal(Buffer.from(good).fill(1, 6, 7))
  assert.match(decodeEcgMessage(TOPIC, masked, NOW).problems[0]!.reason, /lead mask 0x1 in a version 2 chunk/)
  const at = good.indexOf('V5')
  const repeated = Buffer.from(good)
  repeated.write('ML', at, 'ascii') // "ML" is not "MLII": a different, valid name
  assert.deepEqual(decodeEcgMessage(TOPIC, reseal(repeated), NOW).problems, [])
  const bad = Buffer.from(good)
  bad.write('V;', at, 'ascii')
  const p = decodeEcgMessage(TOPIC, reseal(bad), NOW).problems[0]!
  assert.equal(p.code, FirmwareErrorCode.NEVA_ECG_BAD_HEADER)
  assert.match(p.reason, /lead name "V;"/)
  const twice = Buffer.from(encodeEcgChunk({ patientId: 'p', startTime: NOW, sampleRateHz: 250, resolutionUv: 1, leads: { MLII: [1, 2], v5: [3, 4], V6: [0, 0] } }))
  twice.write('V5', twice.indexOf('V6'), 'ascii') // "v5" and "V5" are the same lead
  assert.match(decodeEcgMessage(TOPIC, reseal(twice), NOW).problems[0]!.reason, /repeat a lead/)
  assert.throws(() => encodeEcgChunk({ patientId: 'p', startTime: NOW, sampleRateHz: 250, resolutionUv: 1, leads: { 'a b': [1] } }), RangeError)
})

const named = fc.record({
  names: fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9_+-]{1,16}$/), { minLength: 1, maxLength: 16, selector: (s) => s.toLowerCase() }).filter((a) => a.some((l) => !['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'].includes(l))),
  n: fc.integer({ min: 1, max: 200 }),
  rate: fc.integer({ min: 1, max: 10_000 }),
  seed: fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: 1, maxLength: 32 }),
})

test('property: named chunks round-trip; corrupted ones (resealed or not) never throw nor yield an invalid waveform', () => {
  fc.assert(fc.property(named, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.boolean(), ({ names, n, rate, seed }, edits, reseal) => {
    const leads = Object.fromEntries(names.map((l, k) => [l, Array.from({ length: n }, (_, i) => seed[(i + k) % seed.length]!)]))
    const bytes = Buffer.from(encodeEcgChunk({ patientId: 'p-1', startTime: NOW - 1000, sampleRateHz: rate, resolutionUv: 2.5, leads }))
    const ok = decodeEcgMessage(TOPIC, bytes, NOW)
    assert.deepEqual(ok.problems, [])
    assert.equal(ok.waveforms!.length, names.length)
    // Matched by name: an object puts integer-like keys ("0") first, so the order is the object's.
    for (const w of ok.waveforms!) assert.deepEqual(w.samples, leads[names.find((l) => (standardLead(l) ?? l) === w.lead)!])
    for (const [at, v] of edits) bytes[at % bytes.length] = v
    if (reseal) bytes.writeUInt32LE(crc32(bytes.subarray(0, bytes.length - 4)), bytes.length - 4)
    const d = decodeEcgMessage(TOPIC, bytes, NOW)
    if (d.problems.length > 0) {
      assert.equal(d.problems.length, 1)
      assert.ok(Object.hasOwn(ECG_ERRORS, d.problems[0]!.code))
      assert.equal(d.waveforms, undefined)
    } else for (const w of d.waveforms!) assert.ok(waveform.check({ ...w, gateway_id: 'gw', seq: 1 }))
  }), { numRuns: fuzzRuns() })
})
