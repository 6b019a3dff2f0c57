// The lab order's state machine and its validation rules, alone.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { LAB_ORDER_STATES, LAB_ORDER_TRANSITIONS, LAB_PENDING_STATES, labTransitionAllowed, loincCheckDigitOk, NewLabOrder, validator } from './index.js'

test('every path from ordered ends in verified or cancelled; nothing leaves a final state; nothing goes back', () => {
  const rank = (s: string) => LAB_ORDER_STATES.indexOf(s as never)
  for (const from of LAB_ORDER_STATES) {
    for (const to of LAB_ORDER_TRANSITIONS[from]) if (to !== 'cancelled') assert.ok(rank(to) > rank(from), `${from} → ${to}`)
    assert.ok(!labTransitionAllowed(from, from), `${from} → itself`)
  }
  assert.deepEqual(LAB_ORDER_TRANSITIONS.verified, [])
  assert.deepEqual(LAB_ORDER_TRANSITIONS.cancelled, [])
  assert.ok(!labTransitionAllowed('resulted', 'cancelled'), 'a result is not cancelled; it is verified or corrected')
  assert.ok(labTransitionAllowed('ordered', 'resulted'), 'the analyzer may answer before the desk scans the tube')
  for (const s of LAB_PENDING_STATES) assert.ok(labTransitionAllowed(s, 'cancelled'))
})

test('LOINC check digits: real codes pass, any other digit fails', () => {
  for (const code of ['2345-7', '2823-3', '58410-2', '718-7', '2160-0', '6690-2', '1920-8', '33762-6']) assert.ok(loincCheckDigitOk(code), code)
  for (const code of ['2345-8', '2823-0', '58410-3', '2345', '-7', '12345678-1', 'A345-7']) assert.ok(!loincCheckDigitOk(code), code)
  fc.assert(fc.property(fc.string({ maxLength: 12 }), (s) => { loincCheckDigitOk(s) }))
})

test('a new order is refused when a specimen id or lab code could break an ASTM or HL7 record', () => {
  const check = validator(NewLabOrder)
  const ok = { patient_id: 'p1', encounter_id: 'e1', specimen_id: 'SP-1', tests: [{ loinc: '2345-7', lab_code: 'GLU' }], priority: 'stat' }
  assert.ok(check.check(ok))
  for (const d of ['|', '^', '&', '\\', '~', ' ', '\r']) {
    assert.ok(!check.check({ ...ok, specimen_id: `SP${d}1` }), `specimen with ${JSON.stringify(d)}`)
    assert.ok(!check.check({ ...ok, tests: [{ loinc: '2345-7', lab_code: `G${d}U` }] }), `lab code with ${JSON.stringify(d)}`)
  }
})
