// From a model's raw outputs to verdicts, in two steps so the heavy one runs off the gateway's
// event loop: packVerdicts (in the worker) picks each row's level and its top drivers and packs
// them into a few numbers per row; verdictAt (on the event loop) turns one packed row into the
// ModelVerdict object. Pure: no onnxruntime here.
import type { ModelManifest, ModelVerdict } from '@neva/contracts'
import { modelLevel } from './floor.js'

const LABELS = ['green', 'yellow', 'red'] as const
/** Drivers named per verdict. */
export const TOP_DRIVERS = 5

// Per row: [p_green, p_yellow, p_red, level index, driver count, TOP feature indices, TOP scores].
const L = LABELS.length
const STRIDE = L + 2 + 2 * TOP_DRIVERS

export interface RawOutputs {
  /** [rows, labels] */
  probabilities: Float32Array
  /** [rows, features, labels] */
  contributions: Float32Array
}

/** Packs rows' verdicts; the model's outputs must be in the contracts' label order. */
export function packVerdicts(out: RawOutputs, rows: number, features: number, thresholds: ModelManifest['thresholds']): Float32Array {
  const packed = new Float32Array(rows * STRIDE)
  const p = out.probabilities
  const contrib = out.contributions
  const best = new Int32Array(TOP_DRIVERS)
  const score = new Float64Array(TOP_DRIVERS)
  for (let row = 0; row < rows; row++) {
    const at = row * STRIDE
    const level = modelLevel({ green: p[row * L]!, yellow: p[row * L + 1]!, red: p[row * L + 2]! }, thresholds)
    const c = LABELS.indexOf(level)
    // A feature drives the level by how much more it adds to that level's logit than, on
    // average, to the others'. The top few are kept by insertion.
    let n = 0
    const base = row * features * L
    for (let i = 0; i < features; i++) {
      const k = base + i * L
      let others = 0
      for (let j = 0; j < L; j++) if (j !== c) others += contrib[k + j]!
      const d = contrib[k + c]! - others / (L - 1)
      if (!(d > 0) || (n === TOP_DRIVERS && d <= score[TOP_DRIVERS - 1]!)) continue
      let pos = n === TOP_DRIVERS ? TOP_DRIVERS - 1 : n++
      while (pos > 0 && score[pos - 1]! < d) {
        best[pos] = best[pos - 1]!
        score[pos] = score[pos - 1]!
        pos--
      }
      best[pos] = i
      score[pos] = d
    }
    packed[at] = p[row * L]!
    packed[at + 1] = p[row * L + 1]!
    packed[at + 2] = p[row * L + 2]!
    packed[at + 3] = c
    packed[at + 4] = n
    for (let k = 0; k < n; k++) {
      packed[at + 5 + k] = best[k]!
      packed[at + 5 + TOP_DRIVERS + k] = score[k]!
    }
  }
  return packed
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4

/** Row `row` of packed verdicts as a ModelVerdict; `raw` are its features before normalization, NaN when missing. */
export function verdictAt(m: ModelManifest, packed: Float32Array, row: number, raw: ArrayLike<number>): ModelVerdict {
  const at = row * STRIDE
  const n = packed[at + 4]!
  const drivers: ModelVerdict['drivers'] = []
  for (let k = 0; k < n; k++) {
    const i = packed[at + 5 + k]!
    const value = raw[i]!
    drivers.push({ feature: m.features[i]!.name, value: Number.isNaN(value) ? null : value, contribution: round4(packed[at + 5 + TOP_DRIVERS + k]!) })
  }
  return {
    id: m.id,
    version: m.version,
    level: LABELS[packed[at + 3]!]!,
    probabilities: { green: round4(packed[at]!), yellow: round4(packed[at + 1]!), red: round4(packed[at + 2]!) },
    drivers,
  }
}

/** How many packed rows a buffer holds. */
export function packedRows(packed: Float32Array): number {
  return packed.length / STRIDE
}
