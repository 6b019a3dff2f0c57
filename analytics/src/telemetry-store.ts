// Writes ingest batches to ClickHouse exactly once and reads patients' latest state back.
// Exactly once: the ledger (ingest_batches) answers "already stored" for a known batch; if the
// process died between the data insert and the ledger insert, the retried insert carries the
// same insert_deduplication_token per table and ClickHouse drops it.
import { KIND_NAMES, RECORD_KINDS, type Alarm, type InfusionEvent, type IngestBatch, type KindField, type KindName, type KindRecord, type KindTable, type LabResult, type ModelVerdict, type Observation, type RejectedReading, type Transport, type TriageResult, type WaveformChunk, type CtgVerdict } from '@neva/contracts'
import { dedupToken, type ClickHouse } from './connection.js'
import { groupCommit } from './group-commit.js'

/** DateTime64(3) input that every ClickHouse version reads the same way: decimal seconds. */
export const toDateTime64 = (ms: number): string => (ms / 1000).toFixed(3)

export function observationRow(o: Observation) {
  // A text or coded state has no number: `value` is left to the column's default (NaN), never 0.
  const { value, ...rest } = o
  return { ...rest, ...(value !== undefined ? { value } : {}), device_time: toDateTime64(o.device_time), received_time: toDateTime64(o.received_time) }
}

export function triageRow(t: TriageResult) {
  return {
    gateway_id: t.gateway_id,
    seq: t.seq,
    patient_id: t.patient_id,
    time: toDateTime64(t.time),
    level: t.level,
    news2_score: t.news2.score,
    news2_partial: t.news2.partial,
    news2_level: t.news2.level,
    news2_subscores: t.news2.subscores,
    news2_missing: t.news2.missing,
    spo2_scale: t.news2.spo2_scale,
    model_version: t.model_version,
    model_level: t.model?.level ?? '',
    model_probabilities: t.model?.probabilities ?? {},
    model_drivers: JSON.stringify(t.model?.drivers ?? []),
    // The deterioration model's risk: NULL when it did not run (missing, never 0).
    model_risk: t.model?.risk ?? null,
    model_risk_model: t.model?.risk_model ?? '',
    model_risk_inputs: t.model?.risk_inputs ?? [],
    model_risk_sparse: t.model?.sparse ?? '',
    inputs: JSON.stringify(t.inputs),
  }
}

export function rejectedRow(r: RejectedReading) {
  return { ...r, received_time: toDateTime64(r.received_time) }
}

export function labResultRow(r: LabResult) {
  return { ...r, result_time: r.result_time === null ? null : toDateTime64(r.result_time), received_time: toDateTime64(r.received_time) }
}

export function alarmRow(a: Alarm) {
  return { ...a, device_time: a.device_time === null ? null : toDateTime64(a.device_time), received_time: toDateTime64(a.received_time) }
}

export function waveformRow(w: WaveformChunk) {
  return { ...w, signal_kind: w.signal_kind ?? 'ecg', unit: w.unit ?? 'uV', start_time: toDateTime64(w.start_time), received_time: toDateTime64(w.received_time) }
}

export function infusionEventRow(e: InfusionEvent) {
  return { ...e, device_time: e.device_time === null ? null : toDateTime64(e.device_time), received_time: toDateTime64(e.received_time) }
}

export function transportRow(t: Transport) {
  return { ...t, eta: t.eta === null ? null : toDateTime64(t.eta), updated_time: toDateTime64(t.updated_time), received_time: toDateTime64(t.received_time) }
}

export function ctgVerdictRow(v: CtgVerdict) {
  return { ...v, window_start: toDateTime64(v.window_start), time: toDateTime64(v.time), received_time: toDateTime64(v.received_time) }
}

/**
 * Every record kind's row in its ClickHouse table (RECORD_KINDS[kind].table), one row per record
 * (a waveform chunk is one lead). Typed so that a kind added to the registry without its row
 * mapper does not compile.
 */
export const ROW_MAPPERS: { [K in KindName]: (record: KindRecord<K>) => object } = {
  observation: observationRow,
  triage: triageRow,
  rejected: rejectedRow,
  lab_result: labResultRow,
  waveform: waveformRow,
  alarm: alarmRow,
  transport: transportRow,
  infusion_event: infusionEventRow,
  ctg_verdict: ctgVerdictRow,
}

/** A batch's records of one kind; none when an older gateway left the field out. */
export function recordsOf<K extends KindName>(batch: IngestBatch, kind: K): KindRecord<K>[] {
  return ((batch as Record<string, unknown>)[RECORD_KINDS[kind].field] as KindRecord<K>[] | undefined) ?? []
}

/** The verdict as stored: id and version come back from model_version ("id@version"). */
function modelVerdict(t: Record<string, unknown>): ModelVerdict {
  const name = String(t.model_version)
  const at = name.lastIndexOf('@')
  const p = t.model_probabilities as Record<string, number>
  return {
    id: name.slice(0, at),
    version: name.slice(at + 1),
    level: t.model_level as ModelVerdict['level'],
    probabilities: { green: Number(p.green ?? 0), yellow: Number(p.yellow ?? 0), red: Number(p.red ?? 0) },
    drivers: JSON.parse(String(t.model_drivers)) as ModelVerdict['drivers'],
    ...riskOf(t),
  }
}

/** The risk fields as stored; none when the risk column is NULL (or absent in an older query). */
function riskOf(t: Record<string, unknown>): Pick<ModelVerdict, 'risk' | 'risk_model' | 'risk_inputs' | 'sparse'> {
  if (t.model_risk === null || t.model_risk === undefined) return {}
  return {
    risk: Number(t.model_risk),
    risk_model: String(t.model_risk_model),
    risk_inputs: (t.model_risk_inputs as string[] | undefined) ?? [],
    ...(t.model_risk_sparse ? { sparse: String(t.model_risk_sparse) } : {}),
  }
}

/** Records stored per kind, by its batch field (observations, triage, …, alarms): rows, one each. */
export type StoreCounts = { [K in KindName as KindField<K>]: number }

export interface StoreResult extends StoreCounts {
  stored: boolean
}

export interface LatestVital {
  value: number
  unit: string
  time: number
  device_id: string
  flags: string[]
}

export interface PatientLatest {
  patient_id: string
  vitals: Record<string, LatestVital>
  triage: (Omit<TriageResult, 'inputs'> & { inputs: unknown }) | null
}

export class TelemetryStore {
  // The ledger is read and written once per group of concurrent batches, not once per batch:
  // these two round trips were most of what a batch through the core cost over a plain insert.
  private readonly storedAmong = groupCommit<{ gateway: string; batch: string }, boolean>(async (keys) => {
    const rs = await this.ch.client.query({
      query: `SELECT DISTINCT gateway_id, batch_id FROM ingest_batches
              WHERE gateway_id IN {g:Array(String)} AND batch_id IN {b:Array(String)}`,
      query_params: { g: [...new Set(keys.map((k) => k.gateway))], b: [...new Set(keys.map((k) => k.batch))] },
      format: 'JSONEachRow',
    })
    // The IN pair is wider than the keys asked for; only exact pairs count.
    const found = new Set((await rs.json<{ gateway_id: string; batch_id: string }>()).map((r) => `${r.gateway_id}\n${r.batch_id}`))
    return keys.map((k) => found.has(`${k.gateway}\n${k.batch}`))
  })

  private readonly recordStored = groupCommit<object, void>(async (rows) => {
    await this.insert('ingest_batches', rows, '')
    return rows.map(() => undefined)
  })

  // Batches committed whose ledger row is not written yet: the ledger is written after the answer
  // (grouped), so this process answers "stored" for them from memory meanwhile. Should it die
  // first, a resent batch misses the ledger and the tables' deduplication tokens drop the copy —
  // the same guarantee as a death between the data and a ledger written before the answer.
  private readonly unrecorded = new Map<string, object>()
  private readonly ledgerWrites = new Set<Promise<void>>()
  private closed = false

  constructor(private readonly ch: ClickHouse, private readonly onLedgerError?: (err: Error) => void) {}

  isStored(gatewayId: string, batchId: string): Promise<boolean> {
    if (this.unrecorded.has(`${gatewayId}\n${batchId}`)) return Promise.resolve(true)
    return this.storedAmong({ gateway: gatewayId, batch: batchId })
  }

  private record(key: string, row: object): void {
    this.unrecorded.set(key, row)
    const write = this.recordStored(row).then(
      () => { this.unrecorded.delete(key) },
      (err: Error) => {
        this.onLedgerError?.(err)
        // Kept in memory and tried again until it lands or the store closes.
        if (!this.closed) setTimeout(() => this.record(key, row), 1000).unref()
      },
    )
    this.ledgerWrites.add(write)
    void write.finally(() => this.ledgerWrites.delete(write))
  }

  /** Resolves once every stored batch is in the ledger (or its write failed). */
  async settled(): Promise<void> {
    while (this.ledgerWrites.size > 0) await Promise.allSettled([...this.ledgerWrites])
  }

  /** Writes what the ledger still lacks, then stops retrying; before the connection closes. */
  async close(): Promise<void> {
    await this.settled()
    this.closed = true
  }

  /**
   * Stores a batch once; resolves only after ClickHouse committed every part of it.
   * `firstAttempt`: the gateway says it never sent this batch before, so the ledger lookup is
   * skipped; the per-table deduplication tokens still drop a copy if that was not so.
   */
  async storeBatch(batch: IngestBatch, { firstAttempt = false }: { firstAttempt?: boolean } = {}): Promise<StoreResult> {
    const counts = {} as Record<string, number>
    for (const kind of KIND_NAMES) counts[RECORD_KINDS[kind].field] = recordsOf(batch, kind).length
    if (!firstAttempt && (await this.isStored(batch.gateway_id, batch.batch_id))) return { stored: false, ...(counts as StoreCounts) }
    for (const kind of KIND_NAMES) {
      const { table, field } = RECORD_KINDS[kind]
      const rows = (recordsOf(batch, kind) as object[]).map(ROW_MAPPERS[kind] as (record: object) => object)
      await this.insert(table, rows, dedupToken(batch.gateway_id, batch.batch_id, field))
    }
    // Only after every table committed: a batch in the ledger is a batch fully stored.
    this.record(`${batch.gateway_id}\n${batch.batch_id}`, { gateway_id: batch.gateway_id, batch_id: batch.batch_id, ...counts, received_at: toDateTime64(Date.now()) })
    return { stored: true, ...(counts as StoreCounts) }
  }

  /**
   * Every insert names its token, '' included: the embedded engine applies settings with SET,
   * which would otherwise carry a previous insert's token over to this one.
   */
  private async insert(table: string, values: object[], token: string): Promise<void> {
    if (values.length === 0) return
    await this.ch.client.insert({
      table,
      values,
      format: 'JSONEachRow',
      // Materialized views over these tables must drop a retried block too.
      clickhouse_settings: { insert_deduplication_token: token, async_insert: 0, deduplicate_blocks_in_dependent_materialized_views: token ? 1 : 0 },
    })
  }

  async latest(patientId: string): Promise<PatientLatest | null> {
    const vitals = await this.ch.client.query({
      query: `SELECT name,
                argMax(value, (device_time, seq)) AS value,
                argMax(unit, (device_time, seq)) AS unit,
                toUnixTimestamp64Milli(max(device_time)) AS time,
                argMax(device_id, (device_time, seq)) AS device_id,
                argMax(flags, (device_time, seq)) AS flags
              FROM observations WHERE patient_id = {p:String} AND isFinite(observations.value)
              GROUP BY name ORDER BY name`,
      query_params: { p: patientId },
      format: 'JSONEachRow',
    })
    const rows = await vitals.json<{ name: string; value: number; unit: string; time: string | number; device_id: string; flags: string[] }>()
    const triage = await this.ch.client.query({
      query: `SELECT gateway_id, seq, patient_id, toUnixTimestamp64Milli(time) AS time, level, news2_score, news2_partial,
                news2_level, news2_subscores, news2_missing, spo2_scale, model_version, model_level,
                model_probabilities, model_drivers, model_risk, model_risk_model, model_risk_inputs, model_risk_sparse, inputs
              FROM triage_results WHERE patient_id = {p:String}
              ORDER BY time DESC, seq DESC LIMIT 1`,
      query_params: { p: patientId },
      format: 'JSONEachRow',
    })
    const [t] = await triage.json<Record<string, unknown>>()
    if (rows.length === 0 && !t) return null
    const out: PatientLatest = { patient_id: patientId, vitals: {}, triage: null }
    for (const r of rows) {
      out.vitals[r.name] = { value: r.value, unit: r.unit, time: Number(r.time), device_id: r.device_id, flags: r.flags }
    }
    if (t) {
      out.triage = {
        gateway_id: String(t.gateway_id),
        seq: Number(t.seq),
        patient_id: String(t.patient_id),
        time: Number(t.time),
        level: t.level as TriageResult['level'],
        news2: {
          score: Number(t.news2_score),
          partial: Boolean(t.news2_partial),
          subscores: t.news2_subscores as TriageResult['news2']['subscores'],
          missing: t.news2_missing as TriageResult['news2']['missing'],
          level: t.news2_level as TriageResult['level'],
          spo2_scale: Number(t.spo2_scale) === 2 ? 2 : 1,
        },
        model_version: String(t.model_version),
        model: t.model_level ? modelVerdict(t) : null,
        inputs: JSON.parse(String(t.inputs)) as unknown,
      }
    }
    return out
  }

  async count(table: KindTable, where = '1', params: Record<string, unknown> = {}): Promise<number> {
    const rs = await this.ch.client.query({ query: `SELECT count() AS n FROM ${table} WHERE ${where}`, query_params: params, format: 'JSONEachRow' })
    const [row] = await rs.json<{ n: string | number }>()
    return Number(row?.n ?? 0)
  }
}
