// The triage model registry's tables: uploaded models (manifest, signature and ONNX bytes) in
// triage_models and the append-only log of which one is current in triage_model_events. This
// store only reads and writes rows; the core's ModelRegistry owns the rules (hash check, one
// mutation at a time, activate/rollback) and the HTTP side.
import type { ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'

export interface StoredModel {
  id: string
  version: string
  sha256: string
  file: string
  size_bytes: number
  uploaded_at: number
  uploaded_by: string
}

export type ModelAction = 'activate' | 'rollback'

export interface ModelEvent {
  seq: number
  action: ModelAction
  id: string
  version: string
  at: number
  actor: string
}

/** One row of triage_models as written: manifest and signature as JSON text ('' when unsigned), the ONNX bytes in base64. */
export interface ModelRow {
  id: string
  version: string
  sha256: string
  file: string
  manifest: string
  signature: string
  onnx_base64: string
  size_bytes: number
  uploaded_by: string
}

/** Which registry a store reads and writes (0029): the triage model's or the deterioration model's. */
export type ModelRegistryName = 'triage' | 'risk'

export class ModelStore {
  constructor(private readonly ch: ClickHouse, private readonly registry: ModelRegistryName = 'triage') {}

  async list(): Promise<StoredModel[]> {
    const rs = await this.ch.client.query({
      query: `SELECT id, version, sha256, file, size_bytes, toUnixTimestamp64Milli(uploaded_at) AS uploaded_at, uploaded_by
              FROM triage_models WHERE registry = {r:String} ORDER BY uploaded_at, id, version LIMIT 1 BY id, version`,
      query_params: { r: this.registry },
      format: 'JSONEachRow',
    })
    const rows = await rs.json<Record<string, string | number>>()
    return rows.map((r) => ({
      id: String(r.id), version: String(r.version), sha256: String(r.sha256), file: String(r.file),
      size_bytes: Number(r.size_bytes), uploaded_at: Number(r.uploaded_at), uploaded_by: String(r.uploaded_by),
    }))
  }

  async exists(id: string, version: string): Promise<boolean> {
    return (await this.select('1 AS x', id, version)).length > 0
  }

  /** The manifest's JSON text, or null when no such model is stored. */
  async manifest(id: string, version: string): Promise<string | null> {
    const [row] = await this.select<{ manifest: string }>('manifest', id, version)
    return row ? row.manifest : null
  }

  /** The manifest's and the signature's JSON text ('' when unsigned), or null. */
  async manifestAndSignature(id: string, version: string): Promise<{ manifest: string; signature: string } | null> {
    const [row] = await this.select<{ manifest: string; signature: string }>('manifest, signature', id, version)
    return row ?? null
  }

  async onnx(id: string, version: string): Promise<Buffer | null> {
    const [row] = await this.select<{ onnx_base64: string }>('onnx_base64', id, version)
    return row ? Buffer.from(row.onnx_base64, 'base64') : null
  }

  async insertModel(row: ModelRow): Promise<void> {
    await this.insert('triage_models', { ...row, registry: this.registry, uploaded_at: toDateTime64(Date.now()) })
  }

  async events(): Promise<ModelEvent[]> {
    const rs = await this.ch.client.query({
      query: 'SELECT seq, action, id, version, toUnixTimestamp64Milli(at) AS at, actor FROM triage_model_events WHERE registry = {r:String} ORDER BY seq',
      query_params: { r: this.registry },
      format: 'JSONEachRow',
    })
    return (await rs.json<Record<string, string | number>>()).map((r) => ({
      seq: Number(r.seq), action: r.action as ModelAction, id: String(r.id), version: String(r.version), at: Number(r.at), actor: String(r.actor),
    }))
  }

  /** Logs an event as seq = max + 1: the caller runs appends one at a time. */
  async appendEvent(action: ModelAction, id: string, version: string, actor: string): Promise<void> {
    const rs = await this.ch.client.query({ query: 'SELECT max(seq) AS s FROM triage_model_events', format: 'JSONEachRow' })
    const seq = Number((await rs.json<{ s: string | number }>())[0]?.s ?? 0) + 1
    await this.insert('triage_model_events', { seq, registry: this.registry, action, id, version, at: toDateTime64(Date.now()), actor })
  }

  /** The first upload of an id+version wins should a second row ever exist. */
  private async select<T>(columns: string, id: string, version: string): Promise<T[]> {
    const rs = await this.ch.client.query({
      query: `SELECT ${columns} FROM triage_models WHERE registry = {r:String} AND id = {id:String} AND version = {v:String} ORDER BY uploaded_at LIMIT 1`,
      query_params: { r: this.registry, id, v: version },
      format: 'JSONEachRow',
    })
    return rs.json<T>()
  }

  private async insert(table: string, row: object): Promise<void> {
    await this.ch.client.insert({ table, values: [row], format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } })
  }
}
