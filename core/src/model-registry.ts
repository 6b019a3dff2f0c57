// The triage model registry in ClickHouse: uploaded models (manifest + ONNX bytes) and the
// append-only log of which one is current.
//
// States of the log (triage_model_events, ordered by seq):
//   activate (upload with activation, or activate)  pushes a model on the history stack
//   rollback                                         pops it; the event names the new top
// current = the model named by the latest event; rollback target = the one below the top.
// Mutations run one at a time in this process (seq = max + 1); the core owns the registry.
import { createHash } from 'node:crypto'
import type { ModelManifest } from '@neva/contracts'
import { toDateTime64, type ClickHouse } from '@neva/analytics'
import { CoreError } from './errors.js'

export interface StoredModel {
  id: string
  version: string
  sha256: string
  file: string
  size_bytes: number
  uploaded_at: number
  uploaded_by: string
}

/** An Ed25519 signature of the manifest (`neva model sign`); the core stores and serves it, gateways verify it. */
export interface ModelSignature {
  alg: 'ed25519'
  key_id: string
  signature: string
}

export interface CurrentModel {
  manifest: ModelManifest
  /** null for a model uploaded without one (gateways refuse it). */
  signature: ModelSignature | null
  /** Changes whenever the current model does; quoted, as an HTTP ETag. */
  etag: string
  activated_at: number
  activated_by: string
}

type Action = 'activate' | 'rollback'
interface ModelEvent {
  seq: number
  action: Action
  id: string
  version: string
  at: number
  actor: string
}

const key = (id: string, version: string) => `${id}@${version}`

export class ModelRegistry {
  private tail: Promise<unknown> = Promise.resolve()

  constructor(private readonly ch: ClickHouse) {}

  async list(): Promise<StoredModel[]> {
    const rs = await this.ch.client.query({
      query: `SELECT id, version, sha256, file, size_bytes, toUnixTimestamp64Milli(uploaded_at) AS uploaded_at, uploaded_by
              FROM triage_models ORDER BY uploaded_at, id, version LIMIT 1 BY id, version`,
      format: 'JSONEachRow',
    })
    const rows = await rs.json<Record<string, string | number>>()
    return rows.map((r) => ({
      id: String(r.id), version: String(r.version), sha256: String(r.sha256), file: String(r.file),
      size_bytes: Number(r.size_bytes), uploaded_at: Number(r.uploaded_at), uploaded_by: String(r.uploaded_by),
    }))
  }

  async manifest(id: string, version: string): Promise<ModelManifest | null> {
    const [row] = await this.select<{ manifest: string }>('manifest', id, version)
    return row ? (JSON.parse(row.manifest) as ModelManifest) : null
  }

  async onnx(id: string, version: string): Promise<Buffer | null> {
    const [row] = await this.select<{ onnx_base64: string }>('onnx_base64', id, version)
    return row ? Buffer.from(row.onnx_base64, 'base64') : null
  }

  async current(): Promise<CurrentModel | null> {
    const last = (await this.events()).at(-1)
    if (!last) return null
    const [row] = await this.select<{ manifest: string; signature: string }>('manifest, signature', last.id, last.version)
    if (!row) throw new Error(`model event ${last.seq} names ${key(last.id, last.version)}, which is not stored`)
    const etag = `"${createHash('sha256').update(row.manifest).update(row.signature).digest('hex').slice(0, 32)}"`
    const signature = row.signature ? (JSON.parse(row.signature) as ModelSignature) : null
    return { manifest: JSON.parse(row.manifest) as ModelManifest, signature, etag, activated_at: last.at, activated_by: last.actor }
  }

  /** The caller has checked the manifest's schema; this checks the bytes against it. */
  upload(manifest: ModelManifest, onnx: Buffer, actor: string, activate: boolean, signature: ModelSignature | null = null): Promise<void> {
    return this.serialize(async () => {
      const actual = createHash('sha256').update(onnx).digest('hex')
      if (actual !== manifest.sha256) {
        throw new CoreError('NEVA_CORE_MODEL_HASH_MISMATCH', `manifest.sha256 is ${manifest.sha256}, the uploaded bytes hash to ${actual}`)
      }
      if ((await this.select('1 AS x', manifest.id, manifest.version)).length > 0) {
        throw new CoreError('NEVA_CORE_MODEL_EXISTS', key(manifest.id, manifest.version))
      }
      await this.insert('triage_models', {
        id: manifest.id, version: manifest.version, sha256: manifest.sha256, file: manifest.file,
        manifest: JSON.stringify(manifest), signature: signature ? JSON.stringify(signature) : '', onnx_base64: onnx.toString('base64'), size_bytes: onnx.length,
        uploaded_at: toDateTime64(Date.now()), uploaded_by: actor,
      })
      if (activate) await this.append('activate', manifest.id, manifest.version, actor)
    })
  }

  /** Returns false when the model already was current (nothing is logged). */
  activate(id: string, version: string, actor: string): Promise<boolean> {
    return this.serialize(async () => {
      if ((await this.select('1 AS x', id, version)).length === 0) throw new CoreError('NEVA_CORE_MODEL_NOT_FOUND', key(id, version))
      const last = (await this.events()).at(-1)
      if (last && last.id === id && last.version === version) return false
      await this.append('activate', id, version, actor)
      return true
    })
  }

  /** Makes the previously current model current again; returns it. */
  rollback(actor: string): Promise<{ id: string; version: string }> {
    return this.serialize(async () => {
      const stack: Array<{ id: string; version: string }> = []
      for (const e of await this.events()) {
        switch (e.action) {
          case 'activate': stack.push({ id: e.id, version: e.version }); break
          case 'rollback': stack.pop(); break
        }
      }
      const target = stack.at(-2)
      if (!target) throw new CoreError('NEVA_CORE_MODEL_NO_PREVIOUS')
      await this.append('rollback', target.id, target.version, actor)
      return target
    })
  }

  private async events(): Promise<ModelEvent[]> {
    const rs = await this.ch.client.query({
      query: 'SELECT seq, action, id, version, toUnixTimestamp64Milli(at) AS at, actor FROM triage_model_events ORDER BY seq',
      format: 'JSONEachRow',
    })
    return (await rs.json<Record<string, string | number>>()).map((r) => ({
      seq: Number(r.seq), action: r.action as Action, id: String(r.id), version: String(r.version), at: Number(r.at), actor: String(r.actor),
    }))
  }

  private async append(action: Action, id: string, version: string, actor: string): Promise<void> {
    const rs = await this.ch.client.query({ query: 'SELECT max(seq) AS s FROM triage_model_events', format: 'JSONEachRow' })
    const seq = Number((await rs.json<{ s: string | number }>())[0]?.s ?? 0) + 1
    await this.insert('triage_model_events', { seq, action, id, version, at: toDateTime64(Date.now()), actor })
  }

  /** The first upload of an id+version wins should a second row ever exist. */
  private async select<T>(columns: string, id: string, version: string): Promise<T[]> {
    const rs = await this.ch.client.query({
      query: `SELECT ${columns} FROM triage_models WHERE id = {id:String} AND version = {v:String} ORDER BY uploaded_at LIMIT 1`,
      query_params: { id, v: version },
      format: 'JSONEachRow',
    })
    return rs.json<T>()
  }

  // '' token: the embedded engine applies settings with SET, so an earlier insert's token would
  // otherwise carry over (see TelemetryStore.insert).
  private async insert(table: string, row: object): Promise<void> {
    await this.ch.client.insert({ table, values: [row], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 } })
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.catch(() => {}).then(fn)
    this.tail = run
    return run
  }
}
