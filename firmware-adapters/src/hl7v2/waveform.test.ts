// NA waveforms in an ORU^R01 (IHE PCD-01 with the Waveform Content Module): one NA OBX per ECG
// lead, samples "^"-separated, its sample rate and resolution as child OBX. Stored as waveform
// chunks sample for sample (counts × resolution = the value sent); what Neva cannot place in time
// or read is refused with the reason; fuzzed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { WaveformChunk, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeHl7 } from './decode.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const chunk = validator(WaveformChunk)
const msg = (...obx: string[]) => ['MSH|^~\\&|MON|ICU|||20261125115959||ORU^R01|w-1|P|2.6', 'PID|||p-1', 'OBR|1||x|69965^MDC_DEV_MON^MDC|||20261125115958', ...obx].join('\r')
const wave = (samples: string, { code = '131330^MDC_ECG_ELEC_POTL_II^MDC', unit = '266418^MDC_DIM_MILLI_VOLT^MDC', rate = '250', res = '', type = 'NA' } = {}) => [
  `OBX|1|${type}|${code}|1.1.1.1001|${samples}|${unit}|||||F|||20261125115958.000`,
  ...(rate !== '' ? [`OBX|2|NM|0^MDC_ATTR_SAMP_RATE^MDC|1.1.1.1001.1|${rate}|264608^MDC_DIM_PER_SEC^MDC|||||F`] : []),
  `OBX|3|NR|0^MDC_ATTR_DATA_RANGE^MDC|1.1.1.1001.2|-5.0^10.0|266418^MDC_DIM_MILLI_VOLT^MDC|||||F`,
  ...(res !== '' ? [`OBX|4|NM|2327^MDC_ATTR_NU_MSMT_RES^MDC|1.1.1.1001.3|${res}|266418^MDC_DIM_MILLI_VOLT^MDC|||||F`] : []),
]

test('an NA ECG lead is a waveform: samples in µV counts, the sample rate, the start time; its attributes are not readings', () => {
  const d = decodeHl7(msg(...wave('0.0^0.125^-0.5^1.25')), NOW)
  assert.deepEqual([d.problems, d.observations], [[], []])
  assert.equal(d.waveforms.length, 1)
  const w = d.waveforms[0]!
  assert.deepEqual([w.lead, w.mdc_code, w.sample_rate_hz, w.resolution_uv, w.samples, w.start_time, w.patient_id], ['II', 131330, 250, 1, [0, 125, -500, 1250], Date.UTC(2026, 10, 25, 11, 59, 58), 'p-1'])
  assert.ok(chunk.check({ ...w, gateway_id: 'g', seq: 1 }), chunk.explain({ ...w, gateway_id: 'g', seq: 1 }))
  assert.deepEqual(d.ignored.map((i) => i.code), ['NEVA_HL7V2_DEVICE_ENTRY', 'NEVA_HL7V2_DEVICE_ENTRY'])
  assert.equal(d.ack.code, 'AA')
})

test('the device\'s resolution is kept: counts × resolution give back every value sent', () => {
  const values = [0.005, -0.01, 0.0375, 2.5]
  const d = decodeHl7(msg(...wave(values.join('^'), { res: '0.0025' })), NOW)
  const w = d.waveforms[0]!
  assert.equal(w.resolution_uv, 2.5)
  assert.deepEqual(w.samples.map((s) => (s * w.resolution_uv) / 1000), values)
})

test('a long lead is split into whole-second chunks; the chunks put back together are the samples sent', () => {
  const n = 25_000
  const sent = Array.from({ length: n }, (_, i) => (Math.round(Math.sin(i / 20) * 1000) / 1000))
  const d = decodeHl7(msg(...wave(sent.join('^'), { rate: '360' })), NOW)
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.waveforms.map((w) => w.samples.length), [9720, 9720, 5560])
  assert.deepEqual(d.waveforms.map((w) => w.start_time - d.waveforms[0]!.start_time), [0, 27_000, 54_000])
  assert.deepEqual(d.waveforms.flatMap((w) => w.samples), sent.map((v) => Math.round(v * 1000) + 0))
})

test('what cannot be stored is refused with its reason; the readings around it are kept', () => {
  const hr = 'OBX|9|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.1.1|72|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||F'
  const cases: Array<[string[], RegExp]> = [
    [wave('1^2', { rate: '' }), /no MDC_ATTR_SAMP_RATE/],
    [wave('1^2', { rate: '0.5' }), /not a whole number of samples per second/],
    [wave('1^x^3'), /sample 2 "x" is not a number/],
    [wave('1^^3'), /sample 2 "" is not a number/],
    [wave('100'), /beyond ±32767/],
    [wave('1^2', { unit: '266016^MDC_DIM_MMHG^MDC' }), /not a unit of potential/],
    [wave('1^2', { code: '150452^MDC_PULS_OXIM_PLETH^MDC' }), /not an ECG lead/],
    [wave('1^2~3^4', { type: 'MA' }), /multiplexed array/],
  ]
  for (const [obx, reason] of cases) {
    const d = decodeHl7(msg(...obx, hr), NOW)
    assert.equal(d.waveforms.length, 0)
    assert.deepEqual(d.problems.map((p) => p.code), ['NEVA_HL7V2_BAD_WAVEFORM'], String(reason))
    assert.match(d.problems[0]!.reason, reason)
    assert.deepEqual(d.observations.map((o) => [o.name, o.value]), [['heart_rate', 72]])
  }
})

test('fuzz: any NA value, rate and unit never throws; every chunk is valid and one outcome per wave', () => {
  const sample = fc.oneof(fc.double({ min: -40, max: 40, noNaN: true }).map((v) => v.toFixed(4)), fc.constantFrom('', 'x', '1e3', '-', '+0.5'))
  fc.assert(fc.property(fc.array(sample, { minLength: 1, maxLength: 50 }).filter((s) => s.join('^') !== ''), fc.constantFrom('250', '500', '0', '-1', '1.5', 'x', '10001', ''), fc.constantFrom('266418^MDC_DIM_MILLI_VOLT^MDC', '^uV', 'mmHg', ''), (s, rate, unit) => {
    const d = decodeHl7(msg(...wave(s.join('^'), { rate, unit })), NOW)
    for (const w of d.waveforms) assert.ok(chunk.check({ ...w, gateway_id: 'g', seq: 1 }), chunk.explain({ ...w, gateway_id: 'g', seq: 1 }))
    assert.equal((d.waveforms.length > 0 ? 1 : 0) + d.problems.length, 1, JSON.stringify(d.problems))
  }), { numRuns: fuzzRuns() })
})
