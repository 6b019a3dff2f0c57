// RiskAssessment: a triage verdict: NEWS2 (score, level, the parameters it lacked) and the model
// (id@version, its level, probability and top drivers), with the inputs it was given.
import { compact, iso, patientRef, text, type Resource, type Row } from './common.js'
import { fhirId } from './ids.js'

const LEVEL_RISK: Record<string, string> = { green: 'low', yellow: 'moderate', orange: 'moderate', red: 'high' }

export function riskResource(row: Row): Resource {
  const probabilities = (row.model_probabilities ?? {}) as Record<string, number>
  const modelLevel = text(row.model_level)
  const probability = modelLevel !== undefined ? probabilities[modelLevel] : undefined
  const missing = (row.news2_missing as string[] | undefined) ?? []
  const notes = [
    `NEWS2 ${row.news2_score}${row.news2_partial ? ' (partial)' : ''}, ${row.news2_level}${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}`,
    ...(modelLevel ? [`model ${row.model_version}: ${modelLevel}; drivers ${row.model_drivers}`] : []),
    `inputs ${row.inputs}`,
  ]
  const level = String(row.level)
  return compact({
    resourceType: 'RiskAssessment',
    id: fhirId(row.k),
    status: 'final',
    method: { coding: [{ system: 'urn:neva:triage-model', code: text(row.model_version) ?? 'news2' }], text: text(row.model_version) ? `NEWS2 and ${row.model_version}` : 'NEWS2' },
    code: { text: 'triage' },
    subject: patientRef(row),
    occurrenceDateTime: iso(row.t_ms),
    prediction: [compact({
      outcome: { text: `triage level ${level}` },
      qualitativeRisk: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: LEVEL_RISK[level] ?? 'moderate' }], text: level },
      probabilityDecimal: probability !== undefined && Number.isFinite(probability) ? probability : undefined,
      rationale: `NEWS2 score ${row.news2_score}`,
    })],
    note: notes.map((t) => ({ text: t })),
  })
}
