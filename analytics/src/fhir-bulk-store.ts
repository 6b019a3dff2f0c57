// The bulk export's read of vital signs: every patient's readings of a window in the table's own
// sort key order (patient_id, device_time, name, gateway_id, seq), a page at a time, as compact
// arrays (JSONCompactEachRow: one native parse per page, no object per row). Keyset paging on the
// sort key lets each page start where the index says, so a page costs the same wherever it is.
// The SQL text is constant; the window and the position are bound parameters.
import type { ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'

/**
 * [patient_id, t_ms, name, gateway_id, seq, device_id, mdc_code, loinc, value, unit, device_label,
 * value_text, value_code, value_system, patient_reported (0/1)]
 */
export type BulkVitalRow = [string, number, string, string, string, string, number, string, number | null, string, string, string, string, string, number]

/** The sort key of the last row read: the next page starts after it. */
export interface BulkVitalPosition {
  patient: string
  t: number
  name: string
  gateway: string
  seq: string
}

const COLUMNS = `patient_id, toUnixTimestamp64Milli(device_time) AS t_ms, name, gateway_id, toString(seq) AS seq_text, device_id, mdc_code, loinc, value, unit, device_label, value_text, value_code, value_system, has(flags, 'patient_reported') AS reported`
const WINDOW = `device_time >= {since:DateTime64(3, 'UTC')} AND device_time < {until:DateTime64(3, 'UTC')}`
// patient_id >= … first: the primary key narrows to where the page starts; the tuple decides.
const AFTER = `patient_id >= {a_p:String} AND (patient_id, device_time, name, gateway_id, seq) > ({a_p:String}, {a_t:DateTime64(3, 'UTC')}, {a_n:String}, {a_g:String}, {a_s:UInt64})`
const ORDER = 'ORDER BY patient_id, device_time, name, gateway_id, seq LIMIT {limit:UInt32}'

/** One page of the window's vitals after `after`, in sort key order. */
export async function bulkVitalsPage(ch: ClickHouse, window: { since: number; until: number }, after: BulkVitalPosition | undefined, limit: number): Promise<BulkVitalRow[]> {
  const params: Record<string, unknown> = { since: toDateTime64(window.since), until: toDateTime64(window.until), limit }
  if (after) Object.assign(params, { a_p: after.patient, a_t: toDateTime64(after.t), a_n: after.name, a_g: after.gateway, a_s: after.seq })
  const query = `SELECT ${COLUMNS} FROM observations WHERE ${WINDOW}${after ? ` AND ${AFTER}` : ''} ${ORDER}`
  const rs = await ch.client.query({ query, query_params: params, format: 'JSONCompactEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
  const text = await rs.text()
  if (text.length === 0) return []
  // One parse for the page: the rows joined as a JSON array.
  return JSON.parse(`[${text.trimEnd().replaceAll('\n', ',')}]`) as BulkVitalRow[]
}

export const positionOfBulkRow = (row: BulkVitalRow): BulkVitalPosition => ({ patient: row[0], t: row[1], name: row[2], gateway: row[3], seq: row[4] })
