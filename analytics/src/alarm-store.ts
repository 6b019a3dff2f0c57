// Alarms for the clinical boards: each alarm's current state (its latest update), acknowledgement
// by a clinician, and history. Rows come from TelemetryStore.storeBatch; this store only reads
// them and writes alarm_acks.
//
//   update (start) ──► active ──update (continue)──► active ──update (end / state off)──► inactive
//                        │                                 (dropped from active(), kept in history())
//                        └── acknowledge(user) ──► active + ack (the first acknowledgement stays)
import type { Alarm, AlarmPriority } from '@neva/contracts'
import { dedupToken, type ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'
import { AlarmStoreError } from './errors.js'



export interface AlarmAck {
  alarm_id: string
  user: string
  note: string | null
  acked_at: number
}

/** An alarm as the board shows it: its latest update, when it was first and last heard, and its acknowledgement. */
export type AlarmView = Omit<Alarm, 'gateway_id' | 'seq'> & {
  /** Time of its first update (device time, else receive time), ms. */
  first_time: number
  /** Time of its latest update, ms. */
  last_time: number
  updates: number
  ack: AlarmAck | null
}

export type AlarmUpdate = Alarm & { time: number }

export interface ActiveQuery {
  /** Only these wards (PV1-3 point of care); all wards when absent. */
  wards?: readonly string[]
  limit?: number
}

export interface PatientsQuery {
  /** The patients in view (a board's beds). */
  patientIds: readonly string[]
  /** At most this many per patient, newest first (default 50). */
  perPatient?: number
  /** Only alarms heard in the last days (default 30). */
  withinDays?: number
}

export interface HistoryQuery {
  alarmId?: string
  wards?: readonly string[]
  patientId?: string
  /** Epoch ms, inclusive / exclusive, on the update's time. */
  from?: number
  to?: number
  limit?: number
}

/** Highest first, then unknown (a missing priority is shown, never hidden below "none"). */
const PRIORITY_ORDER: Record<AlarmPriority | 'unknown', number> = { high: 0, medium: 1, low: 2, unknown: 3, none: 4 }
const MAX_LIMIT = 10_000
const EVENT_TIME = 'ifNull(device_time, received_time)'

// Columns of the latest update of an alarm (argMax by receive order: gateway receive time, then seq).
const LATEST = ['device_id', 'source', 'patient_id', 'ward', 'room', 'bed', 'facility', 'event_code', 'event_name', 'event_text', 'source_code', 'source_name',
  'alert_type', 'priority', 'state', 'phase', 'alarm_state', 'inactivation_state', 'value', 'unit', 'limit_low', 'limit_high']

type Row = Record<string, unknown>

export class AlarmStore {
  constructor(private readonly ch: ClickHouse) {}

  /**
   * Alarms whose latest update is active, with their acknowledgement: the `limit` most recently
   * heard, shown highest priority, then oldest first. A board uses activeForPatients.
   */
  async active(query: ActiveQuery = {}): Promise<AlarmView[]> {
    const views = await this.current(query.wards, `state = 'active'`, limitOf(query.limit))
    return views.sort((a, b) => PRIORITY_ORDER[a.priority ?? 'unknown'] - PRIORITY_ORDER[b.priority ?? 'unknown'] || a.first_time - b.first_time)
  }

  /**
   * The active alarms of these patients only: newest first, at most `perPatient` each, then highest
   * priority first. "Newest" is the latest update's device time capped at the gateway's receive
   * time: an old-dated alarm sorts old, and a device clock set ahead cannot push its alarms first.
   * A board asks for its own beds: a flood of other alarms, old-dated or not, neither hides them
   * nor costs the query more than reading those patients' alarms.
   */
  async activeForPatients(query: PatientsQuery): Promise<AlarmView[]> {
    const ids = [...new Set(query.patientIds)]
    if (ids.length === 0) return []
    const per = Math.max(1, Math.min(1000, Math.floor(query.perPatient ?? 50)))
    const days = Math.max(1, Math.min(366, Math.floor(query.withinDays ?? 30)))
    const order = '(received_time, gateway_id, seq)'
    const rows = await this.rows(
      `SELECT * FROM (
         SELECT alarm_id, ${LATEST.map((c) => `argMax(${c}, ${order}) AS ${c}`).join(', ')},
                toUnixTimestamp64Milli(argMax(device_time, ${order})) AS device_ms, toUnixTimestamp64Milli(max(received_time)) AS received_ms,
                toUnixTimestamp64Milli(min(${EVENT_TIME})) AS first_ms, toUnixTimestamp64Milli(argMax(${EVENT_TIME}, ${order})) AS last_ms, count() AS updates,
                toUnixTimestamp64Milli(argMax(least(${EVENT_TIME}, received_time), ${order})) AS recent_ms
         FROM alarms
         WHERE alarm_id IN (SELECT alarm_id FROM alarms WHERE patient_id IN {p:Array(String)} AND received_time > now64(3) - toIntervalDay({days:UInt32}))
         GROUP BY alarm_id
       ) AS latest
       WHERE state = 'active' AND patient_id IN {p:Array(String)}
       ORDER BY recent_ms DESC, alarm_id
       LIMIT {per:UInt32} BY patient_id`,
      { p: ids, per, days },
    )
    const recent = new Map(rows.map((r) => [String(r.alarm_id), Number(r.recent_ms)]))
    for (const r of rows) delete r.recent_ms
    return (await this.views(rows)).sort((a, b) => PRIORITY_ORDER[a.priority ?? 'unknown'] - PRIORITY_ORDER[b.priority ?? 'unknown'] || recent.get(b.alarm_id)! - recent.get(a.alarm_id)!)
  }

  /**
   * Active alarms that name no patient (a gateway or a device silent, an unplugged sensor), found
   * by place: the board shows those of the sites and wards its user is granted.
   */
  async activeWithoutPatient(limit?: number): Promise<AlarmView[]> {
    const views = await this.current(undefined, `state = 'active' AND patient_id IS NULL`, limitOf(limit))
    return views.sort((a, b) => PRIORITY_ORDER[a.priority ?? 'unknown'] - PRIORITY_ORDER[b.priority ?? 'unknown'] || a.first_time - b.first_time)
  }

  /** One alarm's current state (ended ones too); null when unknown. */
  async get(alarmId: string): Promise<AlarmView | null> {
    const [view] = await this.current(undefined, '1', 1, alarmId)
    return view ?? null
  }

  /**
   * Records that `user` acknowledged the alarm. Idempotent: when it was already acknowledged, the
   * first acknowledgement is returned and nothing is written (`created` false).
   */
  async acknowledge(alarmId: string, user: string, note?: string): Promise<{ ack: AlarmAck; created: boolean }> {
    if (alarmId === '' || alarmId.length > 256 || user.trim() === '' || user.length > 128 || (note !== undefined && note.length > 1024)) {
      throw new AlarmStoreError('NEVA_ALARM_BAD_INPUT', `alarm ${JSON.stringify(alarmId.slice(0, 64))}, user ${JSON.stringify(user.slice(0, 64))}`)
    }
    const known = await this.rows('SELECT count() AS n FROM alarms WHERE alarm_id = {id:String}', { id: alarmId })
    if (Number(known[0]?.n ?? 0) === 0) throw new AlarmStoreError('NEVA_ALARM_UNKNOWN', JSON.stringify(alarmId.slice(0, 256)))
    const existing = await this.ackOf(alarmId)
    if (existing) return { ack: existing, created: false }
    const ack: AlarmAck = { alarm_id: alarmId, user: user.trim(), note: note?.trim() || null, acked_at: Date.now() }
    await this.ch.client.insert({
      table: 'alarm_acks',
      values: [{ ...ack, acked_at: toDateTime64(ack.acked_at) }],
      format: 'JSONEachRow',
      // Two clicks of one user racing (or a retried request) write one row.
      clickhouse_settings: { insert_deduplication_token: dedupToken('ack', alarmId, ack.user), async_insert: 0 },
    })
    // Two users racing: both rows exist, the first one is the acknowledgement everyone sees.
    return { ack: (await this.ackOf(alarmId)) ?? ack, created: true }
  }

  /** Updates in time order (oldest first), filtered; at most `limit` (default 1000). */
  async history(query: HistoryQuery = {}): Promise<AlarmUpdate[]> {
    const where: string[] = []
    const params: Record<string, unknown> = { limit: limitOf(query.limit) }
    if (query.alarmId !== undefined) { where.push('alarm_id = {id:String}'); params.id = query.alarmId }
    if (query.wards !== undefined) { where.push('ward IN {wards:Array(String)}'); params.wards = [...query.wards] }
    if (query.patientId !== undefined) { where.push('patient_id = {patient:String}'); params.patient = query.patientId }
    if (query.from !== undefined) { where.push(`${EVENT_TIME} >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')`); params.from = query.from }
    if (query.to !== undefined) { where.push(`${EVENT_TIME} < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`); params.to = query.to }
    const rows = await this.rows(
      `SELECT * EXCEPT (ingested_at), toUnixTimestamp64Milli(device_time) AS device_ms, toUnixTimestamp64Milli(received_time) AS received_ms,
              toUnixTimestamp64Milli(${EVENT_TIME}) AS time_ms
       FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY time_ms, received_ms, gateway_id, seq LIMIT {limit:UInt32}`,
      params,
    )
    return rows.map((r) => {
      const { device_ms, received_ms, time_ms, ...rest } = r
      return numbers({ ...rest, device_time: device_ms, received_time: received_ms, time: time_ms }, ['seq', 'device_time', 'received_time', 'time', 'event_code', 'source_code']) as unknown as AlarmUpdate
    })
  }

  private async current(wards: readonly string[] | undefined, having: string, limit: number, alarmId?: string): Promise<AlarmView[]> {
    const params: Record<string, unknown> = { limit }
    const where: string[] = []
    if (alarmId !== undefined) { where.push('alarm_id = {id:String}'); params.id = alarmId }
    // The ward filter applies to the latest update (an alarm belongs to the ward it is now in).
    const wardFilter = wards !== undefined ? 'AND ward IN {wards:Array(String)}' : ''
    if (wards !== undefined) params.wards = [...wards]
    const order = '(received_time, gateway_id, seq)'
    const rows = await this.rows(
      `SELECT * FROM (
         SELECT alarm_id, ${LATEST.map((c) => `argMax(${c}, ${order}) AS ${c}`).join(', ')},
                toUnixTimestamp64Milli(argMax(device_time, ${order})) AS device_ms, toUnixTimestamp64Milli(max(received_time)) AS received_ms,
                toUnixTimestamp64Milli(min(${EVENT_TIME})) AS first_ms, toUnixTimestamp64Milli(argMax(${EVENT_TIME}, ${order})) AS last_ms, count() AS updates
         FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         GROUP BY alarm_id
       ) AS latest
       WHERE ${having} ${wardFilter}
       ORDER BY received_ms DESC LIMIT {limit:UInt32}`,
      params,
    )
    return this.views(rows)
  }

  private async views(rows: Row[]): Promise<AlarmView[]> {
    const acks = await this.acksOf(rows.map((r) => String(r.alarm_id)))
    return rows.map((r) => {
      const { device_ms, received_ms, first_ms, last_ms, ...rest } = r
      const view = numbers({ ...rest, device_time: device_ms, received_time: received_ms, first_time: first_ms, last_time: last_ms },
        ['event_code', 'source_code', 'device_time', 'received_time', 'first_time', 'last_time', 'updates'])
      return { ...(view as unknown as Omit<AlarmView, 'ack'>), ack: acks.get(String(r.alarm_id)) ?? null }
    })
  }

  private async ackOf(alarmId: string): Promise<AlarmAck | null> {
    return (await this.acksOf([alarmId])).get(alarmId) ?? null
  }

  /** The first acknowledgement of each alarm. */
  private async acksOf(ids: readonly string[]): Promise<Map<string, AlarmAck>> {
    if (ids.length === 0) return new Map()
    const rows = await this.rows(
      `SELECT alarm_id, argMin(user, acked_at) AS first_user, argMin(note, acked_at) AS first_note, toUnixTimestamp64Milli(min(acked_at)) AS first_ms
       FROM alarm_acks WHERE alarm_id IN {ids:Array(String)} GROUP BY alarm_id`,
      { ids: [...ids] },
    )
    return new Map(rows.map((r) => [String(r.alarm_id), { alarm_id: String(r.alarm_id), user: String(r.first_user), note: r.first_note === null ? null : String(r.first_note), acked_at: Number(r.first_ms) }]))
  }

  private async rows(query: string, params: Record<string, unknown>): Promise<Row[]> {
    const rs = await this.ch.client.query({ query, query_params: params, format: 'JSONEachRow' })
    return rs.json<Row>()
  }
}

const limitOf = (limit: number | undefined) => Math.max(1, Math.min(MAX_LIMIT, Math.floor(limit ?? 1000)))

/** ClickHouse sends 64-bit integers as strings: these columns become numbers (null stays null). */
function numbers(row: Row, keys: readonly string[]): Row {
  const out = { ...row }
  for (const k of keys) if (out[k] !== null && out[k] !== undefined) out[k] = Number(out[k])
  return out
}
