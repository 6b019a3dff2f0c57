// The bulk export's RiskAssessment template lines are the resources the API maps, byte for byte:
// any patient, key, level, model, probabilities, risk (or none), inputs and notes, escapes and
// unicode included; the lines of real verdicts are valid R4.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { riskResource } from '../src/fhir/risk-assessment.js'
import { RiskLines } from '../src/fhir/risk-lines.js'
import { schemaErrors } from './fhir-schema.js'

const words = fc.oneof(fc.constantFrom('', ' ', 'yellow', 'é"\\\n\u2028', '\u0000<tag>', '😀 x'), fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 12 }))
const level = fc.oneof(fc.constantFrom('green', 'yellow', 'orange', 'red'), words)
const probability = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, -0, Number.NaN))

// A row as FhirStore's risk source gives it (JSONEachRow of triage_results).
const row = fc.record({
  patient_id: fc.string({ minLength: 1, maxLength: 40 }),
  t_ms: fc.integer({ min: 0, max: 4102444800000 }),
  k: fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(([g, s]) => `${g}|${s}`),
  level,
  news2_score: fc.integer({ min: 0, max: 20 }),
  news2_partial: fc.boolean(),
  news2_level: level,
  news2_missing: fc.array(words, { maxLength: 4 }),
  model_version: fc.oneof(fc.constantFrom('', 'news2-rcp-2017', 'triage-sim@3'), words),
  model_level: fc.oneof(fc.constant(''), level),
  model_probabilities: fc.dictionary(level, probability, { maxKeys: 4 }),
  model_drivers: fc.oneof(fc.constant('[]'), words),
  inputs: fc.oneof(fc.constant('{}'), words),
  model_risk: fc.oneof(fc.constant(null), probability),
  model_risk_model: fc.oneof(fc.constantFrom('', 'deterioration-xgb@1'), words),
  model_risk_inputs: fc.array(words, { maxLength: 5 }),
  model_risk_sparse: fc.oneof(fc.constant(''), words),
}, { requiredKeys: ['patient_id', 't_ms', 'k', 'level', 'news2_score', 'news2_partial', 'news2_level', 'news2_missing', 'model_version', 'model_level', 'model_probabilities', 'model_drivers', 'inputs'] })

test('a RiskAssessment template line is JSON.stringify(riskResource(row)), for any row', () => {
  const lines = new RiskLines()
  fc.assert(fc.property(row, (r) => {
    assert.equal(lines.line(r as never), `${JSON.stringify(riskResource(r as never))}\n`)
  }), { numRuns: 3000 })
})

test('template lines of verdicts with and without a model and a risk are valid R4; a missing risk is no prediction', () => {
  const lines = new RiskLines()
  const base = {
    patient_id: 'icu.p1', t_ms: Date.UTC(2026, 10, 20, 9), k: 'gw-1|42', level: 'yellow', news2_score: 5, news2_partial: true, news2_level: 'yellow', news2_missing: ['consciousness'],
    model_version: 'news2-rcp-2017', model_level: '', model_probabilities: {}, model_drivers: '[]', inputs: '{"pulse":{"value":95,"time":1}}', model_risk: null, model_risk_model: '', model_risk_inputs: [], model_risk_sparse: '',
  }
  const rows = [
    base,
    { ...base, k: 'gw-1|43', model_version: 'triage-sim@3', model_level: 'red', model_probabilities: { green: 0.1, yellow: 0.2, red: 0.7 }, model_drivers: '[{"feature":"pulse","value":95,"contribution":0.3}]' },
    { ...base, k: 'gw-1|44', model_risk: 0.1671, model_risk_model: 'deterioration-xgb@1', model_risk_inputs: ['pulse', 'spo2'] },
    { ...base, k: 'gw-1|45', model_risk: 0, model_risk_model: 'deterioration-xgb@1', model_risk_inputs: ['pulse'], model_risk_sparse: 'only 1 of the 6 bedside vitals' },
  ]
  const parsed = rows.map((r) => JSON.parse(lines.line(r as never)))
  for (const resource of parsed) assert.deepEqual(schemaErrors(resource), [], resource.id)
  assert.deepEqual(parsed.map((r) => r.prediction.length), [1, 1, 2, 2])
  assert.deepEqual(parsed.map((r) => r.prediction[1]?.probabilityDecimal), [undefined, undefined, 0.1671, 0])
  assert.equal(parsed[1].prediction[0].probabilityDecimal, 0.7)
})
