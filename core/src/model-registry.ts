// The triage model registry: uploaded models (manifest + signature + ONNX bytes) and the
// append-only log of which one is current, kept in ClickHouse by the analytics ModelStore.
//
// States of the log (triage_model_events, ordered by seq):
//   activate (upload with activation, or activate)  pushes a model on the history stack
//   rollback                                         pops it; the event names the new top
// current = the model named by the latest event; rollback target = the one below the top.
// Mutations run one at a time in this process (seq = max + 1); the core owns the registry.
import { createHash } from 'node:crypto'
import type { ModelManifest } from '@neva/contracts'
import { ModelStore, type ClickHouse, type ModelRegistryName, type StoredModel } from '@neva/analytics'
import { CoreError } from './errors.js'

export type { StoredModel }

/** An Ed25519 signature of the manifest (`neva model sign`); the core stores and serves it, gateways verify it. */
export interface ModelSignature {
  alg: 'ed25519'
  key_id: string
  signature: string
}

/** What the registry needs of a manifest; the triage model's is ModelManifest, the deterioration model's RiskManifest. */
export interface RegistryManifest {
  id: string
  version: string
  sha256: string
  file: string
}

export interface CurrentModel<M extends RegistryManifest = ModelManifest> {
  manifest: M
  /** null for a model uploaded without one (gateways refuse it). */
  signature: ModelSignature | null
  /** Changes whenever the current model does; quoted, as an HTTP ETag. */
  etag: string
  activated_at: number
  activated_by: string
}

const key = (id: string, version: string) => `${id}@${version}`

export class ModelRegistry<M extends RegistryManifest = ModelManifest> {
  private tail: Promise<unknown> = Promise.resolve()
  private readonly store: ModelStore

  /** `registry` 'risk': the deterioration model's registry, in the same tables (0029). */
  constructor(ch: ClickHouse, registry: ModelRegistryName = 'triage') {
    this.store = new ModelStore(ch, registry)
  }

  list(): Promise<StoredModel[]> {
    return this.store.list()
  }

  async manifest(id: string, version: string): Promise<M | null> {
    const manifest = await this.store.manifest(id, version)
    return manifest === null ? null : (JSON.parse(manifest) as M)
  }

  onnx(id: string, version: string): Promise<Buffer | null> {
    return this.store.onnx(id, version)
  }

  async current(): Promise<CurrentModel<M> | null> {
    const last = (await this.store.events()).at(-1)
    if (!last) return null
    const row = await this.store.manifestAndSignature(last.id, last.version)
    if (!row) throw new Error(`model event ${last.seq} names ${key(last.id, last.version)}, which is not stored`)
    const etag = `"${createHash('sha256').update(row.manifest).update(row.signature).digest('hex').slice(0, 32)}"`
    const signature = row.signature ? (JSON.parse(row.signature) as ModelSignature) : null
    return { manifest: JSON.parse(row.manifest) as M, signature, etag, activated_at: last.at, activated_by: last.actor }
  }

  /** The caller has checked the manifest's schema; this checks the bytes against it. */
  upload(manifest: M, onnx: Buffer, actor: string, activate: boolean, signature: ModelSignature | null = null): Promise<void> {
    return this.serialize(async () => {
      const actual = createHash('sha256').update(onnx).digest('hex')
      if (actual !== manifest.sha256) {
        throw new CoreError('NEVA_CORE_MODEL_HASH_MISMATCH', `manifest.sha256 is ${manifest.sha256}, the uploaded bytes hash to ${actual}`)
      }
      if (await this.store.exists(manifest.id, manifest.version)) {
        throw new CoreError('NEVA_CORE_MODEL_EXISTS', key(manifest.id, manifest.version))
      }
      await this.store.insertModel({
        id: manifest.id, version: manifest.version, sha256: manifest.sha256, file: manifest.file,
        manifest: JSON.stringify(manifest), signature: signature ? JSON.stringify(signature) : '', onnx_base64: onnx.toString('base64'), size_bytes: onnx.length,
        uploaded_by: actor,
      })
      if (activate) await this.store.appendEvent('activate', manifest.id, manifest.version, actor)
    })
  }

  /** Returns false when the model already was current (nothing is logged). */
  activate(id: string, version: string, actor: string): Promise<boolean> {
    return this.serialize(async () => {
      if (!(await this.store.exists(id, version))) throw new CoreError('NEVA_CORE_MODEL_NOT_FOUND', key(id, version))
      const last = (await this.store.events()).at(-1)
      if (last && last.id === id && last.version === version) return false
      await this.store.appendEvent('activate', id, version, actor)
      return true
    })
  }

  /** Makes the previously current model current again; returns it. */
  rollback(actor: string): Promise<{ id: string; version: string }> {
    return this.serialize(async () => {
      const stack: Array<{ id: string; version: string }> = []
      for (const e of await this.store.events()) {
        switch (e.action) {
          case 'activate': stack.push({ id: e.id, version: e.version }); break
          case 'rollback': stack.pop(); break
        }
      }
      const target = stack.at(-2)
      if (!target) throw new CoreError('NEVA_CORE_MODEL_NO_PREVIOUS')
      await this.store.appendEvent('rollback', target.id, target.version, actor)
      return target
    })
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.catch(() => {}).then(fn)
    this.tail = run
    return run
  }
}
