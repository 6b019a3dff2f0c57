// The FIGO 2015 features of a CTG, on one-second means: baseline per 10-min window, accelerations
// and decelerations against it, contractions from the UC, variability per minute of baseline, and
// sinusoidal segments. Times are seconds from the trace's start.
import { quantile } from './signal.js'

export const WINDOW_S = 600

/** Baseline of each 10-min window: mean FHR of the samples near the window's level (excluding
 *  accelerations and decelerations), iterated, rounded to 5 bpm; NaN when under a third is present. */
export function windowBaselines(fhr: Float64Array): number[] {
  const out: number[] = []
  for (let w = 0; w * WINDOW_S < fhr.length; w++) {
    const v: number[] = []
    for (let i = w * WINDOW_S; i < Math.min(fhr.length, (w + 1) * WINDOW_S); i++) if (!Number.isNaN(fhr[i]!)) v.push(fhr[i]!)
    if (v.length * 3 < WINDOW_S) {
      out.push(NaN)
      continue
    }
    // Start at the median, then keep what lies within 10 bpm of the level: accelerations and
    // decelerations (over 15 bpm away) fall out.
    let b = quantile(v, 0.5)
    for (let k = 0; k < 6; k++) {
      const near = v.filter((x) => Math.abs(x - b) <= 10)
      if (near.length === 0) break
      b = near.reduce((s, x) => s + x, 0) / near.length
    }
    out.push(Math.round(b / 5) * 5)
  }
  return out
}

/** Each second's baseline: its window's, or the nearest window that has one. */
export function baselineAt(baselines: number[], n: number): Float64Array {
  const out = new Float64Array(n).fill(NaN)
  for (let i = 0; i < n; i++) {
    const w = Math.floor(i / WINDOW_S)
    for (let d = 0; d < baselines.length; d++) {
      const a = baselines[w - d]
      const b = baselines[w + d]
      if (a !== undefined && !Number.isNaN(a)) { out[i] = a; break }
      if (b !== undefined && !Number.isNaN(b)) { out[i] = b; break }
    }
  }
  return out
}

export interface Episode {
  start: number
  end: number
  /** Nadir (deceleration) or peak (acceleration) time and its distance from the baseline. */
  extremum: number
  depth: number
}

/** Runs where FHR stays over 15 bpm beyond the baseline for at least 15 s; gaps of missing signal
 *  up to 5 s do not break a run, and a run is extended to where FHR comes back within 5 bpm. */
export function episodes(fhr: Float64Array, base: Float64Array, sign: 1 | -1): Episode[] {
  const off = (i: number) => sign * (fhr[i]! - base[i]!)
  const out: Episode[] = []
  let i = 0
  while (i < fhr.length) {
    if (!(off(i) > 15)) { i++; continue }
    let j = i
    let last = i
    while (j < fhr.length && (off(j) > 15 || (Number.isNaN(fhr[j]!) && j - last <= 5) || (off(j) > 5 && j - last <= 5))) {
      if (off(j) > 15) last = j
      j++
    }
    let start = i
    while (start > 0 && off(start - 1) > 5 && i - start < 120) start--
    let end = last
    while (end + 1 < fhr.length && off(end + 1) > 5 && end - last < 120) end++
    if (last - i + 1 >= 15) {
      let ext = i
      for (let k = start; k <= end; k++) if (off(k) > off(ext)) ext = k
      out.push({ start, end, extremum: ext, depth: off(ext) })
    }
    i = Math.max(j, end + 1)
  }
  return out
}

export interface Contraction {
  start: number
  acme: number
  end: number
}

/** Contractions: UC (10-s mean) over the tone (its 3-min-window 20th percentile) by 10 units or
 *  more for 30 s to 3 min. */
export function contractions(uc: Float64Array): Contraction[] {
  const n = uc.length
  const smooth = new Float64Array(n).fill(NaN)
  for (let i = 0; i < n; i++) {
    let s = 0
    let c = 0
    for (let k = Math.max(0, i - 5); k < Math.min(n, i + 5); k++) if (!Number.isNaN(uc[k]!)) (s += uc[k]!), c++
    if (c > 0) smooth[i] = s / c
  }
  const tone = new Float64Array(n).fill(NaN)
  for (let w = 0; w * 60 < n; w++) {
    const v: number[] = []
    for (let k = Math.max(0, (w - 1) * 60); k < Math.min(n, (w + 2) * 60); k++) if (!Number.isNaN(smooth[k]!)) v.push(smooth[k]!)
    const t = quantile(v, 0.2)
    for (let k = w * 60; k < Math.min(n, (w + 1) * 60); k++) tone[k] = t
  }
  const out: Contraction[] = []
  let i = 0
  while (i < n) {
    if (!(smooth[i]! - tone[i]! >= 10)) { i++; continue }
    let j = i
    let acme = i
    while (j < n && smooth[j]! - tone[j]! >= 10) {
      if (smooth[j]! > smooth[acme]!) acme = j
      j++
    }
    if (j - i >= 30 && j - i <= 180) out.push({ start: i, acme, end: j - 1 })
    i = j
  }
  return out
}

/** Bandwidth (max − min) of each whole minute of baseline signal: none inside an acceleration or
 *  deceleration, at least 45 s present; NaN otherwise. */
export function minuteBandwidths(fhr: Float64Array, events: Episode[]): Float64Array {
  const inEvent = new Uint8Array(fhr.length)
  for (const e of events) inEvent.fill(1, e.start, e.end + 1)
  const out = new Float64Array(Math.floor(fhr.length / 60)).fill(NaN)
  for (let m = 0; m < out.length; m++) {
    let lo = Infinity
    let hi = -Infinity
    let c = 0
    let blocked = false
    for (let i = m * 60; i < (m + 1) * 60; i++) {
      if (inEvent[i]) blocked = true
      if (!Number.isNaN(fhr[i]!)) (c++, (lo = Math.min(lo, fhr[i]!)), (hi = Math.max(hi, fhr[i]!)))
    }
    if (!blocked && c >= 45) out[m] = hi - lo
  }
  return out
}

/** Minutes (start of each 4-min segment, in minutes) where the FHR is a smooth undulation of
 *  3–5 cycles/min and 5–15 bpm: most of its variance (≥ 70 %) at 2.5–5.5 cycles/min. */
export function sinusoidalSegments(fhr: Float64Array): boolean[] {
  const N = 240
  const out: boolean[] = []
  for (let s = 0; s + N <= fhr.length; s += N) {
    const seg = Array.from(fhr.subarray(s, s + N))
    if (seg.some((x) => Number.isNaN(x))) { out.push(false); continue }
    const mean = seg.reduce((a, b) => a + b, 0) / N
    const x = seg.map((v) => v - mean)
    const variance = x.reduce((a, b) => a + b * b, 0) / N
    let band = 0
    // Bin k is k/4 cycles per minute (4-min segment); 2.5–5.5 cpm are bins 10–22.
    for (let k = 10; k <= 22; k++) {
      let re = 0
      let im = 0
      for (let i = 0; i < N; i++) (re += x[i]! * Math.cos((2 * Math.PI * k * i) / N)), (im -= x[i]! * Math.sin((2 * Math.PI * k * i) / N))
      band += (2 * (re * re + im * im)) / (N * N)
    }
    const amplitude = 2 * Math.sqrt(2 * variance) // peak to peak of a sine of that variance
    out.push(variance > 0 && band / variance >= 0.7 && amplitude >= 5 && amplitude <= 15)
  }
  return out
}
