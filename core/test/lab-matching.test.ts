// Matching a lab result to its order, alone: by specimen id and test, open orders first, never to
// an order that does not list the test; the state an order moves to; critical limits by unit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { LabOrder, LabOrderState } from '@neva/contracts'
import { criticalLimit, matchResult, stateAfterResults } from '@neva/core'

const order = (id: string, specimen: string, state: LabOrderState, placed = 1000): LabOrder => ({
  order_id: id, patient_id: 'p1', encounter_id: 'e1', site: 'S', ward: 'ICU', specimen_id: specimen,
  tests: [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }], priority: 'stat',
  diagnosis_code: '', diagnosis_text: '', ordered_by: 'user:x', state, placed_time: placed, updated_time: placed, history: [],
})
const glu = (specimen: string | null) => ({ specimen_id: specimen, test_code: 'GLU', loinc: null })

test('a result finds the open order of its specimen and test; by LOINC when the analyzer code differs', () => {
  const orders = [order('old', 'S1', 'verified', 1), order('open', 'S1', 'collected', 2)]
  assert.deepEqual(matchResult(glu('S1'), orders), { outcome: 'matched', order: orders[1] })
  assert.equal(matchResult({ specimen_id: 'S1', test_code: 'Glucose', loinc: '2345-7' }, orders).order?.order_id, 'open')
})

test('unmatched: no specimen id, an unknown specimen, a test the order does not list', () => {
  const orders = [order('o', 'S1', 'ordered')]
  assert.equal(matchResult(glu(null), orders).outcome, 'unmatched')
  assert.equal(matchResult(glu('S2'), orders).outcome, 'unmatched')
  assert.deepEqual(matchResult({ specimen_id: 'S1', test_code: 'NA', loinc: '2951-2' }, orders), { outcome: 'unmatched', order: null })
})

test('a result for a cancelled order is flagged, unless an open order has taken the tube since', () => {
  assert.equal(matchResult(glu('S1'), [order('c', 'S1', 'cancelled')]).outcome, 'cancelled_order')
  assert.equal(matchResult(glu('S1'), [order('c', 'S1', 'cancelled', 5), order('n', 'S1', 'ordered', 9)]).order?.order_id, 'n')
})

test('any result and any orders: matched only to an order of that specimen listing that test', () => {
  const states: LabOrderState[] = ['ordered', 'collected', 'received', 'in_analysis', 'resulted', 'verified', 'cancelled']
  fc.assert(fc.property(
    fc.array(fc.record({ s: fc.constantFrom('S1', 'S2'), st: fc.constantFrom(...states), t: fc.nat(100) }), { maxLength: 6 }),
    fc.option(fc.constantFrom('S1', 'S2', 'S3'), { nil: null }), fc.constantFrom('GLU', 'K', 'NA', ''),
    (specs, specimen, code) => {
      const orders = specs.map((x, i) => order(`o${i}`, x.s, x.st, x.t))
      const d = matchResult({ specimen_id: specimen, test_code: code, loinc: null }, orders)
      if (d.order) {
        assert.equal(d.order.specimen_id, specimen)
        assert.ok(d.order.tests.some((t) => t.lab_code === code))
      } else assert.equal(d.outcome, 'unmatched')
    },
  ))
})

test('an order is in analysis with some results, resulted with all; a final order does not move', () => {
  assert.equal(stateAfterResults(order('o', 'S', 'collected'), [{ test_code: 'GLU', loinc: null }]), 'in_analysis')
  assert.equal(stateAfterResults(order('o', 'S', 'in_analysis'), [{ test_code: 'GLU', loinc: null }]), null)
  assert.equal(stateAfterResults(order('o', 'S', 'in_analysis'), [{ test_code: 'GLU', loinc: null }, { test_code: 'x', loinc: '2823-3' }]), 'resulted')
  assert.equal(stateAfterResults(order('o', 'S', 'verified'), [{ test_code: 'GLU', loinc: null }]), null)
})

test('critical: at or beyond a limit in the limit\'s unit; another unit or no number is not judged', () => {
  const limits = new Map([['2823-3', { loinc: '2823-3', unit: 'mmol/L', low: 2.5, high: 6.5 }]])
  assert.ok(criticalLimit({ loinc: '2823-3', numeric_value: 6.5, unit: 'mmol/L' }, limits))
  assert.ok(criticalLimit({ loinc: '2823-3', numeric_value: 2.1, unit: 'MMOL/L' }, limits))
  assert.equal(criticalLimit({ loinc: '2823-3', numeric_value: 4.1, unit: 'mmol/L' }, limits), null)
  assert.equal(criticalLimit({ loinc: '2823-3', numeric_value: 9, unit: 'mEq/dL' }, limits), null)
  assert.equal(criticalLimit({ loinc: '2823-3', numeric_value: null, unit: 'mmol/L' }, limits), null)
  assert.equal(criticalLimit({ loinc: null, numeric_value: 9, unit: 'mmol/L' }, limits), null)
})
