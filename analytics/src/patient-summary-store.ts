// Reads for the patient page (core /v1/patients/:id/summary): one patient's vitals over a window,
// averaged per time bucket here in ClickHouse (7 days of 1 Hz readings would be 600,000 points per
// vital), every acknowledgement of their alarms, and their orders. The SQL text is constant; the
// patient, the window and the bucket are bound parameters.
import { VITALS, type VitalName } from '@neva/contracts'
import type { ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'
import { readSection, type Section, type SectionRow } from './sections.js'

/** One vital's series: bucket starts (ms) and the bucket's mean, min and max. */
export interface VitalSeries {
  name: string
  unit: string
  t: number[]
  avg: number[]
  min: number[]
  max: number[]
}

/** A vital's latest reading in the window: its value and time (ms). */
export interface LatestReading {
  name: string
  value: number
  time: number
}

export interface PatientAck {
  alarm_id: string
  user: string
  note: string | null
  acked_at: number
}

export interface PatientOrder {
  order_id: string
  encounter_id: string
  code: string
  text: string
  status: string
  ordered_by: string
  placed_time: number
  updated_time: number
}

/** A triage verdict: NEWS2, the model's level and version, its inputs and top drivers (JSON as stored). */
export interface PatientTriage {
  time: number
  level: string
  news2_score: number
  news2_partial: boolean
  news2_level: string
  news2_missing: string[]
  model_version: string
  model_level: string
  model_probabilities: Record<string, number>
  model_drivers: unknown
  inputs: unknown
}

type Row = Record<string, unknown>

/** Rows of (name, t, avg, min, max) in (name, t) order → one series per vital. */
function series(rows: Row[], unitOf: (r: Row) => string): VitalSeries[] {
  const byName = new Map<string, VitalSeries>()
  for (const r of rows) {
    const name = String(r.name)
    let s = byName.get(name)
    if (!s) byName.set(name, (s = { name, unit: unitOf(r), t: [], avg: [], min: [], max: [] }))
    s.t.push(Number(r.t))
    s.avg.push(Number(r.avg))
    s.min.push(Number(r.min))
    s.max.push(Number(r.max))
  }
  return [...byName.values()]
}

function parsed(text: unknown): unknown {
  try {
    return JSON.parse(String(text))
  } catch {
    return String(text)
  }
}

export class PatientSummaryStore {
  constructor(private readonly ch: ClickHouse) {}

  private async rows(query: string, params: Record<string, unknown>): Promise<Row[]> {
    const rs = await this.ch.client.query({ query, query_params: params, format: 'JSONEachRow' })
    return rs.json<Row>()
  }

  /**
   * Each vital's readings since `fromMs`, averaged per `stepS` seconds, in time order. Buckets of
   * whole 5 minutes are merged from vitals_per_5min (migration 0034), other whole minutes from
   * vitals_per_minute (0008), each starting at the bucket `fromMs` falls in; shorter ones are
   * averaged from the readings.
   */
  async vitals(patient: string, fromMs: number, stepS: number): Promise<VitalSeries[]> {
    return this.vitalSeries(patient, fromMs, stepS, await readSection(this.ch, vitalsSection(patient, fromMs, stepS)))
  }

  /** The rows of vitalsSection as series; a vital outside the registry has its unit looked up in its readings. */
  async vitalSeries(patient: string, fromMs: number, stepS: number, rows: SectionRow[]): Promise<VitalSeries[]> {
    if (stepS % 60 !== 0) return series(rows, (r) => String(r.unit))
    // The rollup keeps no unit: a known vital's is the registry's (readings are stored in it);
    // only a name outside the registry is looked up in its readings.
    const unitOf = new Map<string, string>()
    const unknown = new Set<string>()
    for (const r of rows) {
      const name = String(r.name)
      const known = Object.hasOwn(VITALS, name) ? VITALS[name as VitalName].unit : undefined
      if (known !== undefined) unitOf.set(name, known)
      else unknown.add(name)
    }
    if (unknown.size > 0) {
      const units = await this.rows(
        `SELECT name, argMax(unit, device_time) AS unit FROM observations
         WHERE patient_id = {patient:String} AND name IN {names:Array(String)} AND device_time >= {from:DateTime64(3, 'UTC')} GROUP BY name`,
        { patient, from: toDateTime64(fromMs), names: [...unknown] },
      )
      for (const u of units) unitOf.set(String(u.name), String(u.unit))
    }
    return series(rows, (r) => unitOf.get(String(r.name)) ?? '')
  }

  /** Each vital's latest reading since `fromMs` (see latestSection). */
  async latest(patient: string, fromMs: number): Promise<LatestReading[]> {
    return readSection(this.ch, latestSection(patient, fromMs))
  }

  /** Triage verdicts since `fromMs`, newest first (at most `limit`). */
  async triage(patient: string, fromMs: number, limit: number): Promise<PatientTriage[]> {
    return readSection(this.ch, triageSection(patient, fromMs, limit))
  }

  /** The acknowledgements of these alarms, oldest first. */
  async acks(alarmIds: readonly string[]): Promise<PatientAck[]> {
    if (alarmIds.length === 0) return []
    const rows = await this.rows(
      `SELECT alarm_id, user, note, toUnixTimestamp64Milli(acked_at) AS acked_ms FROM alarm_acks
       WHERE alarm_id IN {ids:Array(String)} ORDER BY acked_at, alarm_id`,
      { ids: [...alarmIds] },
    )
    return ackRows(rows)
  }

  /** The patient's orders, each as of its latest update, newest first (at most `limit`). */
  async orders(patient: string, limit: number): Promise<PatientOrder[]> {
    return readSection(this.ch, ordersSection(patient, limit))
  }
}

/** The rollup buckets of `stepS` seconds are merged from: its table and bucket column, and the start of the bucket a time falls in. */
function rollupFor(stepS: number): { table: string; column: string; start: string } | null {
  // Whole 5 minutes (the page's 24 h and 7 days) from vitals_per_5min (0034): a fifth of the rows.
  if (stepS % 300 === 0) return { table: 'vitals_per_5min', column: 'bucket', start: 'toStartOfFiveMinutes' }
  if (stepS % 60 === 0) return { table: 'vitals_per_minute', column: 'minute', start: 'toStartOfMinute' }
  return null
}

/** The vitals' rows (name, t, avg, min, max; unit when averaged from the readings), see PatientSummaryStore.vitals. */
export function vitalsSection(patient: string, fromMs: number, stepS: number): Section<SectionRow[]> {
  const params = { patient, from: toDateTime64(fromMs), step: stepS }
  const r = rollupFor(stepS)
  const query = r
    ? `SELECT name, toUnixTimestamp(toStartOfInterval(${r.column}, toIntervalSecond({step:UInt32}))) * 1000 AS t,
              avgMerge(avg_value) AS avg, minMerge(min_value) AS min, maxMerge(max_value) AS max
       FROM ${r.table}
       WHERE patient_id = {patient:String} AND ${r.column} >= ${r.start}({from:DateTime64(3, 'UTC')})
       GROUP BY name, t HAVING isFinite(avg) ORDER BY name, t`
    : `SELECT name, any(unit) AS unit,
              toUnixTimestamp(toStartOfInterval(device_time, toIntervalSecond({step:UInt32}))) * 1000 AS t,
              avg(value) AS avg, min(value) AS min, max(value) AS max
       FROM observations
       WHERE patient_id = {patient:String} AND device_time >= {from:DateTime64(3, 'UTC')} AND isFinite(value)
       GROUP BY name, t ORDER BY name, t`
  return { query, params, map: (rows) => rows }
}

/**
 * Each vital's latest reading since `fromMs`, by name: the chart's last bucket is a mean of up to
 * 5 minutes, the handover shows the reading itself. Read from the readings of the patient's newest
 * 5 minutes in the rollup only (by key, at most a few hundred rows); a vital with none there has
 * no entry (its chart's last bucket stands in).
 */
export function latestSection(patient: string, fromMs: number): Section<LatestReading[]> {
  return {
    query: `SELECT name, argMax(value, device_time) AS last_value, toUnixTimestamp64Milli(max(device_time)) AS last_ms
       FROM observations
       WHERE patient_id = {patient:String} AND isFinite(value) AND device_time >= (
         SELECT greatest(max(bucket), toStartOfFiveMinutes({from:DateTime64(3, 'UTC')})) FROM vitals_per_5min
         WHERE patient_id = {patient:String} AND bucket >= toStartOfFiveMinutes({from:DateTime64(3, 'UTC')}))
       GROUP BY name ORDER BY name`,
    params: { patient, from: toDateTime64(fromMs) },
    map: (rows) => rows.map((r) => ({ name: String(r.name), value: Number(r.last_value), time: Number(r.last_ms) })),
  }
}

/** Triage verdicts since `fromMs`, newest first (at most `limit`). */
export function triageSection(patient: string, fromMs: number, limit: number): Section<PatientTriage[]> {
  return {
    query: `SELECT toUnixTimestamp64Milli(time) AS t, level, news2_score, news2_partial, news2_level, news2_missing, model_version, model_level,
              model_probabilities, model_drivers, inputs
       FROM triage_results WHERE patient_id = {patient:String} AND time >= {from:DateTime64(3, 'UTC')}
       ORDER BY time DESC LIMIT {limit:UInt32}`,
    params: { patient, from: toDateTime64(fromMs), limit },
    map: (rows) => rows.map((r) => ({
      time: Number(r.t), level: String(r.level), news2_score: Number(r.news2_score), news2_partial: Boolean(r.news2_partial), news2_level: String(r.news2_level),
      news2_missing: (r.news2_missing as string[]) ?? [], model_version: String(r.model_version), model_level: String(r.model_level),
      model_probabilities: (r.model_probabilities as Record<string, number>) ?? {}, model_drivers: parsed(r.model_drivers), inputs: parsed(r.inputs),
    })),
  }
}

const ackRows = (rows: SectionRow[]): PatientAck[] =>
  rows.map((r) => ({ alarm_id: String(r.alarm_id), user: String(r.user), note: r.note === null ? null : String(r.note), acked_at: Number(r.acked_ms) }))

/** The acknowledgements of the alarms `alarmIds` (a query of one column named k, its parameters beside), oldest first. */
export function acksSection(alarmIds: { query: string; params: Record<string, unknown> }): Section<PatientAck[]> {
  return {
    query: `SELECT alarm_id, user, note, toUnixTimestamp64Milli(acked_at) AS acked_ms FROM alarm_acks
       WHERE alarm_id IN (SELECT k FROM (${alarmIds.query})) ORDER BY acked_at, alarm_id`,
    params: alarmIds.params,
    map: ackRows,
  }
}

/** The patient's orders, each as of its latest update, newest first (at most `limit`). */
export function ordersSection(patient: string, limit: number): Section<PatientOrder[]> {
  const order = '(updated_time, ingested_at)'
  return {
    query: `SELECT order_id, argMax(encounter_id, ${order}) AS encounter_id, argMax(code, ${order}) AS code, argMax(text, ${order}) AS text,
              argMax(status, ${order}) AS status, argMax(ordered_by, ${order}) AS ordered_by,
              toUnixTimestamp64Milli(min(placed_time)) AS placed_ms, toUnixTimestamp64Milli(max(updated_time)) AS updated_ms
       FROM orders WHERE patient_id = {patient:String}
       GROUP BY order_id ORDER BY updated_ms DESC LIMIT {limit:UInt32}`,
    params: { patient, limit },
    map: (rows) => rows.map((r) => ({
      order_id: String(r.order_id), encounter_id: String(r.encounter_id), code: String(r.code), text: String(r.text), status: String(r.status),
      ordered_by: String(r.ordered_by), placed_time: Number(r.placed_ms), updated_time: Number(r.updated_ms),
    })),
  }
}
