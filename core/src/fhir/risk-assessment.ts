// RiskAssessment: a triage verdict: NEWS2 (score, level, the parameters it lacked) and the model
// (id@version, its level, probability and top drivers), with the inputs it was given; and, when
// the deterioration model ran, its risk of in-hospital death as a second prediction.
import { compact, iso, patientRef, text, type Resource, type Row } from './common.js'
import { fhirId } from './ids.js'

const LEVEL_RISK: Record<string, string> = { green: 'low', yellow: 'moderate', orange: 'moderate', red: 'high' }
const TRIAGE_MODEL = 'urn:neva:triage-model'
const RISK_MODEL = 'urn:neva:risk-model'

/** The deterioration model's part: its risk (NULL when it did not run: missing, never 0), id@version, inputs. */
export interface ModelRisk {
  risk: number
  model?: string
  inputs: string[]
  sparse?: string
}

export function modelRiskOf(row: Row): ModelRisk | undefined {
  if (row.model_risk === null || row.model_risk === undefined) return undefined
  const risk = Number(row.model_risk)
  if (!Number.isFinite(risk)) return undefined
  return { risk, model: text(row.model_risk_model), inputs: (row.model_risk_inputs as string[] | undefined) ?? [], sparse: text(row.model_risk_sparse) }
}

export function riskResource(row: Row): Resource {
  const risk = modelRiskOf(row)
  return compact({
    resourceType: 'RiskAssessment',
    id: fhirId(row.k),
    status: 'final',
    method: riskMethod(text(row.model_version), risk?.model),
    code: { text: 'triage' },
    subject: patientRef(row),
    occurrenceDateTime: iso(row.t_ms),
    prediction: [
      compact({ ...levelPrediction(String(row.level)), probabilityDecimal: levelProbability(row), rationale: `NEWS2 score ${row.news2_score}` }),
      ...(risk ? [riskPrediction(risk)] : []),
    ],
    note: riskNotes(row).map((t) => ({ text: t })),
  })
}

// The parts below are shared with the bulk export's template lines (risk-lines.ts).

/** R4 has one method and basis takes references only: the risk model is the method's second coding. */
export const riskMethod = (version: string | undefined, riskModel: string | undefined) => ({
  coding: [{ system: TRIAGE_MODEL, code: version ?? 'news2' }, ...(riskModel ? [{ system: RISK_MODEL, code: riskModel }] : [])],
  text: `${version ? `NEWS2 and ${version}` : 'NEWS2'}${riskModel ? `; risk ${riskModel}` : ''}`,
})

/** The first prediction's outcome and qualitative risk: fixed by the level. */
export const levelPrediction = (level: string) => ({
  outcome: { text: `triage level ${level}` },
  qualitativeRisk: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: LEVEL_RISK[level] ?? 'moderate' }], text: level },
})

/** The model's probability of its own level; undefined without a model level or a finite number. */
export function levelProbability(row: Row): number | undefined {
  const modelLevel = text(row.model_level)
  const probability = modelLevel !== undefined ? ((row.model_probabilities ?? {}) as Record<string, number>)[modelLevel] : undefined
  return probability !== undefined && Number.isFinite(probability) ? probability : undefined
}

export function riskNotes(row: Row): string[] {
  const modelLevel = text(row.model_level)
  const missing = (row.news2_missing as string[] | undefined) ?? []
  return [
    `NEWS2 ${row.news2_score}${row.news2_partial ? ' (partial)' : ''}, ${row.news2_level}${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}`,
    ...(modelLevel ? [`model ${row.model_version}: ${modelLevel}; drivers ${row.model_drivers}`] : []),
    `inputs ${row.inputs}`,
  ]
}

/** The deterioration model's calibrated probability of in-hospital death (docs/model-card.md). */
export function riskPrediction(risk: ModelRisk): { outcome: { text: string }; probabilityDecimal: number; rationale: string } {
  const from = risk.inputs.length > 0 ? ` from ${risk.inputs.join(', ')}` : ''
  return {
    outcome: { text: 'in-hospital death' },
    probabilityDecimal: risk.risk,
    rationale: `${risk.model ?? 'deterioration model'}${from}${risk.sparse ? `; ${risk.sparse}` : ''}`,
  }
}
