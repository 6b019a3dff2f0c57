// The CTG trace as the classifier reads it: FHR in bpm with missing samples as NaN (a monitor's 0
// is signal loss, never a heart rate), UC in the device's units, both at one sampling rate.

export interface CtgTrace {
  /** Samples per second (CTU-UHB and fetal monitors: 4). */
  hz: number
  /** Fetal heart rate, bpm; NaN where the signal was lost. */
  fhr: Float64Array
  /** Uterine activity (toco units); NaN where missing. */
  uc: Float64Array
}

/** FHR outside this range is a lost or doubled/halved signal, not a heart rate. */
export const FHR_PLAUSIBLE = { min: 50, max: 210 } as const

/** From a device's values: 0 (or anything outside 50–210 bpm) becomes missing. */
export function fhrFromBpm(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    out[i] = Number.isFinite(v) && v >= FHR_PLAUSIBLE.min && v <= FHR_PLAUSIBLE.max ? v : NaN
  }
  return out
}

/** Means of consecutive blocks of `size` samples (NaN when fewer than half are present). */
export function blockMeans(x: Float64Array, size: number): Float64Array {
  const n = Math.floor(x.length / size)
  const out = new Float64Array(n)
  for (let b = 0; b < n; b++) {
    let s = 0
    let c = 0
    for (let i = b * size; i < (b + 1) * size; i++) if (!Number.isNaN(x[i]!)) (s += x[i]!), c++
    out[b] = c * 2 >= size ? s / c : NaN
  }
  return out
}

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!
}

/**
 * Spikes out (at one sample per second): a sample more than 25 bpm from the last accepted one is
 * an artefact (a doubled, halved or maternal rate) unless the next 5 agree with it, which makes
 * it the new level. What is dropped becomes missing, never replaced.
 */
export function withoutArtefacts(x: Float64Array): Float64Array {
  const out = Float64Array.from(x)
  let last = NaN
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!
    if (Number.isNaN(v)) continue
    if (Number.isNaN(last) || Math.abs(v - last) <= 25) {
      last = v
      continue
    }
    let agree = 0
    for (let k = i + 1; k < x.length && k <= i + 5; k++) if (!Number.isNaN(x[k]!) && Math.abs(x[k]! - v) <= 10) agree++
    if (agree >= 4) last = v
    else out[i] = NaN
  }
  return out
}

/** The trace's last `minutes` (the whole trace when shorter): what a live edge classifies. */
export function ctgTail(trace: CtgTrace, minutes: number): CtgTrace {
  const from = Math.max(0, trace.fhr.length - Math.round(minutes * 60 * trace.hz))
  return { hz: trace.hz, fhr: trace.fhr.subarray(from), uc: trace.uc.subarray(from) }
}
