// The triage model on worker threads. The gateway's event loop only gathers rows and reads
// answers; onnxruntime's run(), which blocks its thread, and the choice of level and drivers
// happen in a piscina worker.
//
// A model is installed only after its manifest, hash and inputs check out and a probe row scores
// on the pool; until then, and whenever it fails, the model already running stays. Rows arriving
// in the same turn of the event loop share one task (a task costs ~0.1 ms of overhead).
// close() drains the queue, then destroys the pool: terminating a worker inside run() aborts the
// whole process.
import { Piscina } from 'piscina'
import type { ModelManifest, ModelVerdict } from '@neva/contracts'
import { verifyModel } from './model-files.js'
import type { PackedOutput, RiskTask, ScoreTask } from './score-worker.js'
import { calibrate, checkRiskManifest, verdictAt, type RiskManifest } from '@neva/triage'
import { createHash } from 'node:crypto'
import { EdgeErrorCode } from '../errors.js'
import { trackWorker } from '../worker-heaps.js'

export class ModelRefusedError extends Error {
  readonly code = EdgeErrorCode.NEVA_EDGE_MODEL_REFUSED
}

export interface FeatureSpec {
  featureSet: string
  features: ReadonlyArray<{ name: string; unit: string }>
}

/** Checks a model against its manifest and against the features this gateway computes. */
export function checkModel(candidate: unknown, bytes: Uint8Array, spec: FeatureSpec): ModelManifest {
  let manifest: ModelManifest
  try {
    manifest = verifyModel(candidate, bytes)
  } catch (err) {
    throw new ModelRefusedError((err as Error).message, { cause: err })
  }
  const name = `${manifest.id}@${manifest.version}`
  if (manifest.feature_set !== spec.featureSet) throw new ModelRefusedError(`${name}: trained on feature set ${manifest.feature_set}; this gateway computes ${spec.featureSet}`)
  if (manifest.features.length !== spec.features.length) {
    throw new ModelRefusedError(`${name}: expects ${manifest.features.length} features; this gateway computes ${spec.features.length}`)
  }
  manifest.features.forEach((f, i) => {
    const ours = spec.features[i]!
    if (f.name !== ours.name || f.unit !== ours.unit) {
      throw new ModelRefusedError(`${name}: feature ${i} is ${f.name} [${f.unit}] in the manifest, ${ours.name} [${ours.unit}] here`)
    }
  })
  return manifest
}


interface Installed {
  manifest: ModelManifest
  sha256: string
  bytes: SharedArrayBuffer
}

interface Row {
  /** The model in service when the row was submitted: a swap never changes a row's model. */
  model: Installed
  features: Float32Array
  raw: ArrayLike<number>
  resolve: (v: ModelVerdict | null) => void
  reject: (e: Error) => void
}

export interface TriagePoolOptions {
  threads?: number
  /** Rows per task at most. */
  maxBatch?: number
  spec: FeatureSpec
}

export class TriagePool {
  private readonly pool: Piscina<ScoreTask | RiskTask | { exit: number }, PackedOutput>
  private riskModel: { manifest: RiskManifest; bytes: SharedArrayBuffer } | undefined
  private model: Installed | undefined
  private queue: Row[] = []
  private scheduled = false
  private inFlight = 0
  private closing = false
  readonly counters = { tasks: 0, rows: 0, failures: 0, refused: 0 }
  lastError: string | undefined

  constructor(private readonly options: TriagePoolOptions) {
    const threads = options.threads ?? 1
    this.pool = new Piscina({
      filename: new URL('./score-worker.ts', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
      // The next task waits in the worker's port while one runs: the worker never idles
      // waiting for the event loop to hand it work (measured: ~1.5x the rows per second).
      concurrentTasksPerWorker: 2,
    })
    // Each scorer's heap on /metrics (edge/src/worker-heaps.ts). The first threads start inside the
    // constructor, before any listener: they are taken from the pool; later ones (a dead worker's
    // replacement) from the event, where piscina names the thread, not the Worker.
    for (const worker of this.pool.threads) trackWorker('triage', worker)
    this.pool.on('workerCreate', (created: { threadId: number }) => {
      const worker = this.pool.threads.find((w) => w.threadId === created.threadId)
      if (worker) trackWorker('triage', worker)
    })
  }

  current(): ModelManifest | undefined {
    return this.model?.manifest
  }

  threads(): number {
    return this.pool.threads.length
  }

  /**
   * Checks and installs a model; rejects with ModelRefusedError and keeps the running model
   * when anything is wrong with it.
   */
  async install(manifest: unknown, bytes: Uint8Array): Promise<ModelManifest> {
    try {
      const checked = checkModel(manifest, bytes, this.options.spec)
      const shared = new SharedArrayBuffer(bytes.byteLength)
      new Uint8Array(shared).set(bytes)
      const width = checked.features.length
      const packed = await this.pool.run({ sha256: checked.sha256, model: shared, features: new Float32Array(width), rows: 1, width, thresholds: checked.thresholds }).catch((err: Error) => {
        throw new ModelRefusedError(`${checked.id}@${checked.version}: ${err.message}`, { cause: err })
      })
      const probe = verdictAt(checked, packed, 0, new Float64Array(width))
      const sum = probe.probabilities.green + probe.probabilities.yellow + probe.probabilities.red
      if (!(Math.abs(sum - 1) < 1e-3)) throw new ModelRefusedError(`${checked.id}@${checked.version}: the probabilities of a probe row sum to ${sum}, not 1`)
      this.model = { manifest: checked, sha256: checked.sha256, bytes: shared }
      return checked
    } catch (err) {
      this.counters.refused++
      this.lastError = (err as Error).message
      throw err
    }
  }

  /**
   * The model's verdict on one row of normalized features (`raw`: the same features before
   * normalization, NaN when missing, for the drivers); null when no model is installed.
   */
  score(features: Float32Array, raw: ArrayLike<number>): Promise<ModelVerdict | null> {
    const model = this.model
    if (!model || this.closing) return Promise.resolve(null)
    return new Promise((resolve, reject) => {
      this.queue.push({ model, features, raw, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.scheduled = false
    const rows = this.queue
    this.queue = []
    const max = this.options.maxBatch ?? 256
    const byModel = new Map<Installed, Row[]>()
    for (const r of rows) {
      const list = byModel.get(r.model)
      if (list) list.push(r)
      else byModel.set(r.model, [r])
    }
    for (const [model, list] of byModel) for (let i = 0; i < list.length; i += max) void this.runTask(model, list.slice(i, i + max))
  }

  private async runTask(model: Installed, rows: Row[]): Promise<void> {
    const width = model.manifest.features.length
    const features = new Float32Array(rows.length * width)
    rows.forEach((r, i) => features.set(r.features, i * width))
    this.inFlight++
    try {
      const task = { sha256: model.sha256, model: model.bytes, features, rows: rows.length, width, thresholds: model.manifest.thresholds }
      const packed = await this.pool.run(task, { transferList: [features.buffer] })
      this.counters.tasks++
      this.counters.rows += rows.length
      rows.forEach((r, i) => r.resolve(verdictAt(model.manifest, packed, i, r.raw)))
    } catch (err) {
      // A worker that died is replaced by the pool; these rows get NEWS2 alone this time.
      this.counters.failures++
      this.lastError = (err as Error).message
      for (const r of rows) r.reject(err as Error)
    } finally {
      this.inFlight--
    }
  }

  /** The deterioration model in service, if any. */
  currentRisk(): RiskManifest | undefined {
    return this.riskModel?.manifest
  }

  /**
   * Checks and installs the deterioration model (manifest, hash, features, a probe row of all
   * missing values on the pool); the running one stays when anything is wrong.
   */
  async installRisk(manifest: unknown, bytes: Uint8Array): Promise<RiskManifest> {
    try {
      let checked: RiskManifest
      try {
        checked = checkRiskManifest(manifest)
      } catch (err) {
        throw new ModelRefusedError((err as Error).message, { cause: err })
      }
      const actual = createHash('sha256').update(bytes).digest('hex')
      if (actual !== checked.sha256) throw new ModelRefusedError(`${checked.id}@${checked.version}: the ONNX bytes hash to ${actual}, the manifest says sha256 ${checked.sha256}`)
      const shared = new SharedArrayBuffer(bytes.byteLength)
      new Uint8Array(shared).set(bytes)
      const width = checked.features.length
      const probe = await this.pool.run({ kind: 'risk', sha256: checked.sha256, model: shared, features: new Float32Array(width).fill(NaN), rows: 1, width }).catch((err: Error) => {
        throw new ModelRefusedError(`${checked.id}@${checked.version}: ${err.message}`, { cause: err })
      })
      if (!(probe[0]! >= 0 && probe[0]! <= 1)) throw new ModelRefusedError(`${checked.id}@${checked.version}: a probe row scores ${probe[0]}, not a probability`)
      this.riskModel = { manifest: checked, bytes: shared }
      return checked
    } catch (err) {
      this.counters.refused++
      this.lastError = (err as Error).message
      throw err
    }
  }

  /**
   * The calibrated risk of rows of raw hourly features (row-major, NaN when missing), scored in
   * one pool task; null when no deterioration model is installed.
   */
  async risk(features: Float32Array, rows: number): Promise<{ risk: Float64Array; manifest: RiskManifest } | null> {
    const model = this.riskModel
    if (!model || this.closing) return null
    const width = model.manifest.features.length
    if (features.length !== rows * width) throw new Error(`expected ${rows} × ${width} features, got ${features.length}`)
    this.inFlight++
    try {
      const raw = await this.pool.run({ kind: 'risk', sha256: model.manifest.sha256, model: model.bytes, features, rows, width }, { transferList: [features.buffer as ArrayBuffer] })
      this.counters.tasks++
      this.counters.rows += rows
      return { risk: Float64Array.from(raw, (p) => calibrate(p, model.manifest.calibration)), manifest: model.manifest }
    } catch (err) {
      this.counters.failures++
      this.lastError = (err as Error).message
      throw err
    } finally {
      this.inFlight--
    }
  }

  /** Test hook for failure handling: makes one worker exit between two runs; true once it died. */
  async killOneWorker(): Promise<boolean> {
    return this.pool.run({ exit: 1 }).then(() => false, () => true)
  }

  /** Drains what is queued and running, then destroys the workers. */
  async close(): Promise<void> {
    this.closing = true
    if (this.queue.length > 0) this.flush()
    while (this.inFlight > 0 || this.pool.queueSize > 0) await new Promise((r) => setTimeout(r, 5))
    await this.pool.destroy()
  }
}
