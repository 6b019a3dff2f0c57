// Small real models for tests: random logistic regressions exported by the model pipeline.
import { createHash } from 'node:crypto'
import { FEATURES, FEATURE_SET } from '@neva/edge'
import type { ModelManifest, TriageEvaluation } from '@neva/contracts'
import { exportOnnx } from '../src/model/onnx-export.js'
import type { LogisticModel } from '../src/model/logistic.js'

export const F = FEATURES.length
export const spec = { featureSet: FEATURE_SET, features: FEATURES }

export function randomModel(seed: number): LogisticModel {
  let s = seed
  const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5
  return { weights: Float64Array.from({ length: F * 3 }, r), bias: Float64Array.from({ length: 3 }, r), features: F, labels: 3 }
}

const noEval: TriageEvaluation = { under_triage: 0, over_triage: 0, red_sensitivity: 0, auroc: { green: 0.5, yellow: 0.5, red: 0.5 }, confusion: [[0, 0, 0], [0, 0, 0], [0, 0, 0]] }

export function packaged(model: LogisticModel, version: string) {
  const bytes = exportOnnx(model)
  const manifest: ModelManifest = {
    id: 'test-lr', version, created: new Date().toISOString(), kind: 'logistic_regression',
    file: `test-lr-${version}.onnx`, sha256: createHash('sha256').update(bytes).digest('hex'), feature_set: FEATURE_SET,
    features: FEATURES.map((f) => ({ ...f, mean: 0, std: 1, impute: 0 })),
    labels: ['green', 'yellow', 'red'], thresholds: { red: 0.5, yellow: 0.5 },
    training: { description: 'random weights, for tests', seed: String(version), patients: 0, samples: 0 },
    evaluation: { n: 0, model: noEval, news2: noEval },
  }
  return { manifest, bytes }
}

