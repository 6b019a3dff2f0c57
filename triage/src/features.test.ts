import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { FEATURES, FEATURE_SET, PatientHistory, extractFeatures, featureIndex, normalize } from './features.js'

const MIN = 60_000
const at = (x: Float64Array, name: string) => x[featureIndex(name)]!

test('feature names are unique, schema-safe and about 30', () => {
  assert.equal(FEATURE_SET, 'v1')
  const names = FEATURES.map((f) => f.name)
  assert.equal(new Set(names).size, names.length)
  for (const n of names) assert.match(n, /^[a-z0-9_]+$/)
  assert.ok(FEATURES.length >= 25 && FEATURES.length <= 35)
})

test('an empty history: every measurement NaN with its indicator at 1, never 0', () => {
  const x = extractFeatures(new PatientHistory(), 10 * MIN)
  for (const name of ['respiratory_rate', 'spo2', 'systolic_bp', 'pulse', 'temperature', 'on_oxygen', 'alert', 'vpu', 'age', 'shock_index', 'pulse_delta_5m']) {
    assert.ok(Number.isNaN(at(x, name)), `${name} is ${at(x, name)}`)
  }
  for (const f of FEATURES.filter((f) => f.name.endsWith('_missing'))) assert.equal(at(x, f.name), 1, f.name)
})

test('latest values, oxygen, ACVPU, shock index and trends', () => {
  const h = new PatientHistory()
  h.age = 71
  for (let m = 0; m <= 15; m++) {
    h.add('pulse', 80 + 2 * m, m * MIN)
    h.add('spo2', 97, m * MIN)
    h.add('on_oxygen', m >= 10, m * MIN)
    if (m % 5 === 0) h.add('systolic_bp', 130 - m, m * MIN)
  }
  h.add('consciousness', 'C', 15 * MIN)
  const x = extractFeatures(h, 15 * MIN)
  assert.equal(at(x, 'pulse'), 110)
  assert.equal(at(x, 'systolic_bp'), 115)
  assert.equal(at(x, 'on_oxygen'), 1)
  assert.equal(at(x, 'alert'), 0)
  assert.equal(at(x, 'vpu'), 0)
  assert.equal(at(x, 'age'), 71)
  assert.equal(at(x, 'age_missing'), 0)
  assert.ok(Math.abs(at(x, 'shock_index') - 110 / 115) < 1e-12)
  // Recent mean (minutes 13–15: 106, 108, 110) minus the mean around minute 10 (9–11: 98, 100, 102).
  assert.equal(at(x, 'pulse_delta_5m'), 108 - 100)
  // Minute 0 ± 1: only minutes 0 and 1 are kept (80, 82).
  assert.equal(at(x, 'pulse_delta_15m'), 108 - 81)
  assert.equal(at(x, 'systolic_bp_delta_15m'), 115 - 130)
  assert.equal(at(x, 'spo2_delta_5m'), 0)
  assert.equal(at(x, 'trend_15m_missing'), 0)
  assert.ok(Number.isNaN(at(x, 'respiratory_rate')))
  assert.equal(at(x, 'respiratory_rate_missing'), 1)
  // An explicit age argument wins, null included.
  assert.ok(Number.isNaN(at(extractFeatures(h, 15 * MIN, null), 'age')))
})

test('readings older than 16 minutes are forgotten', () => {
  const h = new PatientHistory()
  h.add('temperature', 38.5, 0)
  h.add('pulse', 90, 20 * MIN)
  const x = extractFeatures(h, 20 * MIN)
  assert.ok(Number.isNaN(at(x, 'temperature')))
  assert.equal(at(x, 'temperature_missing'), 1)
  assert.equal(h.readings('temperature').length, 0)
})

test('a reading of 0 stays 0 and a missing one stays NaN (property)', () => {
  fc.assert(fc.property(
    fc.array(fc.record({ p: fc.constantFrom('respiratory_rate', 'spo2', 'systolic_bp', 'pulse', 'temperature') as fc.Arbitrary<'pulse'>, v: fc.integer({ min: 0, max: 2500 }).map((v) => v / 10), t: fc.integer({ min: 0, max: 20 * MIN }) })),
    (readings) => {
      const h = new PatientHistory()
      for (const r of readings) h.add(r.p, r.v, r.t)
      const x = extractFeatures(h, 20 * MIN)
      for (const p of ['respiratory_rate', 'spo2', 'systolic_bp', 'pulse', 'temperature']) {
        const missing = at(x, `${p}_missing`)
        assert.equal(missing, Number.isNaN(at(x, p)) ? 1 : 0)
      }
      for (const f of FEATURES) if (f.name.endsWith('_missing')) assert.ok(at(x, f.name) === 0 || at(x, f.name) === 1)
    },
  ))
})

test('normalize imputes missing values with the manifest value, then standardizes', () => {
  const spec = [{ mean: 10, std: 2, impute: 12 }, { mean: 0, std: 1, impute: 0 }, { mean: 5, std: 5, impute: 5 }]
  assert.deepEqual(Array.from(normalize([NaN, 3, 0], spec)), [1, 3, -1])
  assert.throws(() => normalize([1], spec))
})

test('a measured 0 is a value, not a missing one', () => {
  const h = new PatientHistory()
  h.add('on_oxygen', 0, 0)
  h.add('systolic_bp', 0, 0)
  const x = extractFeatures(h, 0)
  assert.equal(at(x, 'on_oxygen'), 0)
  assert.equal(at(x, 'on_oxygen_missing'), 0)
  assert.equal(at(x, 'systolic_bp'), 0)
  assert.equal(at(x, 'systolic_bp_missing'), 0)
})
