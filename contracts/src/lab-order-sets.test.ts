// The order-set table: every code valid (LOINC check digit, lab code pattern, ICD-10), each set
// cited, no test twice in one set; the union for several suggested diagnoses.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ICD10_PATTERN, LAB_CODE_PATTERN, loincCheckDigitOk } from './lab-order.js'
import { LAB_ORDER_SETS, orderSetFor } from './lab-order-sets.js'

test('the table: valid codes, a source on every set, no test twice in a set, one lab code per LOINC', () => {
  const codeOf = new Map<string, string>()
  for (const set of LAB_ORDER_SETS) {
    assert.match(set.icd10, new RegExp(ICD10_PATTERN))
    assert.ok(set.source.length > 3, `${set.icd10} cites its source`)
    assert.equal(new Set(set.tests.map((t) => t.loinc)).size, set.tests.length, `${set.icd10}: a test twice`)
    for (const t of set.tests) {
      assert.ok(loincCheckDigitOk(t.loinc), `${set.icd10} ${t.loinc}`)
      assert.match(t.lab_code, new RegExp(LAB_CODE_PATTERN))
      assert.equal(codeOf.get(t.loinc) ?? t.lab_code, t.lab_code, `${t.loinc} has one lab code`)
      codeOf.set(t.loinc, t.lab_code)
    }
  }
  assert.equal(new Set(LAB_ORDER_SETS.map((s) => s.icd10)).size, LAB_ORDER_SETS.length)
})

test('the union for suggested diagnoses: each test once, pre-checked, naming the diagnoses it serves', () => {
  const u = orderSetFor(['J18.9', 'K35.8', 'G43.9'])
  assert.deepEqual(u.tests.map((t) => [t.lab_code, t.for, t.checked]), [
    ['CRP', ['J18.9', 'K35.8'], true], ['WBC', ['J18.9', 'K35.8'], true], ['UREA', ['J18.9'], true], ['BCULT', ['J18.9'], true],
  ])
  assert.deepEqual(u.sources, ['NICE CG191', 'WSES Jerusalem guidelines 2020 (Di Saverio et al.)'])
  assert.deepEqual(u.without_set, ['G43.9'], 'migraine has no lab set')
  // CRP excludes in COPD but confirms in pneumonia: kept as confirm.
  assert.equal(orderSetFor(['J44.1', 'J18.9']).tests.find((t) => t.lab_code === 'CRP')?.purpose, 'confirm')
  assert.equal(orderSetFor(['J44.1']).tests.find((t) => t.lab_code === 'CRP')?.purpose, 'exclude')
  assert.deepEqual(orderSetFor([]), { tests: [], sources: [], without_set: [] })
})

test('property: the union holds every test of every suggested set, once', () => {
  const codes = [...LAB_ORDER_SETS.map((s) => s.icd10), 'Z00.0', 'G43.9']
  fc.assert(fc.property(fc.array(fc.constantFrom(...codes), { maxLength: 5 }), (dx) => {
    const u = orderSetFor(dx)
    assert.equal(new Set(u.tests.map((t) => t.loinc)).size, u.tests.length)
    for (const set of LAB_ORDER_SETS.filter((s) => dx.includes(s.icd10))) {
      for (const t of set.tests) assert.ok(u.tests.find((x) => x.loinc === t.loinc)?.for.includes(set.icd10))
    }
  }))
})
