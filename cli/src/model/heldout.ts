// Loads a shipped model (manifest + ONNX, hash checked) and scores a dataset with onnxruntime,
// so that the figures are those of the file the gateway runs, not of the training code.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ModelManifest, TRIAGE_LEVELS, validator, type TriageEvaluation } from '@neva/contracts'
import ort from 'onnxruntime-node'
import { FEATURES, FEATURE_SET, normalize } from '@neva/triage'
import type { Dataset } from './dataset.js'
import { evaluate, levelFromProbabilities, news2Scores, withFloor, type Thresholds } from './evaluate.js'

export const checkManifest = validator(ModelManifest)

export interface LoadedModel {
  manifest: ModelManifest
  session: ort.InferenceSession
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

export async function loadModel(manifestPath: string): Promise<LoadedModel> {
  const manifest: unknown = JSON.parse(await readFile(manifestPath, 'utf8'))
  const problem = checkManifest.explain(manifest)
  if (problem !== undefined || !checkManifest.check(manifest)) throw new Error(`${manifestPath}: not a model manifest: ${problem}`)
  if (manifest.feature_set !== FEATURE_SET) throw new Error(`${manifestPath}: feature set ${manifest.feature_set}, this extractor is ${FEATURE_SET}`)
  const names = FEATURES.map((f) => f.name).join(',')
  if (manifest.features.map((f) => f.name).join(',') !== names) throw new Error(`${manifestPath}: features differ from feature set ${FEATURE_SET}`)
  const bytes = await readFile(join(dirname(manifestPath), manifest.file))
  if (sha256(bytes) !== manifest.sha256) throw new Error(`${manifest.file}: sha256 differs from the manifest's`)
  return { manifest, session: await createSession(bytes) }
}

export function createSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 })
}

/** Normalized rows (N × F float32) from a dataset's raw features, as the manifest says. */
export function normalizeRows(data: Dataset, features: ModelManifest['features']): Float32Array {
  const F = features.length
  const z = new Float32Array(data.n * F)
  for (let i = 0; i < data.n; i++) z.set(normalize(data.raw.subarray(i * F, (i + 1) * F), features), i * F)
  return z
}

export async function runOnnx(session: ort.InferenceSession, z: Float32Array, F: number): Promise<{ probabilities: Float32Array; contributions: Float32Array }> {
  const n = z.length / F
  const out = await session.run({ features: new ort.Tensor('float32', z, [n, F]) })
  return { probabilities: out.probabilities!.data as Float32Array, contributions: out.contributions!.data as Float32Array }
}

export interface Comparison {
  n: number
  model: TriageEvaluation
  news2: TriageEvaluation
  /** Per sample, for plots: probabilities (N × 3) and the level given with the floor. */
  probabilities: Float64Array
  levels: Uint8Array
}

/** The model with its NEWS2 floor against NEWS2 alone, on the same samples. */
export function compare(data: Dataset, probabilities: ArrayLike<number>, thresholds: Thresholds): Comparison {
  const n = data.n
  const p = Float64Array.from(probabilities)
  const floored = new Uint8Array(n)
  for (let i = 0; i < n; i++) floored[i] = withFloor(levelFromProbabilities(p.subarray(i * 3, i * 3 + 3), thresholds), data.news2Level[i]!)
  const column = (c: number) => Float64Array.from({ length: n }, (_, i) => p[i * 3 + c]!)
  const model = evaluate(data.label, floored, [column(0), column(1), column(2)])
  const news2 = evaluate(data.label, data.news2Level, news2Scores(data.news2Score, data.news2Level))
  return { n, model, news2, probabilities: p, levels: floored }
}

export const LEVELS = TRIAGE_LEVELS
