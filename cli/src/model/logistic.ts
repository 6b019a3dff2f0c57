// Multinomial logistic regression (softmax over the labels), trained by full-batch Adam with L2.
// A linear model explains itself exactly: each feature's share of a logit is z_f · W[f][c].
export interface LogisticModel {
  /** W[f * L + c]: weight of feature f for label c. */
  weights: Float64Array
  bias: Float64Array
  features: number
  labels: number
}

export interface TrainOptions {
  iterations?: number
  learningRate?: number
  /** L2 penalty on the weights (not the biases). */
  l2?: number
  /** Per-label weight of the loss, e.g. to care more about missing red. */
  labelWeights?: readonly number[]
}

/** Softmax of `logits` in place, stable against overflow. */
export function softmaxInPlace(logits: Float64Array | number[]): void {
  let max = -Infinity
  for (const v of logits) max = Math.max(max, v)
  let sum = 0
  for (let c = 0; c < logits.length; c++) sum += logits[c] = Math.exp(logits[c]! - max)
  for (let c = 0; c < logits.length; c++) logits[c]! /= sum
}

export function logits(model: LogisticModel, z: ArrayLike<number>): Float64Array {
  const { features: F, labels: L, weights: W } = model
  const out = Float64Array.from(model.bias)
  for (let f = 0; f < F; f++) {
    const v = z[f]!
    for (let c = 0; c < L; c++) out[c]! += v * W[f * L + c]!
  }
  return out
}

export function predict(model: LogisticModel, z: ArrayLike<number>): Float64Array {
  const p = logits(model, z)
  softmaxInPlace(p)
  return p
}

/** contributions[f * L + c] = z_f · W[f][c]; with the bias they sum to the logits. */
export function contributions(model: LogisticModel, z: ArrayLike<number>): Float64Array {
  const { features: F, labels: L, weights: W } = model
  const out = new Float64Array(F * L)
  for (let f = 0; f < F; f++) for (let c = 0; c < L; c++) out[f * L + c] = z[f]! * W[f * L + c]!
  return out
}

/** Trains on rows `x` (normalized, row-major N × F) with labels `y` in 0..L−1. Deterministic. */
export function train(x: Float32Array | Float64Array, y: Uint8Array, F: number, L: number, options: TrainOptions = {}): LogisticModel {
  const { iterations = 600, learningRate = 0.05, l2 = 1e-3, labelWeights } = options
  const N = y.length
  if (x.length !== N * F) throw new Error(`x has ${x.length} values, expected ${N} × ${F}`)
  const P = F * L + L // weights then biases
  const theta = new Float64Array(P)
  const m = new Float64Array(P)
  const v = new Float64Array(P)
  const grad = new Float64Array(P)
  const p = new Float64Array(L)
  const b1 = 0.9, b2 = 0.999, eps = 1e-8
  let totalWeight = 0
  for (let i = 0; i < N; i++) totalWeight += labelWeights?.[y[i]!] ?? 1
  for (let it = 1; it <= iterations; it++) {
    grad.fill(0)
    for (let i = 0; i < N; i++) {
      const row = i * F
      for (let c = 0; c < L; c++) p[c] = theta[F * L + c]!
      for (let f = 0; f < F; f++) {
        const z = x[row + f]!
        if (z === 0) continue
        for (let c = 0; c < L; c++) p[c]! += z * theta[f * L + c]!
      }
      softmaxInPlace(p)
      const w = (labelWeights?.[y[i]!] ?? 1) / totalWeight
      for (let c = 0; c < L; c++) {
        const g = w * (p[c]! - (y[i] === c ? 1 : 0))
        if (g === 0) continue
        grad[F * L + c]! += g
        for (let f = 0; f < F; f++) grad[f * L + c]! += g * x[row + f]!
      }
    }
    for (let k = 0; k < F * L; k++) grad[k]! += l2 * theta[k]!
    const lr = learningRate * Math.sqrt(1 - b2 ** it) / (1 - b1 ** it)
    for (let k = 0; k < P; k++) {
      m[k] = b1 * m[k]! + (1 - b1) * grad[k]!
      v[k] = b2 * v[k]! + (1 - b2) * grad[k]! * grad[k]!
      theta[k]! -= (lr * m[k]!) / (Math.sqrt(v[k]!) + eps)
    }
  }
  return { weights: theta.slice(0, F * L), bias: theta.slice(F * L), features: F, labels: L }
}

/** Mean cross-entropy, for reporting. */
export function logLoss(model: LogisticModel, x: Float32Array | Float64Array, y: Uint8Array): number {
  const F = model.features
  let sum = 0
  for (let i = 0; i < y.length; i++) sum -= Math.log(Math.max(1e-12, predict(model, x.subarray(i * F, (i + 1) * F))[y[i]!]!))
  return sum / y.length
}

/** The same model with weights rounded to float32, as the ONNX file holds them. */
export function toFloat32(model: LogisticModel): LogisticModel {
  return { ...model, weights: Float64Array.from(model.weights, Math.fround), bias: Float64Array.from(model.bias, Math.fround) }
}
