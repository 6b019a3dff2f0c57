// Lab results and their orders (0024): the results not yet matched, the match of each, the
// critical limits. The core decides the match (core/src/lab-matching.ts); this file only stores.
import type { Alarm } from '@neva/contracts'
import type { ClickHouse } from './connection.js'
import { alarmRow, toDateTime64 } from './telemetry-store.js'

export const LAB_MATCH_OUTCOMES = ['matched', 'unmatched', 'cancelled_order'] as const
export type LabMatchOutcome = (typeof LAB_MATCH_OUTCOMES)[number]

/** A result as the matcher needs it (a lab_results row). */
export interface LabResultRef {
  gateway_id: string
  seq: number
  device_id: string
  source: 'mqtt' | 'hl7v2' | 'astm' | 'serial' | 'opcua'
  specimen_id: string | null
  test_code: string
  loinc: string | null
  numeric_value: number | null
  value: string
  unit: string
  result_time: number | null
  received_time: number
  /** The outcome stored last time; null when never matched. */
  previous: LabMatchOutcome | null
}

export interface LabMatch {
  gateway_id: string
  seq: number
  specimen_id: string
  test_code: string
  loinc: string | null
  order_id: string
  outcome: LabMatchOutcome
  critical: boolean
  received_time: number
  matched_time: number
}

export interface CriticalLimit {
  loinc: string
  unit: string
  low: number | null
  high: number | null
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

export class LabMatchStore {
  constructor(private readonly ch: ClickHouse) {}

  private async rows(query: string, query_params: Record<string, unknown> = {}): Promise<Array<Record<string, unknown>>> {
    return (await this.ch.client.query({ query, query_params, format: 'JSONEachRow' })).json<Record<string, unknown>>()
  }

  /**
   * Results never matched, and those last found unmatched within `retryMs` (an order placed
   * after its result still claims it), oldest first.
   */
  async pending(now: number, retryMs: number, limit = 1000): Promise<LabResultRef[]> {
    const rows = await this.rows(
      `SELECT r.gateway_id AS gateway_id, r.seq AS seq, r.device_id AS device_id, r.source AS source, r.order_id AS specimen_id, r.test_code AS test_code, r.loinc AS loinc,
          r.numeric_value AS numeric_value, r.value AS value, r.unit AS unit,
          toUnixTimestamp64Milli(r.result_time) AS result_ms, toUnixTimestamp64Milli(r.received_time) AS received_ms, m.outcome AS previous
        FROM lab_results AS r
        LEFT JOIN (SELECT gateway_id, seq, argMax(outcome, matched_time) AS outcome FROM lab_result_matches GROUP BY gateway_id, seq) AS m
          ON m.gateway_id = r.gateway_id AND m.seq = r.seq
        WHERE m.outcome = '' OR (m.outcome = 'unmatched' AND r.received_time >= fromUnixTimestamp64Milli({since:Int64}))
        ORDER BY r.received_time LIMIT {limit:UInt32}`,
      { since: now - retryMs, limit },
    )
    return rows.map((r) => ({
      gateway_id: String(r.gateway_id), seq: Number(r.seq), device_id: String(r.device_id), source: r.source as LabResultRef['source'],
      specimen_id: r.specimen_id === null ? null : String(r.specimen_id), test_code: String(r.test_code), loinc: r.loinc === null ? null : String(r.loinc),
      numeric_value: num(r.numeric_value), value: String(r.value), unit: String(r.unit),
      result_time: num(r.result_ms), received_time: Number(r.received_ms),
      previous: r.previous === '' || r.previous === null ? null : (r.previous as LabMatchOutcome),
    }))
  }

  async put(matches: readonly LabMatch[]): Promise<void> {
    if (matches.length === 0) return
    await this.ch.client.insert({
      table: 'lab_result_matches',
      values: matches.map((m) => ({ ...m, critical: m.critical ? 1 : 0, received_time: toDateTime64(m.received_time), matched_time: toDateTime64(m.matched_time) })),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 },
    })
  }

  /** The test codes and LOINC codes of results matched to this order so far. */
  async resultedTests(orderId: string): Promise<Array<{ test_code: string; loinc: string | null }>> {
    const rows = await this.rows(
      `SELECT test_code, loinc FROM lab_result_matches WHERE order_id = {o:String} GROUP BY gateway_id, seq, test_code, loinc
        HAVING argMax(outcome, matched_time) = 'matched'`,
      { o: orderId },
    )
    return rows.map((r) => ({ test_code: String(r.test_code), loinc: r.loinc === null ? null : String(r.loinc) }))
  }

  /** Results no order has claimed (latest outcome unmatched or cancelled_order), newest first. */
  async unmatched(limit = 500): Promise<LabMatch[]> {
    const rows = await this.rows(
      `SELECT gateway_id, seq, argMax(specimen_id, matched_time) AS specimen, argMax(test_code, matched_time) AS code, argMax(loinc, matched_time) AS lo,
          argMax(order_id, matched_time) AS ord, argMax(outcome, matched_time) AS latest, argMax(critical, matched_time) AS crit,
          toUnixTimestamp64Milli(max(received_time)) AS received, toUnixTimestamp64Milli(max(matched_time)) AS matched
        FROM lab_result_matches GROUP BY gateway_id, seq HAVING latest != 'matched' ORDER BY received DESC LIMIT {limit:UInt32}`,
      { limit },
    )
    return rows.map((r) => ({
      gateway_id: String(r.gateway_id), seq: Number(r.seq), specimen_id: String(r.specimen), test_code: String(r.code), loinc: r.lo === null ? null : String(r.lo),
      order_id: String(r.ord), outcome: r.latest as LabMatchOutcome, critical: Number(r.crit) === 1, received_time: Number(r.received), matched_time: Number(r.matched),
    }))
  }

  async criticalLimits(): Promise<CriticalLimit[]> {
    const rows = await this.rows(`SELECT loinc, argMax(unit, updated_time) AS u, argMax(low, updated_time) AS lo, argMax(high, updated_time) AS hi FROM lab_critical_limits GROUP BY loinc`)
    return rows.map((r) => ({ loinc: String(r.loinc), unit: String(r.u), low: num(r.lo), high: num(r.hi) }))
  }

  /** Stores an alarm the core raised itself (a critical lab value) in the alarms table. */
  async raiseAlarm(alarm: Alarm): Promise<void> {
    await this.ch.client.insert({ table: 'alarms', values: [alarmRow(alarm)], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 } })
  }
}
