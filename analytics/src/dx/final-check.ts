// The second opinion on a physician's final diagnosis, from the complaints and the patient's two
// years of record (earlier final diagnoses, abnormal labs around the encounter).
//
// Rule: "alternative" when the physician's code is not among the model's three most likely AND
// the most likely has p ≥ ALTERNATIVE_MIN_P; otherwise "consistent". The model is not asked to be
// sure of the physician's code, only not to be sure of something else.
import type { ClickHouse } from '../connection.js'
import type { DxInput } from './features.js'
import { predictDx, type DxCandidate, type DxModel } from './model.js'

export const ALTERNATIVE_MIN_P = 0.5

export type FinalVerdict = { verdict: 'consistent' } | { verdict: 'alternative'; icd10: string; p: number }

export function finalVerdict(physician: string, top3: readonly DxCandidate[]): FinalVerdict {
  const best = top3[0]
  if (!best || top3.some((c) => c.icd10 === physician) || best.p < ALTERNATIVE_MIN_P) return { verdict: 'consistent' }
  return { verdict: 'alternative', icd10: best.icd10, p: best.p }
}

export interface PatientContext {
  age: number
  sex: string
  /** Stored complaints of the encounter (used when the request brings none). */
  complaints: Array<{ text: string; codes: string[] }>
  history: string[]
  labs: string[]
}

/**
 * What the record says about the patient around the encounter; null when the patient is unknown.
 * The encounter's start is the reference time when it is stored, else `now`.
 */
export async function patientContext(ch: ClickHouse, patientId: string, encounterId: string, now: number): Promise<PatientContext | null> {
  const rs = await ch.client.query({
    query: `WITH
      p AS (SELECT argMax(birth_year, updated_time) AS birth_year, argMax(sex, updated_time) AS sex FROM emr_patients WHERE patient_id = {patient:String}),
      e AS (SELECT argMax(start_time, updated_time) AS start_time, argMax(end_time, updated_time) AS end_time FROM encounters
            WHERE patient_id = {patient:String} AND encounter_id = {encounter:String}),
      ref AS (SELECT if((SELECT count() FROM encounters WHERE patient_id = {patient:String} AND encounter_id = {encounter:String}) > 0,
                        (SELECT start_time FROM e), fromUnixTimestamp64Milli({now:Int64}, 'UTC')) AS t0,
                     if((SELECT count() FROM encounters WHERE patient_id = {patient:String} AND encounter_id = {encounter:String}) > 0,
                        ifNull((SELECT end_time FROM e), (SELECT start_time FROM e)), fromUnixTimestamp64Milli({now:Int64}, 'UTC')) AS t1)
      SELECT (SELECT count() FROM emr_patients WHERE patient_id = {patient:String}) AS known,
             toInt32(toYear((SELECT t0 FROM ref))) - toInt32((SELECT birth_year FROM p)) AS age, (SELECT sex FROM p) AS sex,
             (SELECT groupArray((text, codes)) FROM (SELECT any(text) AS text, any(codes) AS codes FROM complaints
                WHERE patient_id = {patient:String} AND encounter_id = {encounter:String} GROUP BY complaint_id)) AS complaints,
             (SELECT groupArray(icd10) FROM (SELECT encounter_id, argMax(icd10, time) AS icd10, max(time) AS t FROM diagnoses
                WHERE patient_id = {patient:String} AND kind = 'final' AND set_by = 'clinician' AND encounter_id != {encounter:String}
                GROUP BY encounter_id)
                WHERE t < (SELECT t0 FROM ref) AND t >= (SELECT t0 FROM ref) - INTERVAL 2 YEAR) AS history,
             (SELECT groupUniqArray(concat(test_code, ':', assumeNotNull(abnormal_flag))) FROM lab_results
                WHERE patient_id = {patient:String} AND abnormal_flag IN ('H', 'L')
                  AND result_time BETWEEN (SELECT t0 FROM ref) - INTERVAL 1 DAY AND (SELECT t1 FROM ref) + INTERVAL 1 DAY) AS labs`,
    query_params: { patient: patientId, encounter: encounterId, now },
    format: 'JSONEachRow',
  })
  const [row] = await rs.json<{ known: string; age: number; sex: string; complaints: Array<[string, string[]]>; history: string[]; labs: string[] }>()
  if (!row || Number(row.known) === 0) return null
  return {
    age: Math.max(0, Number(row.age)),
    sex: row.sex,
    complaints: row.complaints.map(([text, codes]) => ({ text, codes })),
    history: row.history,
    labs: row.labs,
  }
}

export interface FinalCheck {
  verdict: FinalVerdict
  top3: DxCandidate[]
  input: DxInput
}

/** The check itself; `complaints` from the request, else the stored ones. Null: patient unknown. */
export async function checkFinalDiagnosis(
  ch: ClickHouse,
  model: DxModel,
  q: { patient_id: string; encounter_id: string; icd10: string; complaints?: ReadonlyArray<{ text: string; codes?: readonly string[] }> | undefined },
  now = Date.now(),
): Promise<FinalCheck | null> {
  const ctx = await patientContext(ch, q.patient_id, q.encounter_id, now)
  if (!ctx) return null
  const complaints = q.complaints ?? ctx.complaints
  const input: DxInput = {
    texts: complaints.map((c) => c.text),
    codes: complaints.flatMap((c) => c.codes ?? []),
    age: ctx.age,
    sex: ctx.sex,
    history: ctx.history,
    labs: ctx.labs,
  }
  const top3 = predictDx(model, input)
  return { verdict: finalVerdict(q.icd10, top3), top3, input }
}
