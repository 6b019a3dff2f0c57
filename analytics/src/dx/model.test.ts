// The diagnosis model without ClickHouse: features, fitting, the final-check rule, the artifact.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ageBand, features, stems } from './features.js'
import { ALTERNATIVE_MIN_P, finalVerdict } from './final-check.js'
import { fitDx, fitTemperature, parseDxModel, predictDx, type DxExample } from './model.js'

test('stems merge Russian inflections and drop short words', () => {
  assert.deepEqual(stems('Жалобы на головную боль'), ['жалобы', 'головн', 'боль'])
  assert.deepEqual(stems('головной боли'), ['головн', 'боли'])
  assert.notEqual(stems('головокружение')[0], stems('головную')[0])
  assert.deepEqual(stems('Shortness of breath, 38.5'), ['shortn', 'breath'])
  assert.equal(ageBand(3), '0-4')
  assert.equal(ageBand(67), '60+')
  assert.equal(ageBand(104), '90+')
  const f = features({ texts: ['кашель, одышка'], codes: ['R05', 'R05'], age: 70, sex: 'male' })
  assert.deepEqual(f.code, ['R05'])
  assert.ok(f.word.includes('кашель_одышка'))
  assert.deepEqual(f.history, [])
})

const examples: DxExample[] = []
for (let i = 0; i < 40; i++) {
  examples.push({ label: 'J18.9', input: { texts: ['Жалобы на кашель, температуру, одышку'], codes: ['R05'], age: 70, sex: 'male' } })
  examples.push({ label: 'J06.9', input: { texts: ['Жалобы на насморк, кашель, боль в горле'], age: 30, sex: 'female' } })
  examples.push({ label: 'I21.9', input: { texts: ['Complains of chest pain'], age: 65, sex: 'male', labs: ['TROP:H'] } })
  examples.push({ label: 'M54.5', input: { texts: ['Боль в пояснице'], age: 45, sex: 'female' } })
}
const model = fitDx(examples, { id: 'dx-test', version: 1, created: 0, patients: 160 })

test('the model ranks the disease whose words, codes and labs the complaint has', () => {
  const top = predictDx(model, { texts: ['кашля нет, температура и одышка'], codes: ['R05'], age: 72, sex: 'male' })
  assert.equal(top.length, 3)
  assert.equal(top[0]!.icd10, 'J18.9')
  assert.ok(Math.abs(top.reduce((a, c) => a + c.p, 0) - 1) < 0.01)
  assert.equal(predictDx(model, { texts: ['боль в груди'], age: 60, sex: 'male', labs: ['TROP:H'] })[0]!.icd10, 'I21.9')
  // Words, an age band and a sex it never saw are no evidence: the prior decides.
  const unknown = predictDx(model, { texts: ['zzz'], age: 55, sex: 'unknown' })
  assert.ok(unknown[0]!.p < 0.5)
})

test('a prediction takes well under a millisecond and is deterministic', () => {
  const input = { texts: ['Жалобы на кашель, температуру до 38,5, одышку в течение 3 дней.'], codes: ['R05', 'R50.9'], age: 70, sex: 'male' }
  const first = predictDx(model, input)
  const t0 = performance.now()
  for (let i = 0; i < 2000; i++) predictDx(model, input)
  assert.ok((performance.now() - t0) / 2000 < 0.5)
  assert.deepEqual(predictDx(model, input), first)
})

test('temperature softens an overconfident model; the artifact round-trips through JSON', () => {
  const t = fitTemperature(model, [{ label: 'J06.9', input: { texts: ['кашель, температура, одышка'], age: 70, sex: 'male' } }])
  assert.ok(t > 1)
  const copy = parseDxModel(JSON.parse(JSON.stringify({ ...model, temperature: t })))
  assert.equal(copy.temperature, t)
  assert.throws(() => parseDxModel({ format: 'other' }), /not a diagnosis model/)
  assert.throws(() => parseDxModel({ format: 'neva-dx-nb/1', classes: ['A'], logPrior: [] }), /incomplete/)
})

test('final check: alternative only when the physician is outside the top 3 and the top one is likely', () => {
  const top = [{ icd10: 'I21.9', p: 0.8 }, { icd10: 'I48.9', p: 0.1 }, { icd10: 'J18.9', p: 0.05 }]
  assert.deepEqual(finalVerdict('J18.9', top), { verdict: 'consistent' })
  assert.deepEqual(finalVerdict('M54.5', top), { verdict: 'alternative', icd10: 'I21.9', p: 0.8 })
  assert.deepEqual(finalVerdict('M54.5', [{ icd10: 'I21.9', p: ALTERNATIVE_MIN_P - 0.01 }]), { verdict: 'consistent' })
  assert.deepEqual(finalVerdict('M54.5', []), { verdict: 'consistent' })
})
