// Model sync: keeps the gateway's triage model (or, with registry 'risk', its deterioration model)
// in step with the core's current one, and a copy of the installed model on disk so a gateway
// restarted without uplink still has it.
//
// Each poll: GET /v1/models/triage/current (If-None-Match: the last etag dealt with) →
//   304 or the installed model                  → nothing to do
//   a model install() refused before            → nothing to do (not retried every poll)
//   another model → check its Ed25519 signature against models.trusted_keys → download,
//                   check schema + sha256 → install() → cache on disk (with its signature)
// A model whose signature does not verify is refused (counted, named in last_error) and not
// downloaded; the current model stays.
// A failed download or check is retried next poll; a rejected install() keeps the old model.
// Nothing escapes the poll loop.
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { ModelManifest, validator } from '@neva/contracts'
import { checkRiskManifest, type RiskManifest } from '@neva/triage'
import type { Log } from '../log.js'
import { ModelVerifyError, readModelFiles, verifyModel } from './model-files.js'
import { ModelSignatureError, verifyManifestSignature } from './model-signature.js'
import type { KeyObject } from 'node:crypto'

export { ModelVerifyError, verifyModel }

/** What every synced manifest has: the triage model's ModelManifest or the deterioration model's RiskManifest. */
export type SyncedManifest = ModelManifest | RiskManifest

export interface ModelSyncOptions<M extends SyncedManifest = ModelManifest> {
  /** The core's registry to follow (/v1/models/<registry>); default triage. The risk model is cached under <dataDir>/models/risk/. */
  registry?: 'triage' | 'risk'
  /** The core, e.g. http://core:8080 */
  url: string
  token: string
  /** CA (PEM) the core's https certificate must chain to. */
  ca?: Buffer
  /** The gateway's data directory; the installed model is kept under `<dataDir>/models/`. */
  dataDir: string
  intervalMs: number
  timeoutMs: number
  /** Public keys a model from the core must be signed by (models.trusted_keys); none: no model from the core is installed. */
  trustedKeys: readonly KeyObject[]
  /** Puts a checked model into service; rejects (and the old model stays) when it does not fit. */
  install(manifest: M, onnx: Uint8Array): Promise<unknown>
  log?: Log
}

export type SyncOutcome = 'installed' | 'unchanged' | 'refused' | 'none' | 'failed'

export interface CachedModel<M extends SyncedManifest = ModelManifest> {
  manifest: M
  bytes: Uint8Array
  signature: unknown
}

const manifestValidator = validator(ModelManifest)
const CACHE_MANIFEST = 'manifest.json'
const CACHE_SIGNATURE = 'manifest.json.sig'
const modelKey = (m: SyncedManifest) => `${m.id}@${m.version}:${m.sha256}`

export class ModelSync<M extends SyncedManifest = ModelManifest> {
  /** The model in service, as far as this sync knows (from the cache or the core). */
  installed: M | undefined
  /** Models install() refused (id@version:sha256), not tried again. */
  readonly refused = new Set<string>()
  lastError: string | undefined
  lastCheckMs: number | undefined
  /** Models refused because their signature did not verify under models.trusted_keys. */
  signatureRefusals = 0
  /** Why the latest model from the core was refused for its signature; cleared when one installs. */
  lastRefusal: string | undefined
  private etag: string | undefined
  private running = false
  private loop: Promise<void> | undefined
  private inflight: Promise<SyncOutcome> | undefined
  private wake: (() => void) | undefined
  private readonly stopController = new AbortController()
  private readonly agent: Agent
  private readonly dir: string
  private readonly base: string
  private readonly what: string

  constructor(private readonly options: ModelSyncOptions<M>) {
    this.agent = new Agent({ headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connections: 1, ...(options.ca ? { connect: { ca: options.ca } } : {}) })
    const registry = options.registry ?? 'triage'
    this.dir = registry === 'risk' ? join(options.dataDir, 'models', 'risk') : join(options.dataDir, 'models')
    this.base = `/v1/models/${registry}`
    this.what = registry === 'risk' ? 'risk model' : 'triage model'
  }

  /** The manifest if it is one of this registry's; throws ModelVerifyError naming the problem. */
  private manifestOf(m: unknown, from: string): M {
    if (this.options.registry !== 'risk') {
      if (!manifestValidator.check(m)) throw new ModelVerifyError(`model manifest ${from}: ${manifestValidator.explain(m)}`)
      return m as M
    }
    try {
      return checkRiskManifest(m) as M
    } catch (err) {
      throw new ModelVerifyError(`${from}: ${(err as Error).message}`)
    }
  }

  /** The bytes checked against the manifest (schema and sha256). */
  private verify(m: unknown, bytes: Uint8Array): M {
    if (this.options.registry !== 'risk') return verifyModel(m, bytes) as M
    const manifest = this.manifestOf(m, 'model manifest')
    const actual = createHash('sha256').update(bytes).digest('hex')
    if (actual !== manifest.sha256) throw new ModelVerifyError(`${manifest.id}@${manifest.version}: the ONNX bytes hash to ${actual}, the manifest says sha256 ${manifest.sha256}`)
    return manifest
  }

  /** Installs the cached model, if any, then polls the core every `intervalMs`. */
  start(): void {
    if (this.running) return
    this.running = true
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.running = false
    this.stopController.abort()
    this.wake?.()
    await this.loop
    await this.agent.close()
  }

  status() {
    return {
      installed: this.installed ? `${this.installed.id}@${this.installed.version}` : null,
      refused: [...this.refused],
      signature_refusals: this.signatureRefusals,
      last_refusal: this.lastRefusal ?? null,
      last_check_ms: this.lastCheckMs ?? null,
      last_error: this.lastError ?? null,
    }
  }

  /** The model cached by the last successful install, checked again; null when none or damaged. */
  async loadCached(): Promise<CachedModel<M> | null> {
    let files
    try {
      files = await readModelFiles(join(this.dir, CACHE_MANIFEST))
    } catch (err) {
      if (((err as Error).cause as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') {
        this.log('warn', `cached ${this.what} unreadable; ignored`, { error: (err as Error).message })
      }
      return null
    }
    try {
      const signature = JSON.parse(await readFile(join(this.dir, CACHE_SIGNATURE), 'utf8').catch(() => 'null')) as unknown
      verifyManifestSignature(files.manifest, signature, this.options.trustedKeys)
      return { manifest: this.verify(files.manifest, files.bytes), bytes: files.bytes, signature }
    } catch (err) {
      this.log('warn', `cached ${this.what} does not check out; ignored`, { error: (err as Error).message })
      return null
    }
  }

  /** One poll; concurrent callers share it. Never rejects. */
  syncOnce(): Promise<SyncOutcome> {
    this.inflight ??= this.poll().finally(() => { this.inflight = undefined })
    return this.inflight
  }

  private async run(): Promise<void> {
    if (!this.installed) await this.restore()
    while (this.running) {
      await this.syncOnce()
      await this.pause(this.options.intervalMs)
    }
  }

  private async restore(): Promise<void> {
    const cached = await this.loadCached()
    if (!cached) return
    try {
      await this.options.install(cached.manifest, cached.bytes)
      this.installed = cached.manifest
      this.log('info', `${this.what} restored from the local cache`, { id: cached.manifest.id, version: cached.manifest.version })
    } catch (err) {
      this.refused.add(modelKey(cached.manifest))
      this.log('error', `cached ${this.what} refused by the runtime`, { id: cached.manifest.id, version: cached.manifest.version, error: (err as Error).message })
    }
  }

  private async poll(): Promise<SyncOutcome> {
    try {
      const outcome = await this.check()
      this.lastCheckMs = Date.now()
      if (outcome !== 'failed') this.lastError = undefined
      return outcome
    } catch (err) {
      if (!this.running && this.stopController.signal.aborted) return 'failed'
      this.lastError = `${(err as Error).name}: ${(err as Error).message}`
      this.log(err instanceof ModelVerifyError ? 'error' : 'warn', `${this.what} sync failed; will retry`, { error: this.lastError })
      return 'failed'
    }
  }

  private async check(): Promise<SyncOutcome> {
    const res = await this.get(`${this.base}/current`, this.etag ? { 'if-none-match': this.etag } : {})
    if (res.statusCode === 304) {
      await res.body.dump()
      return 'unchanged'
    }
    if (res.statusCode === 404) {
      await res.body.dump()
      return 'none'
    }
    if (res.statusCode !== 200) throw new Error(`core answered ${res.statusCode}: ${(await res.body.text()).slice(0, 300)}`)
    const body = (await res.body.json()) as { manifest?: unknown; etag?: unknown; signature?: unknown }
    const etag = typeof body.etag === 'string' ? body.etag : undefined
    const manifest = this.manifestOf(body.manifest, 'from the core')
    const key = modelKey(manifest)
    if (this.installed && modelKey(this.installed) === key) {
      this.etag = etag
      return 'unchanged'
    }
    if (this.refused.has(key)) {
      this.etag = etag
      return 'refused'
    }
    // Before a byte of the model is fetched: signed by a key this gateway pins?
    try {
      verifyManifestSignature(manifest, body.signature, this.options.trustedKeys)
    } catch (err) {
      if (!(err instanceof ModelSignatureError)) throw err
      this.signatureRefusals++
      this.refused.add(key)
      this.etag = etag
      this.lastRefusal = `${err.code}: ${err.message}`
      this.log('error', `${this.what} from the core refused: its signature does not verify; keeping the current one`, {
        code: err.code, id: manifest.id, version: manifest.version, keeping: this.installed ? `${this.installed.id}@${this.installed.version}` : null, error: err.message,
      })
      return 'refused'
    }

    const download = await this.get(`${this.base}/${encodeURIComponent(manifest.id)}/${encodeURIComponent(manifest.version)}/onnx`)
    if (download.statusCode !== 200) throw new Error(`ONNX download answered ${download.statusCode}: ${(await download.body.text()).slice(0, 300)}`)
    const bytes = new Uint8Array(await download.body.arrayBuffer())
    this.verify(manifest, bytes)

    try {
      await this.options.install(manifest, bytes)
    } catch (err) {
      this.refused.add(key)
      this.etag = etag
      this.log('error', `${this.what} refused by the runtime; keeping the current one`, {
        id: manifest.id, version: manifest.version, keeping: this.installed ? `${this.installed.id}@${this.installed.version}` : null, error: (err as Error).message,
      })
      return 'refused'
    }
    this.installed = manifest
    this.etag = etag
    this.lastRefusal = undefined
    this.log('info', `${this.what} installed`, { id: manifest.id, version: manifest.version })
    await this.cache(manifest, bytes, body.signature).catch((err: Error) => this.log('warn', `could not cache the ${this.what} on disk`, { error: err.message }))
    return 'installed'
  }

  private get(path: string, headers: Record<string, string> = {}) {
    return request(new URL(path, this.options.url), {
      method: 'GET',
      dispatcher: this.agent,
      headers: { authorization: `Bearer ${this.options.token}`, ...headers },
      signal: this.stopController.signal,
    })
  }

  /** The ONNX file first, then the manifest naming it, each by rename: a crash leaves a whole pair or a mismatch that loadCached() ignores. */
  private async cache(manifest: M, bytes: Uint8Array, signature: unknown): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const previous = await readFile(join(this.dir, CACHE_MANIFEST), 'utf8').then((t) => (JSON.parse(t) as { file?: unknown }).file, () => undefined)
    await writeFile(join(this.dir, `${manifest.file}.tmp`), bytes)
    await rename(join(this.dir, `${manifest.file}.tmp`), join(this.dir, manifest.file))
    await writeFile(join(this.dir, `${CACHE_SIGNATURE}.tmp`), JSON.stringify(signature))
    await rename(join(this.dir, `${CACHE_SIGNATURE}.tmp`), join(this.dir, CACHE_SIGNATURE))
    await writeFile(join(this.dir, `${CACHE_MANIFEST}.tmp`), JSON.stringify(manifest, null, 2))
    await rename(join(this.dir, `${CACHE_MANIFEST}.tmp`), join(this.dir, CACHE_MANIFEST))
    if (typeof previous === 'string' && previous !== manifest.file && /^[A-Za-z0-9._-]+\.onnx$/.test(previous)) {
      await rm(join(this.dir, previous), { force: true })
    }
  }

  /** Sleeps, cut short by stop. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!this.running) return resolve()
      const timer = setTimeout(() => {
        this.wake = undefined
        resolve()
      }, ms)
      this.wake = () => {
        clearTimeout(timer)
        this.wake = undefined
        resolve()
      }
    })
  }

  private log(level: 'info' | 'warn' | 'error', message: string, fields?: object): void {
    this.options.log?.(level, message, fields)
  }
}
