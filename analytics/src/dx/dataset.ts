// Encounters as the diagnosis model learns from them: complaints joined to the encounter's final
// diagnosis (the clinician's latest), the patient's age and sex at the encounter, abnormal labs
// within a day of it, and the patient's earlier final diagnoses. Split by PATIENT: a hash of
// patient_id puts one patient in ten in the held-out set, which training never reads.
import type { ClickHouse } from '../connection.js'
import type { DxInput } from './features.js'

/** cityHash64(patient_id) % 10: bucket 0 is held out, bucket 1 calibrates, the rest fit. */
export const HELD_OUT_BUCKET = 0
export const CALIBRATION_BUCKET = 1
const BUCKETS = 10
const TWO_YEARS_MS = 2 * 365.25 * 86_400_000

export type DxSplit = 'train' | 'held-out'

export interface DxEncounter {
  encounter_id: string
  patient_id: string
  bucket: number
  start: number
  input: DxInput
  final: string
  /** The clinician's first preliminary diagnosis ('' when none), the baseline. */
  preliminary: string
}

/** The record's current state of each row: ReplacingMergeTree may still hold resent copies. */
export const ENCOUNTER_SQL = `
  enc AS (SELECT encounter_id, any(patient_id) AS patient_id, argMax(start_time, updated_time) AS start_time,
                 argMax(end_time, updated_time) AS end_time FROM encounters GROUP BY encounter_id),
  pat AS (SELECT patient_id, argMax(birth_year, updated_time) AS birth_year, argMax(sex, updated_time) AS sex
          FROM emr_patients GROUP BY patient_id),
  com AS (SELECT encounter_id, groupArray(text) AS texts, arrayDistinct(arrayFlatten(groupArray(codes))) AS codes
          FROM (SELECT complaint_id, any(encounter_id) AS encounter_id, any(text) AS text, any(codes) AS codes FROM complaints GROUP BY complaint_id)
          GROUP BY encounter_id)`

export async function loadDxEncounters(ch: ClickHouse, split: DxSplit): Promise<DxEncounter[]> {
  const rs = await ch.client.query({
    query: `WITH ${ENCOUNTER_SQL},
      fin AS (SELECT encounter_id, argMax(icd10, time) AS final FROM diagnoses
              WHERE kind = 'final' AND set_by = 'clinician' GROUP BY encounter_id),
      pre AS (SELECT encounter_id, argMin(icd10, time) AS preliminary FROM diagnoses
              WHERE kind = 'preliminary' AND set_by = 'clinician' GROUP BY encounter_id),
      sel AS (SELECT enc.*, cityHash64(enc.patient_id) % ${BUCKETS} AS bucket FROM enc
              WHERE (cityHash64(enc.patient_id) % ${BUCKETS} = ${HELD_OUT_BUCKET}) = {held_out:Bool}),
      lab AS (SELECT sel.encounter_id AS encounter_id, groupUniqArray(concat(l.test_code, ':', assumeNotNull(l.abnormal_flag))) AS labs
              FROM sel INNER JOIN (SELECT assumeNotNull(patient_id) AS patient_id, test_code, abnormal_flag, result_time FROM lab_results
                                   WHERE patient_id IS NOT NULL AND abnormal_flag IN ('H', 'L')) AS l ON l.patient_id = sel.patient_id
              WHERE l.result_time BETWEEN sel.start_time - INTERVAL 1 DAY AND ifNull(sel.end_time, sel.start_time) + INTERVAL 1 DAY
              GROUP BY sel.encounter_id)
      SELECT sel.encounter_id AS encounter_id, sel.patient_id AS patient_id, toUInt8(sel.bucket) AS bucket,
             toUnixTimestamp64Milli(sel.start_time) AS start, toInt32(toYear(sel.start_time)) - toInt32(pat.birth_year) AS age,
             pat.sex AS sex, com.texts AS texts, com.codes AS codes, fin.final AS final, pre.preliminary AS preliminary, lab.labs AS labs
      FROM sel INNER JOIN fin ON fin.encounter_id = sel.encounter_id
               INNER JOIN com ON com.encounter_id = sel.encounter_id
               INNER JOIN pat ON pat.patient_id = sel.patient_id
               LEFT JOIN pre ON pre.encounter_id = sel.encounter_id
               LEFT JOIN lab ON lab.encounter_id = sel.encounter_id
      ORDER BY patient_id, start, encounter_id`,
    query_params: { held_out: split === 'held-out' },
    format: 'JSONEachRow',
  })
  const rows = await rs.json<{
    encounter_id: string; patient_id: string; bucket: number; start: string | number; age: number; sex: string
    texts: string[]; codes: string[]; final: string; preliminary: string; labs: string[]
  }>()
  const out: DxEncounter[] = []
  // Rows are ordered by patient and time: the history is the patient's finals so far.
  let patient = ''
  let earlier: Array<{ start: number; final: string }> = []
  for (const r of rows) {
    const start = Number(r.start)
    if (r.patient_id !== patient) {
      patient = r.patient_id
      earlier = []
    }
    const history = earlier.filter((e) => e.start < start && e.start >= start - TWO_YEARS_MS).map((e) => e.final)
    out.push({
      encounter_id: r.encounter_id, patient_id: r.patient_id, bucket: Number(r.bucket), start, final: r.final, preliminary: r.preliminary,
      input: { texts: r.texts, codes: r.codes, age: Math.max(0, Number(r.age)), sex: r.sex, history, labs: r.labs },
    })
    earlier.push({ start, final: r.final })
  }
  return out
}
