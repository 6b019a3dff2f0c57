// The CTG line protocol: seconds gathered into chunks per signal, gaps kept as gaps, bad lines
// refused by name with the good ones around them kept; fuzzed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { WAVEFORM_MISSING, WaveformChunk, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { FirmwareErrorCode } from '../errors.js'
import { CtgLineDecoder } from './lines.js'

const NOW = Date.UTC(2026, 11, 3, 10, 20)
const iso = (s: number) => new Date(Date.UTC(2026, 11, 3, 10, 15, s)).toISOString()
const chunk = validator(WaveformChunk)
const bytes = (s: string) => Buffer.from(s, 'latin1')

test('PID then seconds of FHR, UA and MHR: one chunk per signal every 15 s, exact at 0.01', () => {
  const d = new CtgLineDecoder({ deviceId: 'fm-7' })
  let text = 'PID mother-17\r\n'
  for (let s = 0; s < 15; s++) text += `CTG ${iso(s)} FHR1=140,140.25,-,141 UA=12,12,13,13 MHR=88,88,88,88\r\n`
  const out = d.push(bytes(text), NOW)
  assert.deepEqual(out.problems, [])
  assert.deepEqual(out.waveforms!.map((w) => [w.lead, w.signal_kind, w.unit, w.sample_rate_hz, w.samples.length, w.patient_id, w.start_time]),
    [['FHR', 'fhr', 'bpm', 4, 60, 'mother-17', Date.parse(iso(0))], ['UC', 'uc', 'toco', 4, 60, 'mother-17', Date.parse(iso(0))], ['MHR', 'mhr', 'bpm', 4, 60, 'mother-17', Date.parse(iso(0))]])
  assert.deepEqual(out.waveforms![0]!.samples.slice(0, 4), [14000, 14025, WAVEFORM_MISSING, 14100])
  for (const w of out.waveforms!) assert.equal(chunk.explain({ ...w, gateway_id: 'g', seq: 1 }), undefined)
})

test('a time that does not follow on starts a new chunk; "-" follows on; a signal missing a second is a gap', () => {
  const d = new CtgLineDecoder({ deviceId: 'fm-7', patientId: 'bed-patient', secondsPerChunk: 60 })
  const a = d.push(bytes(`CTG ${iso(0)} FHR=140 UA=10\nCTG - FHR=141\nCTG ${iso(30)} FHR=150 UA=20\n`), NOW)
  assert.deepEqual(a.waveforms!.map((w) => [w.lead, w.samples, w.start_time, w.sample_rate_hz]), [['FHR', [14000, 14100], Date.parse(iso(0)), 1], ['UC', [1000, WAVEFORM_MISSING], Date.parse(iso(0)), 1]])
  const b = d.flush(NOW)
  assert.deepEqual(b.waveforms!.map((w) => [w.lead, w.samples, w.start_time]), [['FHR', [15000], Date.parse(iso(30))], ['UC', [2000], Date.parse(iso(30))]])
  // "-" after a chunk was written still follows on from the last line, not the clock.
  d.push(bytes('CTG - FHR=151\n'), NOW)
  assert.deepEqual(d.flush(NOW).waveforms!.map((w) => [w.lead, w.start_time]), [['FHR', Date.parse(iso(31))]])
})

test('bad lines refused by name, kept aside; no patient yet; the good lines around them stored', () => {
  const d = new CtgLineDecoder({ deviceId: 'fm-7', secondsPerChunk: 2 })
  const out = d.push(bytes(`CTG ${iso(0)} FHR=140\nPID mother-1\nhello\nCTG yesterday FHR=1\nCTG ${iso(0)} FHR=140 XX=1\nCTG ${iso(0)} FHR=140,141 UA=1\nCTG ${iso(0)} FHR=abc\nCTG ${iso(1)} FHR=141\nPID bad'id\n`), NOW)
  assert.deepEqual(out.problems.map((p) => p.code), [
    FirmwareErrorCode.NEVA_CTG_NO_PATIENT, FirmwareErrorCode.NEVA_CTG_BAD_LINE, FirmwareErrorCode.NEVA_CTG_BAD_LINE, FirmwareErrorCode.NEVA_CTG_BAD_LINE,
    FirmwareErrorCode.NEVA_CTG_BAD_LINE, FirmwareErrorCode.NEVA_CTG_BAD_SAMPLES, FirmwareErrorCode.NEVA_CTG_BAD_LINE,
  ])
  assert.match(out.problems[4]!.reason, /different sample counts/)
  assert.deepEqual(out.waveforms!.map((w) => [w.lead, w.samples]), [['FHR', [WAVEFORM_MISSING, 14100]]])
})

test('fuzz: any bytes → valid chunks or named problems, never a throw; a good line after garbage still decodes', () => {
  const ctgish = fc.array(fc.oneof(fc.constantFrom('CTG ', 'PID m1\n', `${iso(3)} `, 'FHR=', 'UA=', 'MHR=', '140', ',', '-', '\n', '\r', ' ', '=', '999', '.5'), fc.string({ maxLength: 8 })), { maxLength: 60 }).map((p) => p.join(''))
  fc.assert(fc.property(ctgish, fc.integer({ min: 1, max: 30 }), (text, per) => {
    const d = new CtgLineDecoder({ deviceId: 'fm-f', patientId: 'p', secondsPerChunk: per })
    const outs = [d.push(bytes(text), NOW), d.push(bytes(`\nCTG ${iso(59)} FHR=150\n`), NOW), d.flush(NOW)]
    for (const o of outs) for (const w of o.waveforms!) assert.equal(chunk.explain({ ...w, gateway_id: 'g', seq: 1 }), undefined)
    for (const o of outs) for (const p of o.problems) assert.match(p.code, /^NEVA_CTG_/)
    assert.ok(outs.flatMap((o) => o.waveforms!).some((w) => w.start_time === Date.parse(iso(59)) && w.samples[0] === 15000))
  }), { numRuns: fuzzRuns() })
})
