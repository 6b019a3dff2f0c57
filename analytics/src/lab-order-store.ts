// Laboratory orders: each change is a row of lab_order_events (0023), read back as the latest row
// per order with its history. The core decides who may change what; this file only stores.
import type { LabOrder, LabOrderChange, LabOrderState, LabTest } from '@neva/contracts'
import type { ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'
import type { Section } from './sections.js'

const LATEST = `SELECT order_id,
    argMax(patient_id, event_time) AS patient, argMax(encounter_id, event_time) AS encounter,
    argMax(site, event_time) AS at_site, argMax(tuple(ward), event_time).1 AS at_ward,
    argMax(specimen_id, event_time) AS specimen, argMax(test_loinc, event_time) AS loincs, argMax(test_codes, event_time) AS codes,
    argMax(priority, event_time) AS prio, argMax(diagnosis_code, event_time) AS dx_code, argMax(diagnosis_text, event_time) AS dx_text,
    argMax(ordered_by, event_time) AS by_whom, argMax(state, event_time) AS latest_state,
    toUnixTimestamp64Milli(min(placed_time)) AS placed, toUnixTimestamp64Milli(max(event_time)) AS updated,
    arraySort(x -> x.2, groupArray((state, toUnixTimestamp64Milli(event_time), changed_by))) AS changes
  FROM lab_order_events`

function fromRow(r: Record<string, unknown>): LabOrder {
  const loincs = r.loincs as string[]
  const codes = r.codes as string[]
  const tests: LabTest[] = loincs.map((loinc, i) => ({ loinc, lab_code: codes[i]! }))
  const history: LabOrderChange[] = (r.changes as Array<[string, number | string, string]>).map(([state, time, by]) => ({ state: state as LabOrderState, time: Number(time), by }))
  return {
    order_id: String(r.order_id), patient_id: String(r.patient), encounter_id: String(r.encounter),
    site: String(r.at_site), ward: r.at_ward === null || r.at_ward === undefined ? null : String(r.at_ward),
    specimen_id: String(r.specimen), tests, priority: r.prio as LabOrder['priority'],
    diagnosis_code: String(r.dx_code), diagnosis_text: String(r.dx_text), ordered_by: String(r.by_whom),
    state: r.latest_state as LabOrderState, placed_time: Number(r.placed), updated_time: Number(r.updated), history,
  }
}

/**
 * A patient's orders, newest first, as one read among others (no per-call setting): the rows are
 * narrowed in an inner select, so the WHERE reads the columns whatever the SELECT's aliases are.
 */
export function labOrdersSection(patientId: string, limit: number): Section<LabOrder[]> {
  const inner = '(SELECT * FROM lab_order_events WHERE order_id IN (SELECT order_id FROM lab_order_events WHERE patient_id = {p:String}))'
  return {
    query: `${LATEST.replace(/FROM lab_order_events$/, `FROM ${inner}`)} GROUP BY order_id ORDER BY placed DESC LIMIT {limit:UInt32}`,
    params: { p: patientId, limit: Math.trunc(limit) },
    map: (rows) => rows.map(fromRow),
  }
}

export class LabOrderStore {
  constructor(private readonly ch: ClickHouse) {}

  /** Stores `order` as of its latest change (order.history's last entry); resolves after the commit. */
  async record(order: LabOrder): Promise<void> {
    const change = order.history[order.history.length - 1]
    if (!change || change.state !== order.state) throw new Error('lab order: the last history entry must be the new state')
    await this.ch.client.insert({
      table: 'lab_order_events',
      values: [{
        order_id: order.order_id, patient_id: order.patient_id, encounter_id: order.encounter_id, site: order.site, ward: order.ward,
        specimen_id: order.specimen_id, test_loinc: order.tests.map((t) => t.loinc), test_codes: order.tests.map((t) => t.lab_code),
        priority: order.priority, diagnosis_code: order.diagnosis_code, diagnosis_text: order.diagnosis_text, ordered_by: order.ordered_by,
        state: order.state, changed_by: change.by, placed_time: toDateTime64(order.placed_time), event_time: toDateTime64(change.time),
      }],
      format: 'JSONEachRow',
      // Every insert names its token (see TelemetryStore.insert): '' is none.
      clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 },
    })
  }

  /**
   * Stores `order`'s latest change only if the order is still as it was read (`previous`: its
   * latest state and time): one INSERT … SELECT whose SELECT yields the row only while that holds,
   * then read back. False when another writer got there first (nothing of ours is kept). The core
   * serializes its own writers per order; this catches one it cannot see (another core), except two
   * inserts in the same instant (ClickHouse has no transactions: docs/lab.md, Known limits).
   */
  async recordIfUnchanged(order: LabOrder, previous: { state: LabOrderState; updated_time: number }): Promise<boolean> {
    const change = order.history[order.history.length - 1]
    if (!change || change.state !== order.state) throw new Error('lab order: the last history entry must be the new state')
    await this.ch.client.command({
      query: `INSERT INTO lab_order_events (order_id, patient_id, encounter_id, site, ward, specimen_id, test_loinc, test_codes, priority,
          diagnosis_code, diagnosis_text, ordered_by, state, changed_by, placed_time, event_time)
        SELECT {id:String}, {patient:String}, {encounter:String}, {site:String}, if({has_ward:UInt8} = 1, {ward:String}, NULL), {specimen:String},
          {loincs:Array(String)}, {codes:Array(String)}, {priority:String}, {dx_code:String}, {dx_text:String}, {ordered_by:String},
          {state:String}, {by:String}, fromUnixTimestamp64Milli({placed:Int64}, 'UTC'), fromUnixTimestamp64Milli({time:Int64}, 'UTC')
        FROM lab_order_events WHERE order_id = {id:String} GROUP BY order_id
        HAVING argMax(state, event_time) = {prev_state:String} AND toUnixTimestamp64Milli(max(event_time)) = {prev_time:Int64}`,
      query_params: {
        id: order.order_id, patient: order.patient_id, encounter: order.encounter_id, site: order.site, has_ward: order.ward === null ? 0 : 1, ward: order.ward ?? '',
        specimen: order.specimen_id, loincs: order.tests.map((t) => t.loinc), codes: order.tests.map((t) => t.lab_code), priority: order.priority,
        dx_code: order.diagnosis_code, dx_text: order.diagnosis_text, ordered_by: order.ordered_by, state: order.state, by: change.by,
        placed: order.placed_time, time: change.time, prev_state: previous.state, prev_time: previous.updated_time,
      },
      clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 },
    })
    const last = (await this.get(order.order_id))?.history.at(-1)
    return last !== undefined && last.state === change.state && last.time === change.time && last.by === change.by
  }

  private async select(where: string, params: Record<string, unknown>, tail = ''): Promise<LabOrder[]> {
    const rs = await this.ch.client.query({
      query: `${LATEST} WHERE ${where} GROUP BY order_id ${tail}`,
      query_params: params,
      format: 'JSONEachRow',
      // WHERE reads the columns, not the SELECT's aliases.
      clickhouse_settings: { prefer_column_name_to_alias: 1 },
    })
    return (await rs.json<Record<string, unknown>>()).map(fromRow)
  }

  async get(orderId: string): Promise<LabOrder | null> {
    const [order] = await this.select('order_id = {id:String}', { id: orderId })
    return order ?? null
  }

  /** A patient's orders, newest first. */
  async forPatient(patientId: string, limit = 500): Promise<LabOrder[]> {
    return this.select('order_id IN (SELECT order_id FROM lab_order_events WHERE patient_id = {p:String})', { p: patientId }, `ORDER BY placed DESC LIMIT ${Math.trunc(limit)}`)
  }

  /** Every order that ever carried this specimen id, newest first. */
  async bySpecimen(specimenId: string): Promise<LabOrder[]> {
    return this.select('order_id IN (SELECT order_id FROM lab_order_events WHERE specimen_id = {s:String})', { s: specimenId }, 'ORDER BY placed DESC LIMIT 50')
  }

  /** Every order that ever carried one of these specimen ids (the matcher's batch), by specimen. */
  async bySpecimens(specimenIds: readonly string[]): Promise<Map<string, LabOrder[]>> {
    const out = new Map<string, LabOrder[]>()
    const unique = [...new Set(specimenIds)]
    for (let i = 0; i < unique.length; i += 1000) {
      const rows = await this.select('order_id IN (SELECT order_id FROM lab_order_events WHERE specimen_id IN {s:Array(String)})', { s: unique.slice(i, i + 1000) }, 'ORDER BY placed DESC')
      for (const o of rows) out.set(o.specimen_id, [...(out.get(o.specimen_id) ?? []), o])
    }
    return out
  }

  /** Orders of these sites whose latest state is one of `states`, oldest first (the worklist). */
  async inStates(sites: readonly string[], states: readonly LabOrderState[], limit = 5000): Promise<LabOrder[]> {
    if (sites.length === 0) return []
    return this.select('site IN {sites:Array(String)}', { sites, states }, `HAVING latest_state IN {states:Array(String)} ORDER BY placed LIMIT ${Math.trunc(limit)}`)
  }
}
