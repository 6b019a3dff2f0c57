// What the clinical boards show when they open: the snapshot a live stream starts from. Every
// query reads ClickHouse once per board opened, never per ingest batch (deltas come from the
// core's live bus). Missing stays missing: a vital with no reading is absent, never 0.
import { ED_WARD } from '@neva/contracts'
import type { ClickHouse } from './connection.js'

export type BoardName = 'ed' | 'icu' | 'triage'

/** Where a patient is, as far as the boards are concerned; grants are decided on site and ward. */
export interface BoardPlace {
  board: BoardName
  patient_id: string
  site: string
  ward: string | null
  /**
   * ED board: the gateway whose transport put the patient there. Only that gateway's readings are
   * shown for them on the ED board: a transport is a device's claim, not a clinician's, and it
   * cannot open the rest of a patient's record to another site.
   */
  gateway_id?: string
}

/** A patient's readings as one gateway sent them: what the ED board may show of a transported patient. */
export interface ReadingSource {
  patient_id: string
  gateway_id: string
}

export interface BoardTransport {
  /** The gateway that sent the latest state (it is bound to destination_site: core CoreConfig.gatewaySites). */
  gateway_id: string
  unit: string
  patient_id: string
  destination_site: string
  state: 'en_route' | 'arrived' | 'cancelled'
  eta: number | null
  updated_time: number
}

export interface BoardEncounter {
  encounter_id: string
  patient_id: string
  kind: string
  site: string
  ward: string | null
  bed: string | null
  triage_level: string | null
  start_time: number
  end_time: number | null
}

export interface BoardVital { value: number; unit: string; time: number; flags: string[] }

export interface BoardTriage {
  level: string
  news2_score: number
  news2_partial: boolean
  news2_level: string
  model_level: string | null
  time: number
}

export interface EcgTrace { lead: string; start_time: number; sample_rate_hz: number; resolution_uv: number; samples: number[] }

export interface PatientCard {
  patient_id: string
  vitals: Record<string, BoardVital>
  /** Per vital, [time ms, average] per bucket over the trend window. */
  trends: Record<string, Array<[number, number]>>
  triage: BoardTriage | null
}

/** The vitals drawn as sparklines. */
export const TREND_VITALS = ['heart_rate', 'spo2', 'respiratory_rate', 'nibp_systolic', 'art_systolic', 'temperature'] as const

export interface BoardStoreOptions {
  /** Sparkline window and bucket. */
  trendMinutes?: number
  trendBucketSeconds?: number
  /** ECG shown per patient. */
  ecgSeconds?: number
  /** Arrived transports stay on the ED board this long. */
  arrivedMinutes?: number
}

const n = (v: unknown) => Number(v)
const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v))
const nullableString = (v: unknown) => (v === null || v === undefined ? null : String(v))

export class BoardStore {
  private readonly trendMinutes: number
  private readonly trendBucketSeconds: number
  private readonly ecgSeconds: number
  private readonly arrivedMinutes: number

  constructor(private readonly ch: ClickHouse, options: BoardStoreOptions = {}) {
    this.trendMinutes = options.trendMinutes ?? 15
    this.trendBucketSeconds = options.trendBucketSeconds ?? 15
    this.ecgSeconds = options.ecgSeconds ?? 10
    this.arrivedMinutes = options.arrivedMinutes ?? 15
  }

  private async rows<T = Record<string, unknown>>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const rs = await this.ch.client.query({ query, query_params: params, format: 'JSONEachRow' })
    return rs.json<T>()
  }

  /** Transports en route, and those arrived in the last minutes, latest state each. */
  async transports(): Promise<BoardTransport[]> {
    // tuple(): argMax skips NULLs, and a null ETA must win when it is the latest.
    const rows = await this.rows(
      `SELECT unit, patient_id, argMax(gateway_id, updated_time) AS gateway, argMax(destination_site, updated_time) AS site, argMax(state, updated_time) AS latest_state,
          argMax(tuple(toUnixTimestamp64Milli(eta)), updated_time).1 AS eta_time, toUnixTimestamp64Milli(max(updated_time)) AS updated
        FROM transports GROUP BY unit, patient_id
        HAVING latest_state = 'en_route' OR (latest_state = 'arrived' AND updated > toUnixTimestamp64Milli(now64(3)) - {arrived:UInt32} * 60000)
        ORDER BY updated DESC LIMIT 1000`,
      { arrived: this.arrivedMinutes },
    )
    return rows.map((r) => ({
      gateway_id: String(r.gateway), unit: String(r.unit), patient_id: String(r.patient_id), destination_site: String(r.site),
      state: r.latest_state as BoardTransport['state'],
      eta: nullableNumber(r.eta_time),
      updated_time: n(r.updated),
    }))
  }

  /** Open encounters of a kind (icu_stay for the ICU board, ed_arrival for the triage queue), latest version each. */
  async openEncounters(kind: 'icu_stay' | 'ed_arrival', withinDays = 30): Promise<BoardEncounter[]> {
    const rows = await this.rows(
      `SELECT encounter_id, argMax(patient_id, updated_time) AS patient_id, argMax(site, updated_time) AS site,
          argMax(tuple(ward), updated_time).1 AS ward, argMax(tuple(bed), updated_time).1 AS bed,
          argMax(tuple(triage_level), updated_time).1 AS triage_level,
          toUnixTimestamp64Milli(min(start_time)) AS start, argMax(tuple(end_time), updated_time).1 AS ended
        FROM encounters
        WHERE kind = {kind:String} AND start_time > now64(3) - toIntervalDay({days:UInt32})
        GROUP BY encounter_id HAVING ended IS NULL
        ORDER BY start LIMIT 2000`,
      { kind, days: withinDays },
    )
    return rows.map((r) => ({
      encounter_id: String(r.encounter_id), patient_id: String(r.patient_id), kind, site: String(r.site),
      ward: nullableString(r.ward), bed: nullableString(r.bed), triage_level: nullableString(r.triage_level),
      start_time: n(r.start), end_time: null,
    }))
  }

  /** One encounter's latest version, open or not; null when unknown. */
  async encounter(encounterId: string): Promise<BoardEncounter | null> {
    const [r] = await this.rows(
      `SELECT encounter_id, argMax(patient_id, updated_time) AS patient, argMax(kind, updated_time) AS latest_kind, argMax(site, updated_time) AS latest_site,
          argMax(tuple(ward), updated_time).1 AS latest_ward, argMax(tuple(bed), updated_time).1 AS latest_bed,
          argMax(tuple(triage_level), updated_time).1 AS latest_level,
          toUnixTimestamp64Milli(min(start_time)) AS start, argMax(tuple(toUnixTimestamp64Milli(end_time)), updated_time).1 AS ended
        FROM encounters WHERE encounter_id = {id:String} GROUP BY encounter_id`,
      { id: encounterId },
    )
    if (!r) return null
    return {
      encounter_id: String(r.encounter_id), patient_id: String(r.patient), kind: String(r.latest_kind), site: String(r.latest_site),
      ward: nullableString(r.latest_ward), bed: nullableString(r.latest_bed), triage_level: nullableString(r.latest_level),
      start_time: n(r.start), end_time: nullableNumber(r.ended),
    }
  }

  /** Where every patient on a board is: the live bus starts from this and follows the events. */
  async places(): Promise<BoardPlace[]> {
    const [transports, icu, arrivals] = await Promise.all([this.transports(), this.openEncounters('icu_stay'), this.openEncounters('ed_arrival')])
    return [
      ...transports.filter((t) => t.state === 'en_route').map((t) => ({ board: 'ed' as const, patient_id: t.patient_id, site: t.destination_site, ward: ED_WARD, gateway_id: t.gateway_id })),
      ...icu.map((e) => ({ board: 'icu' as const, patient_id: e.patient_id, site: e.site, ward: e.ward })),
      ...arrivals.map((e) => ({ board: 'triage' as const, patient_id: e.patient_id, site: e.site, ward: e.ward })),
    ]
  }

  /**
   * Latest vitals (last day), trends and latest triage of each patient; with `sources`, only the
   * readings each patient's listed gateways sent (the ED board: the transport's gateway).
   */
  async cards(patientIds: readonly string[], sources?: readonly ReadingSource[]): Promise<PatientCard[]> {
    const ids = [...new Set(patientIds)]
    if (ids.length === 0) return []
    const { filter: from, params: fromParams } = sourceFilter(sources)
    const [vitals, trends, triage] = await Promise.all([
      this.rows(
        `SELECT patient_id, name, argMax(value, (device_time, seq)) AS value, argMax(unit, (device_time, seq)) AS unit,
            toUnixTimestamp64Milli(max(device_time)) AS time, argMax(flags, (device_time, seq)) AS flags
          FROM observations WHERE patient_id IN {p:Array(String)} ${from} AND device_time > now64(3) - INTERVAL 1 DAY
            AND name != 'other'
          GROUP BY patient_id, name`,
        { p: ids, ...fromParams },
      ),
      this.rows(
        `SELECT patient_id, name, toUnixTimestamp(toStartOfInterval(device_time, toIntervalSecond({b:UInt32}))) * 1000 AS t, avg(value) AS v
          FROM observations
          WHERE patient_id IN {p:Array(String)} ${from} AND name IN {names:Array(String)}
            AND device_time > now64(3) - toIntervalMinute({m:UInt32}) AND device_time <= now64(3) + INTERVAL 1 MINUTE
          GROUP BY patient_id, name, t ORDER BY patient_id, name, t`,
        { p: ids, names: TREND_VITALS, b: this.trendBucketSeconds, m: this.trendMinutes, ...fromParams },
      ),
      this.rows(
        `SELECT patient_id, argMax(level, (time, seq)) AS level, argMax(news2_score, (time, seq)) AS news2_score,
            argMax(news2_partial, (time, seq)) AS news2_partial, argMax(news2_level, (time, seq)) AS news2_level,
            argMax(model_level, (time, seq)) AS model_level, toUnixTimestamp64Milli(max(time)) AS latest
          FROM triage_results WHERE patient_id IN {p:Array(String)} ${from} AND time > now64(3) - INTERVAL 1 DAY
          GROUP BY patient_id`,
        { p: ids, ...fromParams },
      ),
    ])
    const out = new Map<string, PatientCard>(ids.map((id) => [id, { patient_id: id, vitals: {}, trends: {}, triage: null }]))
    for (const r of vitals) {
      out.get(String(r.patient_id))!.vitals[String(r.name)] = { value: n(r.value), unit: String(r.unit), time: n(r.time), flags: r.flags as string[] }
    }
    for (const r of trends) {
      const card = out.get(String(r.patient_id))!
      ;(card.trends[String(r.name)] ??= []).push([n(r.t), n(r.v)])
    }
    for (const r of triage) {
      out.get(String(r.patient_id))!.triage = {
        level: String(r.level), news2_score: n(r.news2_score), news2_partial: Boolean(r.news2_partial), news2_level: String(r.news2_level),
        model_level: r.model_level ? String(r.model_level) : null, time: n(r.latest),
      }
    }
    return [...out.values()]
  }

  /** The last seconds of ECG of each patient (received in the last minute), as chunks per lead in time order; `sources` as for cards(). */
  async ecg(patientIds: readonly string[], sources?: readonly ReadingSource[]): Promise<Record<string, EcgTrace[]>> {
    const ids = [...new Set(patientIds)]
    if (ids.length === 0) return {}
    const { filter: from, params: fromParams } = sourceFilter(sources)
    const rows = await this.rows(
      `SELECT patient_id, lead, toUnixTimestamp64Milli(start_time) AS start, sample_rate_hz, resolution_uv, samples
        FROM waveforms
        WHERE patient_id IN {p:Array(String)} ${from} AND signal_kind = 'ecg' AND received_time > now64(3) - INTERVAL 1 MINUTE
        ORDER BY patient_id, start_time, lead`,
      { p: ids, ...fromParams },
    )
    const end = (r: Record<string, unknown>) => n(r.start) + ((r.samples as number[]).length * 1000) / n(r.sample_rate_hz)
    const latest = new Map<string, number>()
    for (const r of rows) latest.set(String(r.patient_id), Math.max(latest.get(String(r.patient_id)) ?? 0, end(r)))
    const out: Record<string, EcgTrace[]> = {}
    for (const r of rows) {
      const id = String(r.patient_id)
      if (end(r) <= latest.get(id)! - this.ecgSeconds * 1000) continue
      ;(out[id] ??= []).push({ lead: String(r.lead), start_time: n(r.start), sample_rate_hz: n(r.sample_rate_hz), resolution_uv: n(r.resolution_uv), samples: r.samples as number[] })
    }
    return out
  }
}

/**
 * `(patient, gateway) IN sources` as a bound Array(String) of "patient|gateway" (chdb's binder
 * takes no arrays of tuples; an Identifier never holds "|": contracts/src/ids.ts). No sources: no filter.
 */
function sourceFilter(sources: readonly ReadingSource[] | undefined): { filter: string; params: Record<string, unknown> } {
  if (sources === undefined) return { filter: '', params: {} }
  return { filter: `AND concat(patient_id, '|', gateway_id) IN {src:Array(String)}`, params: { src: [...new Set(sources.map((s) => `${s.patient_id}|${s.gateway_id}`))] } }
}
