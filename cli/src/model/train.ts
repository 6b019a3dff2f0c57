// The training pipeline: seeded cohort → features → logistic regression → thresholds tuned on a
// second cohort → ONNX + manifest, with figures from a third, held-out cohort scored by
// onnxruntime from the written file.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelManifest } from '@neva/contracts'
import { FEATURES, FEATURE_SET } from '@neva/triage'
import { buildDataset, type Dataset } from './dataset.js'
import { chooseThresholds } from './evaluate.js'
import { checkManifest, compare, createSession, normalizeRows, runOnnx, sha256, type Comparison } from './heldout.js'
import { predict, toFloat32, train, type LogisticModel } from './logistic.js'
import { exportOnnx } from './onnx-export.js'

export interface TrainPipelineOptions {
  seed: string
  patients: number
  outDir: string
  id?: string
  version?: string
  /** Held-out patients for the manifest's figures; default `patients / 3`, at least 50. */
  evalPatients?: number
  iterations?: number
  /** Over-triage the thresholds may add to NEWS2's on the tuning cohort. */
  overMargin?: number
  log?: (line: string) => void
}

export interface TrainPipelineResult {
  manifest: ModelManifest
  manifestPath: string
  onnxPath: string
  model: LogisticModel
  heldOut: Comparison
}

/** Cohort seeds derived from the one given: training, threshold tuning and held-out differ. */
export const tuneSeed = (seed: string) => `${seed}/tune`
export const heldOutSeed = (seed: string) => `${seed}/heldout`

/** Mean, std and imputation value of each raw column over its observed values. */
export function featureStats(data: Dataset): ModelManifest['features'] {
  const F = FEATURES.length
  return FEATURES.map((info, f) => {
    let n = 0, sum = 0, sq = 0
    for (let i = 0; i < data.n; i++) {
      const v = data.raw[i * F + f]!
      if (!Number.isFinite(v)) continue
      n++; sum += v; sq += v * v
    }
    const mean = n ? sum / n : 0
    const std = n > 1 ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : 0
    // Rounded so the manifest reads well; the runtime uses exactly these numbers.
    const r = (x: number) => Number(x.toPrecision(6))
    return { ...info, mean: r(mean), std: std > 1e-9 ? r(std) : 1, impute: r(mean) }
  })
}

const DESCRIPTION = (patients: number) =>
  `Multinomial logistic regression (softmax, L2, full-batch Adam) on ${FEATURES.length} features (${FEATURE_SET}: latest NEWS2 vitals, ` +
  `5/15-minute trends, shock index, oxygen, SpO2 scale, age, NEWS2 aggregate, explicit missing indicators). Trained on ${patients} ` +
  'simulated patients (neva simulators cohort: stable, sepsis, haemorrhage, respiratory failure, compensated haemorrhage in the young, ' +
  'stable COPD with low SpO2 and COPD exacerbation), ages 18-95 with blunted pulse and fever in the old and beta-blockers, random ' +
  'onset/course/peak severity and per-patient response gains, pulse and SpO2 each minute, NIBP every 3-15 min, temperature every ' +
  '15-30 min or never, respiratory rate manual in 15%, 2% dropped readings, 10% unknown age. Labels are the hidden severity ' +
  'banded green/yellow/red, never NEWS2. Thresholds tuned on a second cohort to minimise under-triage with the NEWS2 floor ' +
  'while keeping over-triage within 4 points of NEWS2; figures from a third, held-out cohort. Synthetic data: these figures say ' +
  'the pipeline works, not how the model performs on real patients.'

export async function trainPipeline(options: TrainPipelineOptions): Promise<TrainPipelineResult> {
  const { seed, patients, outDir, id = 'triage-lr', version = '1', iterations = 600, overMargin = 0.04 } = options
  const log = options.log ?? (() => {})
  const F = FEATURES.length
  const started = Date.now()
  const data = buildDataset({ seed, patients })
  log(`training cohort: ${patients} patients, ${data.n} samples (seed ${seed})`)
  const features = featureStats(data)
  const z = normalizeRows(data, features)
  const model = toFloat32(train(z, data.label, F, 3, { iterations }))
  log(`trained: ${iterations} iterations in ${((Date.now() - started) / 1000).toFixed(1)} s`)

  const tune = buildDataset({ seed: tuneSeed(seed), patients: Math.max(50, Math.round(patients / 3)) })
  const zt = normalizeRows(tune, features)
  const probs = new Float64Array(tune.n * 3)
  for (let i = 0; i < tune.n; i++) probs.set(predict(model, zt.subarray(i * F, (i + 1) * F)), i * 3)
  const thresholds = chooseThresholds(probs, tune.label, tune.news2Level, overMargin)
  log(`thresholds on ${tune.n} tuning samples: red ≥ ${thresholds.red}, yellow ≥ ${thresholds.yellow}`)

  const onnx = exportOnnx(model)
  const file = `${id}-${version}.onnx`
  const evalPatients = options.evalPatients ?? Math.max(50, Math.round(patients / 3))
  const held = buildDataset({ seed: heldOutSeed(seed), patients: evalPatients })
  const session = await createSession(onnx)
  const { probabilities } = await runOnnx(session, normalizeRows(held, features), F)
  await session.release()
  const heldOut = compare(held, probabilities, thresholds)
  const manifest: ModelManifest = {
    id,
    version,
    created: new Date().toISOString(),
    kind: 'logistic_regression',
    file,
    sha256: sha256(onnx),
    feature_set: FEATURE_SET,
    features,
    labels: ['green', 'yellow', 'red'],
    thresholds: { red: thresholds.red, yellow: thresholds.yellow },
    training: { description: DESCRIPTION(patients), seed, patients, samples: data.n },
    evaluation: { n: heldOut.n, model: heldOut.model, news2: heldOut.news2 },
  }
  const problem = checkManifest.explain(manifest)
  if (problem !== undefined) throw new Error(`manifest does not validate: ${problem}`)
  await mkdir(outDir, { recursive: true })
  const onnxPath = join(outDir, file)
  const manifestPath = join(outDir, `${id}-${version}.json`)
  await writeFile(onnxPath, onnx)
  await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
  return { manifest, manifestPath, onnxPath, model, heldOut }
}
