// The rest of a patient's page: the minutes of stored ECG (full disclosure: every stored minute,
// every lead), the pumps' infusions, and the decision-support suggestions with what the clinician
// then set. One patient at a time, every value bound.
import type { ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'
import { readSection, type Section, type SectionRow } from './sections.js'

export interface PatientEcgTrace {
  lead: string
  start_time: number
  sample_rate_hz: number
  resolution_uv: number
  samples: number[]
}

export interface PatientInfusion {
  device_id: string
  channel: string | null
  order_id: string | null
  drug: string | null
  rate: number | null
  rate_unit: string | null
  volume_infused: number | null
  volume_unit: string | null
  program_state: string | null
  pump_state: string | null
  time: number
}

export interface PatientSuggestion {
  suggestion_id: string
  kind: string
  encounter_id: string
  model: string
  time: number
  suggested: Array<{ icd10: string; p: number | null }>
  /** What the clinician set for the encounter (their latest diagnosis), or null while none. */
  clinician_icd10: string | null
  /** Whether that is the top suggestion / one of the suggestions; null while the clinician set none. */
  top1_agrees: boolean | null
  top3_agrees: boolean | null
  /** final_check: the physician's answer to the check, as sent. */
  verdict: string | null
}

// dx_suggestions is keyed by encounter: read by the patient alone it scans the whole table, so it
// is read by the encounters the record knows for the patient (tables keyed by patient). Filtered in
// an inner select: the outer any(encounter_id) AS encounter_id would shadow the column. A
// suggestion for an encounter the record never mentions is not shown (analyst SQL still has it).
const PATIENT_ENCOUNTERS = `SELECT encounter_id FROM encounters WHERE patient_id = {p:String}
  UNION DISTINCT SELECT encounter_id FROM diagnoses WHERE patient_id = {p:String}
  UNION DISTINCT SELECT encounter_id FROM complaints WHERE patient_id = {p:String}`

const MINUTE = 60_000
/** Chunks may start up to this long before the minute and still carry samples in it. */
const CHUNK_LEAD_MS = 60_000

export class PatientRecordStore {
  constructor(private readonly ch: ClickHouse) {}

  private async rows(query: string, query_params: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    const rs = await this.ch.client.query({ query, query_params, format: 'JSONEachRow' })
    return rs.json<Record<string, unknown>>()
  }

  /** The minutes (ms, newest first) in [fromMs, toMs) that hold ECG samples, at most `limit`. */
  async ecgMinutes(patient: string, fromMs: number, toMs: number, limit = 10_080): Promise<number[]> {
    return readSection(this.ch, ecgMinutesSection(patient, fromMs, toMs, limit))
  }

  /** Every lead's samples in the minute starting at `minuteMs` (chunks clipped to it), by lead and time. */
  async ecgMinute(patient: string, minuteMs: number): Promise<PatientEcgTrace[]> {
    const rows = await this.rows(
      `SELECT lead, toUnixTimestamp64Milli(start_time) AS start_ms, sample_rate_hz, resolution_uv, samples FROM waveforms
       WHERE patient_id = {p:String} AND start_time >= {lead:DateTime64(3, 'UTC')} AND start_time < {end:DateTime64(3, 'UTC')}
       ORDER BY lead, start_time, gateway_id, seq LIMIT 1 BY lead, start_time`,
      { p: patient, lead: toDateTime64(minuteMs - CHUNK_LEAD_MS), end: toDateTime64(minuteMs + MINUTE) },
    )
    const out: PatientEcgTrace[] = []
    for (const r of rows) {
      const rate = Number(r.sample_rate_hz)
      const start = Number(r.start_ms)
      const samples = r.samples as number[]
      // Only the samples inside the minute.
      const first = Math.max(0, Math.ceil(((minuteMs - start) * rate) / 1000))
      const last = Math.min(samples.length, Math.ceil(((minuteMs + MINUTE - start) * rate) / 1000))
      if (last <= first || rate <= 0) continue
      out.push({ lead: String(r.lead), start_time: start + (first * 1000) / rate, sample_rate_hz: rate, resolution_uv: Number(r.resolution_uv), samples: samples.slice(first, last) })
    }
    return out
  }

  /** Each pump channel's latest report for the patient since `fromMs`, newest first. */
  async infusions(patient: string, fromMs: number, limit = 100): Promise<PatientInfusion[]> {
    return readSection(this.ch, infusionsSection(patient, fromMs, limit))
  }

  /** The patient's decision-support suggestions, newest first, each beside the clinician's latest diagnosis of its encounter. */
  async suggestions(patient: string, limit = 100): Promise<PatientSuggestion[]> {
    const s = suggestionSections(patient, limit)
    const [suggested, set] = await Promise.all([readSection(this.ch, s.suggested), readSection(this.ch, s.clinician)])
    return suggestionsOf(suggested, set)
  }
}

/** The minutes (ms, newest first) in [fromMs, toMs) that hold ECG samples, at most `limit`. */
export function ecgMinutesSection(patient: string, fromMs: number, toMs: number, limit = 10_080): Section<number[]> {
  return {
    query: `SELECT DISTINCT toUnixTimestamp(toStartOfMinute(start_time)) * 1000 AS m FROM waveforms
       WHERE patient_id = {p:String} AND start_time >= {from:DateTime64(3, 'UTC')} AND start_time < {to:DateTime64(3, 'UTC')}
       ORDER BY m DESC LIMIT {limit:UInt32}`,
    params: { p: patient, from: toDateTime64(fromMs), to: toDateTime64(toMs), limit },
    map: (rows) => rows.map((r) => Number(r.m)),
  }
}

const orNull = (v: unknown) => (v === null || v === undefined ? null : String(v))
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v))

/** Each pump channel's latest report for the patient since `fromMs`, newest first. */
export function infusionsSection(patient: string, fromMs: number, limit = 100): Section<PatientInfusion[]> {
  return {
    query: `SELECT device_id, channel, argMax(order_id, received_time) AS order_id, argMax(drug, received_time) AS drug, argMax(rate, received_time) AS rate,
              argMax(rate_unit, received_time) AS rate_unit, argMax(volume_infused, received_time) AS volume_infused,
              argMax(volume_unit, received_time) AS volume_unit, argMax(program_state, received_time) AS program_state,
              argMax(pump_state, received_time) AS pump_state, toUnixTimestamp64Milli(max(received_time)) AS time
       FROM infusion_events WHERE patient_id = {p:String} AND received_time >= {from:DateTime64(3, 'UTC')}
       GROUP BY device_id, channel ORDER BY time DESC LIMIT {limit:UInt32}`,
    params: { p: patient, from: toDateTime64(fromMs), limit },
    map: (rows) => rows.map((r) => ({
      device_id: String(r.device_id), channel: orNull(r.channel), order_id: orNull(r.order_id), drug: orNull(r.drug), rate: num(r.rate), rate_unit: orNull(r.rate_unit),
      volume_infused: num(r.volume_infused), volume_unit: orNull(r.volume_unit), program_state: orNull(r.program_state), pump_state: orNull(r.pump_state), time: Number(r.time),
    })),
  }
}

/** The two reads behind the suggestions: the suggestions themselves, and the clinician's latest diagnosis per encounter. */
export function suggestionSections(patient: string, limit = 100): { suggested: Section<SectionRow[]>; clinician: Section<SectionRow[]> } {
  return {
    suggested: {
      query: `SELECT suggestion_id, any(kind) AS kind, any(encounter_id) AS encounter_id, any(model_id) AS model_id, any(model_version) AS model_version,
                toUnixTimestamp64Milli(any(time)) AS t, any(suggested_icd10) AS icd10, any(suggested_p) AS p, any(verdict) AS verdict
         FROM (SELECT * FROM dx_suggestions WHERE encounter_id IN (${PATIENT_ENCOUNTERS}) AND patient_id = {p:String})
         GROUP BY suggestion_id ORDER BY t DESC LIMIT {limit:UInt32}`,
      params: { p: patient, limit },
      map: (rows) => rows,
    },
    clinician: {
      query: `SELECT encounter_id, argMax(icd10, time) AS icd10 FROM diagnoses FINAL
         WHERE patient_id = {p:String} AND set_by = 'clinician' GROUP BY encounter_id`,
      params: { p: patient },
      map: (rows) => rows,
    },
  }
}

/** The suggestions' rows beside the clinician's diagnoses' rows (see suggestionSections). */
export function suggestionsOf(suggested: SectionRow[], set: SectionRow[]): PatientSuggestion[] {
  const clinician = new Map(set.map((r) => [String(r.encounter_id), String(r.icd10)]))
  return suggested.map((r) => {
    const codes = (r.icd10 as string[]) ?? []
    const ps = (r.p as number[]) ?? []
    const icd10 = clinician.get(String(r.encounter_id)) ?? null
    return {
      suggestion_id: String(r.suggestion_id), kind: String(r.kind), encounter_id: String(r.encounter_id), model: `${r.model_id}@${r.model_version}`, time: Number(r.t),
      suggested: codes.map((c, i) => ({ icd10: c, p: ps[i] ?? null })),
      clinician_icd10: icd10, top1_agrees: icd10 === null ? null : codes[0] === icd10, top3_agrees: icd10 === null ? null : codes.includes(icd10),
      verdict: r.verdict === null || r.verdict === undefined ? null : String(r.verdict),
    }
  })
}
