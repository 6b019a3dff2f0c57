// Which order set the patient page offers: the latest preliminary suggestion of the open encounter
// only, each test citing the guideline of every diagnosis it serves.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { PatientSuggestion } from '@neva/analytics'
import { pageOrderSet } from '../src/patient-order-set.js'

const s = (suggestion_id: string, kind: string, encounter_id: string, time: number, codes: string[]): PatientSuggestion => ({
  suggestion_id, kind, encounter_id, model: 'dx-nb@3', time, suggested: codes.map((icd10) => ({ icd10, p: null })),
  clinician_icd10: null, top1_agrees: null, top3_agrees: null, verdict: null,
})

test('the latest preliminary suggestion of the open encounter; final checks, other encounters and older ones ignored', () => {
  const list = [
    s('final', 'final_check', 'enc-1', 400, ['I21.9']),
    s('other-enc', 'preliminary', 'enc-0', 300, ['E11.9']),
    s('latest', 'preliminary', 'enc-1', 200, ['K35.8', 'J44.1', 'R51']),
    s('older', 'preliminary', 'enc-1', 100, ['N39.0']),
  ]
  const set = pageOrderSet(list, 'enc-1')!
  assert.equal(set.suggestion_id, 'latest')
  assert.deepEqual(set.suggested, ['K35.8', 'J44.1', 'R51'])
  assert.deepEqual(set.without_set, ['R51'])
  assert.deepEqual(set.orders_placed, [])
  // CRP confirms appendicitis and excludes in COPD: confirm wins, both guidelines cited.
  const crp = set.tests.find((x) => x.lab_code === 'CRP')!
  assert.deepEqual([crp.purpose, crp.for, crp.sources], ['confirm', ['K35.8', 'J44.1'], ['WSES Jerusalem guidelines 2020 (Di Saverio et al.)', 'NICE NG115']])
  assert.deepEqual(set.tests.find((x) => x.lab_code === 'PH')!.sources, ['NICE NG115'])
  assert.ok(set.tests.every((x) => x.checked))
})

test('nothing offered without an open encounter, a preliminary suggestion, or a lab set', () => {
  assert.equal(pageOrderSet([s('a', 'preliminary', 'enc-1', 1, ['J18.9'])], null), null)
  assert.equal(pageOrderSet([s('a', 'final_check', 'enc-1', 1, ['J18.9'])], 'enc-1'), null)
  assert.equal(pageOrderSet([s('a', 'preliminary', 'enc-1', 1, ['R51', 'M54.5'])], 'enc-1'), null)
})
