// The deterioration model's calibration, applied after the ONNX graph: isotonic regression fitted
// on out-of-fold predictions, stored in the manifest as its breakpoints (piecewise linear between
// them, clipped outside, as scikit-learn's IsotonicRegression predicts).
export interface Calibration {
  method: string
  x: number[]
  y: number[]
}

export function calibrate(p: number, c: Pick<Calibration, 'x' | 'y'>): number {
  const { x, y } = c
  if (!Number.isFinite(p) || x.length === 0) return NaN
  if (p <= x[0]!) return y[0]!
  if (p >= x[x.length - 1]!) return y[y.length - 1]!
  let lo = 0
  let hi = x.length - 1
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1
    if (x[mid]! <= p) lo = mid
    else hi = mid
  }
  const span = x[hi]! - x[lo]!
  return span > 0 ? y[lo]! + ((p - x[lo]!) / span) * (y[hi]! - y[lo]!) : y[hi]!
}
