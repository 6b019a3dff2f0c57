import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseVitalSet } from './vital-set.js'

test('parseVitalSet: a full set, null values skipped, the input names mapped to the vitals', () => {
  const r = parseVitalSet({ respiratory_rate: 18, spo2: 96, spo2_scale: 1, on_oxygen: false, systolic_bp: 120, pulse: 80, temperature: 37.1, consciousness: 'A' })
  assert.deepEqual(r, { ok: true, value: { respiratory_rate: 18, spo2: 96, spo2_scale: 1, on_oxygen: false, systolic_bp: 120, pulse: 80, temperature: 37.1, consciousness: 'A' } })
  assert.deepEqual(parseVitalSet({ pulse: null }), { ok: true, value: {} })
})

test('parseVitalSet: each problem named', () => {
  const error = (input: unknown) => {
    const r = parseVitalSet(input)
    assert.equal(r.ok, false)
    return r.ok ? '' : r.error
  }
  assert.equal(error([]), 'expected a JSON object')
  assert.equal(error(null), 'expected a JSON object')
  assert.match(error({ heart: 1 }), /^unknown key "heart"/)
  assert.match(error({ pulse: '80' }), /^pulse: expected a number/)
  assert.match(error({ pulse: Number.NaN }), /^pulse: expected a number/)
  assert.match(error({ pulse: 1e6 }), /^pulse: 1000000 is physiologically impossible/)
  assert.match(error({ spo2_scale: 3 }), /^spo2_scale: expected 1 or 2/)
  assert.match(error({ on_oxygen: 'yes' }), /^on_oxygen: expected true or false/)
  assert.match(error({ consciousness: 'X' }), /^consciousness: expected one of/)
})
