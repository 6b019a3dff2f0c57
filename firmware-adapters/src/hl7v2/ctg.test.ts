// CTG as a central station sends it: NA arrays of FHR, UC, MHR in an ORU^R01, decoded into
// waveform drafts sample for sample; gaps stay gaps; bad samples are kept aside, the rest stored.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { WAVEFORM_MISSING, WaveformChunk, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeHl7 } from './decode.js'
import { encodeCtgOru } from './encode-ctg.js'
import { FirmwareErrorCode } from '../errors.js'

const NOW = Date.UTC(2026, 11, 3, 12)
const T0 = NOW - 60_000
const chunk = validator(WaveformChunk)
const oru = (signals: Parameters<typeof encodeCtgOru>[0]['signals'], extra: Partial<Parameters<typeof encodeCtgOru>[0]> = {}) =>
  encodeCtgOru({ controlId: 'ctg-1', time: T0, rateHz: 4, sendingApplication: 'FM-1', patientId: 'mother-1', location: { pointOfCare: 'LD', bed: '3' }, signals, ...extra })

test('FHR, UC and MHR arrays → one waveform draft each, values exact at 0.01 per count, gaps as gaps', () => {
  const fhr = [140, 140.25, 141.5, null, 0, 139.75]
  const d = decodeHl7(oru([{ signal: 'fhr', values: fhr }, { signal: 'uc', values: [10, 12.5, 30, 55, 40, 20] }, { signal: 'mhr', values: [88, 88, 89, 89, 90, 90] }]), NOW)
  assert.equal(d.ack.code, 'AA', d.ack.text)
  assert.deepEqual(d.problems, [])
  assert.equal(d.waveforms.length, 3)
  const [f, u, m] = d.waveforms
  assert.deepEqual([f!.lead, f!.signal_kind, f!.unit, f!.sample_rate_hz, f!.start_time, f!.patient_id, f!.device_id], ['FHR', 'fhr', 'bpm', 4, T0, 'mother-1', 'FM-1'])
  assert.deepEqual(f!.samples, [14000, 14025, 14150, WAVEFORM_MISSING, 0, 13975])
  assert.deepEqual([u!.lead, u!.signal_kind, u!.unit, u!.samples[1]], ['UC', 'uc', 'toco', 1250])
  assert.deepEqual([m!.lead, m!.signal_kind, m!.unit], ['MHR', 'mhr', 'bpm'])
  for (const w of d.waveforms) assert.equal(chunk.explain({ ...w, gateway_id: "gw", seq: 1 }), undefined)
  assert.deepEqual(d.observations, [])
  assert.ok(d.key, 'a resend is recognized by MSH-10')
})

test('a second twin (FHR2) and intrauterine pressure in mmHg; the rate from the SAMPLE_RATE OBX', () => {
  const d = decodeHl7(oru([{ signal: 'fhr', values: [150, 151] }, { signal: 'fhr2', values: [135, 136] }, { signal: 'uc', values: [22, 23], unit: 'mmHg' }], { rateHz: 2 }), NOW)
  assert.deepEqual(d.waveforms.map((w) => [w.lead, w.signal_kind, w.unit, w.sample_rate_hz]), [['FHR', 'fhr', 'bpm', 2], ['FHR2', 'fhr2', 'bpm', 2], ['UC', 'uc', 'mm[Hg]', 2]])
})

test('samples that are no number or out of range are gaps with one problem; the rest is stored (AE)', () => {
  const text = oru([{ signal: 'fhr', values: [140, 141] }, { signal: 'uc', values: [10, 11] }]).replace('140^141', '140^abc^999^141')
  const d = decodeHl7(text, NOW)
  assert.equal(d.ack.code, 'AE')
  assert.deepEqual(d.waveforms[0]!.samples, [14000, WAVEFORM_MISSING, WAVEFORM_MISSING, 14100])
  assert.equal(d.problems.length, 1)
  assert.equal(d.problems[0]!.code, FirmwareErrorCode.NEVA_CTG_BAD_SAMPLES)
  assert.match(d.problems[0]!.reason, /OBX 2 FHR: 2 of 4 samples not a number in 0–300 \(first at index 1\)/)
  assert.equal(d.waveforms[1]!.lead, 'UC')
})

test('a unit the signal cannot have, an array too long, a bad rate: refused by name, the other arrays kept', () => {
  const long = new Array(10_001).fill(140)
  const d = decodeHl7(oru([{ signal: 'fhr', values: [140], unit: 'mmHg' }, { signal: 'mhr', values: long }, { signal: 'uc', values: [10] }]), NOW)
  assert.deepEqual(d.problems.map((p) => p.code), [FirmwareErrorCode.NEVA_CTG_BAD_UNIT, FirmwareErrorCode.NEVA_CTG_TOO_MANY_SAMPLES])
  assert.deepEqual(d.waveforms.map((w) => w.lead), ['UC'])
  const r = decodeHl7(oru([{ signal: 'fhr', values: [140] }]).replace('|NM|SAMPLE_RATE^Sample rate^L||4|', '|NM|SAMPLE_RATE^Sample rate^L||0.5|'), NOW)
  assert.deepEqual(r.problems.map((p) => p.code), [FirmwareErrorCode.NEVA_CTG_BAD_RATE])
  assert.equal(r.waveforms[0]!.sample_rate_hz, 4, 'the default rate stays')
})

test('CTG without a patient is refused whole (a trace nobody can chart)', () => {
  const d = decodeHl7(oru([{ signal: 'fhr', values: [140] }]).replace('PID|||mother-1^^^^MR', 'PID|||'), NOW)
  assert.equal(d.ack.code, 'AR')
  assert.equal(d.waveforms.length, 0)
  assert.equal(d.problems[0]!.code, FirmwareErrorCode.NEVA_HL7V2_NO_PATIENT)
})

test('fuzz: random arrays decode to valid chunks or named problems, never a throw', () => {
  const value = fc.oneof(fc.double({ min: -50, max: 400, noNaN: true }), fc.constant(null), fc.constant(Number.NaN))
  fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 200 }), fc.array(value, { minLength: 1, maxLength: 200 }), (fhr, uc) => {
    const d = decodeHl7(oru([{ signal: 'fhr', values: fhr }, { signal: 'uc', values: uc }]), NOW)
    for (const w of d.waveforms) assert.ok(chunk.check({ ...w, gateway_id: 'gw', seq: 1 }))
    // An array of gaps only is an empty OBX-5: no samples, counted as ignored.
    assert.equal(d.waveforms.length + d.ignored.length, 2)
    for (const p of d.problems) assert.equal(p.code, FirmwareErrorCode.NEVA_CTG_BAD_SAMPLES)
  }), { numRuns: fuzzRuns() })
  // Mutated bytes: never a throw, every draft valid.
  const good = Buffer.from(oru([{ signal: 'fhr', values: [140, 141, 142] }, { signal: 'uc', values: [5, 6, 7] }]))
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
    const b = Buffer.from(good)
    for (const [i, v] of edits) b[i] = v
    const d = decodeHl7(b, NOW)
    for (const w of d.waveforms) assert.ok(chunk.check({ ...w, gateway_id: 'gw', seq: 1 }), JSON.stringify(w).slice(0, 300))
  }), { numRuns: fuzzRuns() })
})
