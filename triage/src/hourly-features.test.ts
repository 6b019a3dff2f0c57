import { test } from 'node:test'
import assert from 'node:assert/strict'
import { calibrate } from './calibration.js'
import { acvpuToGcs, extractHourlyFeatures, gcsToAcvpu, HOURLY_FEATURES, worstNews2, type HourlyObservation } from './hourly-features.js'

const col = (name: string) => {
  const i = HOURLY_FEATURES.findIndex((f) => f.name === name)
  assert.ok(i >= 0, name)
  return i
}
const obs: HourlyObservation[] = [
  { minute: 10, parameter: 'pulse', value: 80 },
  { minute: 70, parameter: 'pulse', value: 100 },
  { minute: 130, parameter: 'pulse', value: 120 },
  { minute: 130, parameter: 'gcs', value: 14 },
  { minute: 200, parameter: 'lactate', value: 4.2 },
]

test('names are unique and the vector has one value per feature', () => {
  assert.equal(new Set(HOURLY_FEATURES.map((f) => f.name)).size, HOURLY_FEATURES.length)
  assert.equal(extractHourlyFeatures(obs, 180, 70).length, HOURLY_FEATURES.length)
})

test('missing stays missing: NaN values, indicator 1, count 0; never zero', () => {
  const x = extractHourlyFeatures(obs, 180, null)
  for (const name of ['platelets_latest', 'platelets_min_24h', 'platelets_mean', 'age', 'ventilated_latest']) assert.ok(Number.isNaN(x[col(name)]), name)
  assert.equal(x[col('platelets_missing')], 1)
  assert.equal(x[col('platelets_count')], 0)
  assert.equal(x[col('age_missing')], 1)
  assert.equal(x[col('pulse_missing')], 0)
})

test('only what was recorded up to `now` counts', () => {
  const x = extractHourlyFeatures(obs, 180, 70)
  assert.ok(Number.isNaN(x[col('lactate_latest')]), 'lactate at 200 min is after now')
  assert.equal(x[col('lactate_missing')], 1)
  assert.equal(x[col('pulse_latest')], 120)
  assert.equal(x[col('pulse_count')], 3)
  assert.equal(x[col('pulse_max_1h')], 120)
  assert.equal(x[col('pulse_min_6h')], 80)
  assert.equal(x[col('pulse_trend_6h')], 40)
  assert.ok(Number.isNaN(x[col('pulse_sd_6h')]) === false)
  assert.equal(x[col('hours')], 3)
  assert.equal(x[col('acvpu_alert')], 0)
  const later = extractHourlyFeatures(obs, 240, 70)
  assert.equal(later[col('lactate_latest')], 4.2)
})

test('GCS maps to ACVPU; worst NEWS2 counts carried values', () => {
  assert.deepEqual([15, 14, 13, 12, 9, 8, 4, 3].map(gcsToAcvpu), ['A', 'C', 'C', 'V', 'V', 'P', 'P', 'U'])
  for (const a of ['A', 'C', 'V', 'P', 'U'] as const) assert.equal(gcsToAcvpu(acvpuToGcs(a)), a)
  // pulse 120 → 2, GCS 14 (C) → 3
  assert.equal(worstNews2(obs, 180), 5)
  assert.ok(Number.isNaN(worstNews2([], 100)))
})

test('calibration interpolates between breakpoints and clips outside', () => {
  const c = { x: [0.1, 0.5, 0.9], y: [0, 0.4, 1] }
  assert.equal(calibrate(0, c), 0)
  assert.equal(calibrate(1, c), 1)
  assert.ok(Math.abs(calibrate(0.3, c) - 0.2) < 1e-12)
  assert.ok(Number.isNaN(calibrate(NaN, c)))
})
