import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ECG_LEADS } from '@neva/contracts'
import { EcgGenerator } from './ecg.js'

const RATE = 500
const MV = 1000 / 2.5 // counts per millivolt at the default resolution

/** R peaks of a lead: upward crossings of half its maximum, 200 ms refractory. */
function rPeaks(samples: Int16Array): number[] {
  const threshold = Math.max(...samples) / 2
  const peaks: number[] = []
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1]! < threshold && samples[i]! >= threshold && (peaks.length === 0 || i - peaks[peaks.length - 1]! > 0.2 * RATE)) peaks.push(i)
  }
  return peaks
}

test('the trace is seeded, and continues seamlessly from chunk to chunk', () => {
  const a = new EcgGenerator({ seed: 7 }).next(1000, 75)
  const b = new EcgGenerator({ seed: 7 })
  const first = b.next(400, 75)
  const second = b.next(600, 75)
  for (const lead of ECG_LEADS) assert.deepEqual([...first[lead], ...second[lead]], [...a[lead]], lead)
  assert.notDeepEqual([...new EcgGenerator({ seed: 8 }).next(1000, 75).II], [...a.II])
})

test('limb leads keep the Einthoven and Goldberger relations sample by sample', () => {
  const s = new EcgGenerator({ seed: 'relations' }).next(5 * RATE, 90)
  for (let i = 0; i < s.I.length; i++) {
    const [I, II] = [s.I[i]!, s.II[i]!]
    assert.equal(s.III[i], II - I)
    assert.ok(Math.abs(s.aVR[i]! + (I + II) / 2) <= 0.5)
    assert.ok(Math.abs(s.aVL[i]! - (I - II / 2)) <= 0.5)
    assert.ok(Math.abs(s.aVF[i]! - (II - I / 2)) <= 0.5)
  }
})

test('the beats come at the heart rate asked for', () => {
  for (const hr of [45, 72, 130]) {
    const peaks = rPeaks(new EcgGenerator({ seed: hr }).next(20 * RATE, hr).II)
    const intervals = peaks.slice(1).map((p, i) => (p - peaks[i]!) / RATE)
    const mean = intervals.reduce((a, b) => a + b, 0) / intervals.length
    assert.ok(Math.abs(60 / mean - hr) < 0.05 * hr, `asked ${hr}/min, got ${(60 / mean).toFixed(1)}/min`)
  }
})

test('shapes look like a normal 12-lead ECG: upright R in II and V6, negative QRS in aVR and V1, P before R', () => {
  const s = new EcgGenerator({ seed: 'shape', noiseUv: 0 }).next(10 * RATE, 60)
  const max = (lead: keyof typeof s) => Math.max(...s[lead]) / MV
  const min = (lead: keyof typeof s) => Math.min(...s[lead]) / MV
  assert.ok(max('II') > 0.9 && max('II') < 2.5, `R in II ${max('II')} mV`)
  assert.ok(min('aVR') < -0.6, `aVR ${min('aVR')} mV`)
  assert.ok(min('V1') < -0.8 && max('V1') < 0.5, `V1 ${min('V1')}…${max('V1')} mV`)
  assert.ok(max('V6') > 0.9, `R in V6 ${max('V6')} mV`)
  // P wave: a small positive bump about 160 ms before each R in lead II.
  for (const r of rPeaks(s.II).slice(1, -1)) {
    const p = s.II[r - Math.round(0.16 * RATE)]! / MV
    const baseline = s.II[r - Math.round(0.3 * RATE)]! / MV
    assert.ok(p - baseline > 0.08 && p - baseline < 0.3, `P ${p - baseline} mV`)
  }
})
