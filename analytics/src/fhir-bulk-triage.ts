// The bulk export's read of triage verdicts (RiskAssessment): every patient's verdicts of a window
// in the table's own sort key order (patient_id, time, gateway_id, seq), a page at a time, as
// compact arrays (JSONCompactEachRow: one parse per page, no object per row), with keyset paging
// on the sort key, as fhir-bulk-store.ts reads the vitals. The SQL text is constant; the window
// and the position are bound parameters.
import type { ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'

/** The risk source's columns (fhir-store.ts), in this order. */
export const BULK_TRIAGE_COLUMNS = ['patient_id', 't_ms', 'k', 'level', 'news2_score', 'news2_partial', 'news2_level', 'news2_missing', 'model_version', 'model_level',
  'model_probabilities', 'model_drivers', 'inputs', 'model_risk', 'model_risk_model', 'model_risk_inputs', 'model_risk_sparse', 'gateway_id', 'seq'] as const
export type BulkTriageRow = unknown[] & { 0: string; 1: number; 2: string; 17: string; 18: string }

export interface BulkTriagePosition {
  patient: string
  t: number
  gateway: string
  seq: string
}

const COLUMNS = `patient_id, toUnixTimestamp64Milli(time) AS t_ms, concat(gateway_id, '|', toString(seq)) AS k, level, news2_score, news2_partial, news2_level,
  news2_missing, model_version, model_level, model_probabilities, model_drivers, inputs, model_risk, model_risk_model, model_risk_inputs, model_risk_sparse,
  gateway_id, toString(seq) AS seq_text`
const WINDOW = `time >= {since:DateTime64(3, 'UTC')} AND time < {until:DateTime64(3, 'UTC')}`
// patient_id >= … first: the primary key narrows to where the page starts; the tuple decides.
const AFTER = `patient_id >= {a_p:String} AND (patient_id, time, gateway_id, seq) > ({a_p:String}, {a_t:DateTime64(3, 'UTC')}, {a_g:String}, {a_s:UInt64})`
const ORDER = 'ORDER BY patient_id, time, gateway_id, seq LIMIT {limit:UInt32}'

/** One page of the window's verdicts after `after`, in sort key order. */
export async function bulkTriagePage(ch: ClickHouse, window: { since: number; until: number }, after: BulkTriagePosition | undefined, limit: number): Promise<BulkTriageRow[]> {
  const params: Record<string, unknown> = { since: toDateTime64(window.since), until: toDateTime64(window.until), limit }
  if (after) Object.assign(params, { a_p: after.patient, a_t: toDateTime64(after.t), a_g: after.gateway, a_s: after.seq })
  const query = `SELECT ${COLUMNS} FROM triage_results WHERE ${WINDOW}${after ? ` AND ${AFTER}` : ''} ${ORDER}`
  const rs = await ch.client.query({ query, query_params: params, format: 'JSONCompactEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })
  const text = await rs.text()
  if (text.length === 0) return []
  return JSON.parse(`[${text.trimEnd().replaceAll('\n', ',')}]`) as BulkTriageRow[]
}

export const positionOfBulkTriageRow = (row: BulkTriageRow): BulkTriagePosition => ({ patient: row[0], t: row[1], gateway: row[17], seq: row[18] })

/** A bulk row as the object the risk source gives (the columns above by name). */
export function bulkTriageObject(row: BulkTriageRow): Record<string, unknown> & { patient_id: string; t_ms: number; k: string } {
  const o: Record<string, unknown> = {}
  for (let i = 0; i < BULK_TRIAGE_COLUMNS.length; i++) o[BULK_TRIAGE_COLUMNS[i]!] = row[i]
  return o as Record<string, unknown> & { patient_id: string; t_ms: number; k: string }
}
