// A triage pool worker: keeps one ONNX session per model (keyed by the file's sha256) and scores
// many patients per task, down to packed verdicts (level and drivers), so the gateway's thread
// only reads answers. The model bytes arrive in a SharedArrayBuffer with the first task that
// names them, so a hot swap is simply a task naming another model.
import * as ort from 'onnxruntime-node'
import { move } from 'piscina'
import type { ModelManifest } from '@neva/contracts'
import { packVerdicts } from '@neva/triage'

export interface ScoreTask {
  sha256: string
  model: SharedArrayBuffer
  /** Rows of normalized features, row-major [rows, features]. */
  features: Float32Array
  rows: number
  width: number
  thresholds: ModelManifest['thresholds']
}

/** The deterioration model's task: raw hourly features (NaN when missing) in, `risk` [rows, 1] out. */
export interface RiskTask {
  kind: 'risk'
  sha256: string
  model: SharedArrayBuffer
  features: Float32Array
  rows: number
  width: number
}

/** What a task returns: packed verdicts (verdicts.ts), moved rather than copied back. */
export type PackedOutput = Float32Array

// Only the newest models stay loaded: a swap back and forth must not reload, a long run must not
// hoard sessions.
const sessions = new Map<string, Promise<ort.InferenceSession>>()
const KEEP = 2

function session(task: ScoreTask | RiskTask): Promise<ort.InferenceSession> {
  let s = sessions.get(task.sha256)
  if (!s) {
    // onnxruntime takes no view of shared memory: one private copy per load.
    s = ort.InferenceSession.create(new Uint8Array(task.model).slice(), { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
    sessions.set(task.sha256, s)
    // A failed load is not cached: the next task may bring a good model under another hash.
    s.catch(() => sessions.delete(task.sha256))
    while (sessions.size > KEEP) {
      const [oldest, old] = sessions.entries().next().value!
      sessions.delete(oldest)
      void old.then((x) => x.release()).catch(() => {})
    }
  }
  return s
}

export default async function score(task: ScoreTask | RiskTask | { exit: number }): Promise<PackedOutput> {
  // How the tests make a worker die under load; the pool replaces it.
  if ('exit' in task) process.exit(task.exit)
  if ('kind' in task) return risk(task)
  const s = await session(task)
  const input = new ort.Tensor('float32', task.features, [task.rows, task.width])
  const out = await s.run({ features: input })
  const probabilities = out.probabilities
  const contributions = out.contributions
  if (!probabilities || !contributions) throw new Error(`model outputs ${Object.keys(out).join(', ')}; expected probabilities and contributions`)
  const labels = probabilities.dims[1] ?? 0
  if (probabilities.dims.length !== 2 || probabilities.dims[0] !== task.rows || labels !== 3) {
    throw new Error(`probabilities have shape [${probabilities.dims.join(', ')}], expected [${task.rows}, 3] (green, yellow, red)`)
  }
  if (contributions.dims.join() !== [task.rows, task.width, labels].join()) {
    throw new Error(`contributions have shape [${contributions.dims.join(', ')}], expected [${task.rows}, ${task.width}, ${labels}]`)
  }
  const packed = packVerdicts({ probabilities: probabilities.data as Float32Array, contributions: contributions.data as Float32Array }, task.rows, task.width, task.thresholds)
  return move(packed) as Float32Array
}

async function risk(task: RiskTask): Promise<Float32Array> {
  const s = await session(task)
  const out = await s.run({ features: new ort.Tensor('float32', task.features, [task.rows, task.width]) })
  const r = out.risk
  if (!r || r.dims.join() !== [task.rows, 1].join()) throw new Error(`risk model outputs ${Object.keys(out).join(', ')}${r ? ` (risk [${r.dims.join(', ')}])` : ''}; expected risk [${task.rows}, 1]`)
  return move(Float32Array.from(r.data as Float32Array)) as Float32Array
}
