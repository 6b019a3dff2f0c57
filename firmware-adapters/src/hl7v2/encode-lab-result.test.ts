// The analyzer's ORU^R01 for an order: the numbers where v2.5.1 puts them, and decoded back by the
// gateway's own decoder into lab results keyed on the specimen (property over codes and values).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeHl7 } from './decode.js'
import { encodeLabResultOru } from './encode-lab-result.js'
import { parseHl7 } from './parse.js'
import { fuzzRuns } from '../fuzz-runs.js'

const T = Date.UTC(2026, 2, 1, 9)

test('ORC/OBR placer and filler numbers, OBX per test with LOINC, unit, range and flag, SPM-2', () => {
  const text = encodeLabResultOru({ controlId: 'R-1', time: T, sendingApplication: 'xn-1', patientId: 'MRN-1', specimenId: 'SP-1', tests: [
    { lab_code: 'K', loinc: '2823-3', value: 6.1, unit: 'mmol/L', referenceRange: '3.5-5.1', abnormalFlag: 'H' },
    { lab_code: 'NOTE', value: 'haemolysed', unit: '' },
  ] })
  const msg = parseHl7(text).message!
  assert.equal(msg.header.value(9, 1), 'ORU')
  assert.equal(msg.segment('ORC')!.value(1), 'RE')
  assert.equal(msg.segment('ORC')!.value(2), 'SP-1')
  assert.deepEqual([msg.segment('OBR')!.value(3, 1), msg.segment('OBR')!.value(3, 2)], ['SP-1', 'xn-1'])
  assert.equal(msg.segment('OBR')!.value(25), 'F')
  assert.equal(msg.segment('SPM')!.value(2, 1, 1, 1), 'SP-1')
  const [k, note] = decodeHl7(text, T + 1000).labResults
  assert.deepEqual([k!.order_id, k!.test_code, k!.loinc, k!.numeric_value, k!.unit, k!.reference_range, k!.abnormal_flag, k!.result_time], ['SP-1', 'K', '2823-3', 6.1, 'mmol/L', '3.5-5.1', 'H', T])
  assert.deepEqual([note!.test_code, note!.value, note!.numeric_value, note!.abnormal_flag], ['NOTE', 'haemolysed', null, null])
})

test('property: every test comes back once, under its specimen, with its value', () => {
  const code = fc.stringMatching(/^[A-Z][A-Z0-9]{0,7}$/)
  fc.assert(fc.property(fc.uniqueArray(code, { minLength: 1, maxLength: 6 }), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,20}$/), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (codes, specimen, value) => {
    const v = Math.round(value * 100) / 100 + 0
    const decoded = decodeHl7(encodeLabResultOru({ controlId: 'R', time: T, sendingApplication: 'an', patientId: '', specimenId: specimen, tests: codes.map((c) => ({ lab_code: c, value: v, unit: 'g/L' })) }), T)
    assert.deepEqual(decoded.problems, [])
    assert.deepEqual(decoded.labResults.map((r) => [r.order_id, r.test_code, r.numeric_value]), codes.map((c) => [specimen, c, v]))
  }), { numRuns: fuzzRuns(200) })
})
