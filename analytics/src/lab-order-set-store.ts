// Order sets used: which preliminary suggestion a lab order came from (lab_order_set_uses, 0021),
// and the suggestion an order names, read back to check it and to know what its set offered.
import { dedupToken, type ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'

export interface OrderSetUse {
  suggestion_id: string
  order_id: string
  encounter_id: string
  offered: readonly string[]
  ordered: readonly string[]
  time: number
}

export class LabOrderSetStore {
  constructor(private readonly ch: ClickHouse) {}

  /** A preliminary suggestion, or null when there is none with that id. */
  async suggestion(id: string): Promise<{ encounter_id: string; suggested_icd10: string[] } | null> {
    const rs = await this.ch.client.query({
      query: `SELECT encounter_id, suggested_icd10 FROM dx_suggestions WHERE suggestion_id = {id:String} AND kind = 'preliminary' LIMIT 1`,
      query_params: { id },
      format: 'JSONEachRow',
    })
    return (await rs.json<{ encounter_id: string; suggested_icd10: string[] }>())[0] ?? null
  }

  /** The orders placed from this suggestion's set, oldest first. */
  async ordersFrom(suggestionId: string): Promise<string[]> {
    const rs = await this.ch.client.query({
      query: 'SELECT DISTINCT order_id FROM lab_order_set_uses WHERE suggestion_id = {id:String} ORDER BY order_id',
      query_params: { id: suggestionId },
      format: 'JSONEachRow',
    })
    return (await rs.json<{ order_id: string }>()).map((r) => r.order_id)
  }

  async recordUse(u: OrderSetUse): Promise<void> {
    await this.ch.client.insert({
      table: 'lab_order_set_uses',
      format: 'JSONEachRow',
      values: [{ ...u, time: toDateTime64(u.time) }],
      clickhouse_settings: { insert_deduplication_token: dedupToken('lab_order_set_uses', `${u.suggestion_id}/${u.order_id}`), async_insert: 0 },
    })
  }
}
