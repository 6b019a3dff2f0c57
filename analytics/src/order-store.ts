// Physician orders: each change is a row (orders is a ReplacingMergeTree by updated_time), read
// back as the latest row per order. The core checks who may change what; this file only stores.
import type { Order } from '@neva/contracts'
import type { ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'

export function orderRow(o: Order) {
  return { ...o, placed_time: toDateTime64(o.placed_time), updated_time: toDateTime64(o.updated_time) }
}

const LATEST = `SELECT order_id, argMax(patient_id, updated_time) AS patient_id, argMax(encounter_id, updated_time) AS encounter_id,
    argMax(ordered_by, updated_time) AS ordered_by, argMax(code, updated_time) AS code, argMax(text, updated_time) AS text,
    argMax(status, updated_time) AS status, argMax(updated_by, updated_time) AS updated_by,
    toUnixTimestamp64Milli(min(placed_time)) AS placed, toUnixTimestamp64Milli(max(updated_time)) AS updated
  FROM orders`

/** WHERE reads the columns, not the SELECT's aliases of the same name. */
const COLUMNS_FIRST = { prefer_column_name_to_alias: 1 } as const

function fromRow(r: Record<string, unknown>): Order {
  return {
    order_id: String(r.order_id), patient_id: String(r.patient_id), encounter_id: String(r.encounter_id),
    ordered_by: String(r.ordered_by), code: String(r.code), text: String(r.text), status: r.status as Order['status'],
    updated_by: String(r.updated_by), placed_time: Number(r.placed), updated_time: Number(r.updated),
  }
}

export class OrderStore {
  constructor(private readonly ch: ClickHouse) {}

  /** Resolves after the commit. */
  async put(order: Order): Promise<void> {
    await this.ch.client.insert({
      table: 'orders',
      values: [orderRow(order)],
      format: 'JSONEachRow',
      clickhouse_settings: { async_insert: 0 },
    })
  }

  async get(orderId: string): Promise<Order | null> {
    const rs = await this.ch.client.query({ query: `${LATEST} WHERE order_id = {id:String} GROUP BY order_id`, query_params: { id: orderId }, format: 'JSONEachRow', clickhouse_settings: COLUMNS_FIRST })
    const [row] = await rs.json<Record<string, unknown>>()
    return row ? fromRow(row) : null
  }

  /** The orders of these patients, newest first. */
  async forPatients(patientIds: readonly string[]): Promise<Order[]> {
    if (patientIds.length === 0) return []
    const rs = await this.ch.client.query({
      query: `${LATEST} WHERE patient_id IN {p:Array(String)} GROUP BY order_id ORDER BY placed DESC LIMIT 500`,
      query_params: { p: patientIds },
      format: 'JSONEachRow',
      clickhouse_settings: COLUMNS_FIRST,
    })
    return (await rs.json<Record<string, unknown>>()).map(fromRow)
  }
}
