// A patient's hours for the deterioration model, kept bounded for a live gateway: per parameter,
// one aggregate per hour since admission (first, last, lowest, highest, count, sum, squared
// deviations) for the last 48 h, and running totals since admission for the features that look
// further back; NEWS2 is scored as readings arrive, also kept as hourly aggregates. A monitor
// sending every second costs the same memory as one charting hourly.
//
// features(now) equals extractHourlyFeatures(all readings, now) when `now` is a whole number of
// hours since admission and readings arrive in time order (standard deviations up to rounding:
// one pass instead of two). At other times the 1/6/24 h windows start on the hour boundary.
import { HOURLY_FEATURES, HOURLY_PARAMETERS, gcsToAcvpu, type HourlyObservation, type HourlyParameter } from './hourly-features.js'
import { news2, type VitalSet } from './news2.js'

const HOUR = 60
const WINDOWS = [1, 6, 24] as const
const SPREAD_WINDOWS = [6, 24] as const
const NEWS2_CARRY_MIN = 6 * HOUR
/** Hours of aggregates kept: the widest window (24 h) with room for a day's late scoring. */
export const HISTORY_HOURS = 48

/** m2: the sum of squared deviations from the bucket's mean (Welford), not of squares: a plain
 * sum of squares loses the spread of near-equal values to rounding (sd 1e-6 for 7e-12). */
interface Bucket { firstT: number; first: number; lastT: number; last: number; min: number; max: number; n: number; sum: number; m2: number }
interface Series { buckets: Map<number, Bucket>; n: number; sum: number; lastT: number; last: number; everLow: boolean; everPositive: boolean }

/** Hour bucket of a minute: (60(b−1), 60b]; minute 0 is bucket 0. */
const bucketOf = (minute: number) => Math.ceil(minute / HOUR)

const NEWS2_INPUTS: HourlyParameter[] = ['pulse', 'respiratory_rate', 'systolic_bp', 'temperature', 'spo2', 'gcs', 'ventilated', 'fio2']

export class HourlyHistory {
  private readonly series = new Map<HourlyParameter | 'news2', Series>()
  private readonly carried = new Map<HourlyParameter, [number, number]>()
  /** The NEWS2 point at the latest reading time, folded in once a later time arrives (same-minute readings make one point). */
  private pending: { t: number; score: number } | undefined
  private news2Worst = -Infinity

  /** Adds one reading (minutes since admission). Non-finite values are ignored. */
  add(o: HourlyObservation): void {
    if (!Number.isFinite(o.value) || !Number.isFinite(o.minute)) return
    this.fold(o.parameter, o.minute, o.value)
    if (!NEWS2_INPUTS.includes(o.parameter)) return
    if (this.pending && this.pending.t !== o.minute) this.commitNews2()
    this.carried.set(o.parameter, [o.minute, o.value])
    this.pending = { t: o.minute, score: this.news2At(o.minute) }
  }

  /** Drops hours older than HISTORY_HOURS before `now`. */
  prune(now: number): void {
    const oldest = bucketOf(now) - HISTORY_HOURS
    for (const s of this.series.values()) for (const b of s.buckets.keys()) if (b < oldest) s.buckets.delete(b)
  }

  /** Hour buckets held, over all parameters (what bounds this history's memory). */
  size(): number {
    let n = 0
    for (const s of this.series.values()) n += s.buckets.size
    return n
  }

  private fold(p: HourlyParameter | 'news2', t: number, v: number): void {
    let s = this.series.get(p)
    if (!s) this.series.set(p, (s = { buckets: new Map(), n: 0, sum: 0, lastT: -Infinity, last: NaN, everLow: false, everPositive: false }))
    const k = bucketOf(t)
    const b = s.buckets.get(k)
    if (!b) s.buckets.set(k, { firstT: t, first: v, lastT: t, last: v, min: v, max: v, n: 1, sum: v, m2: 0 })
    else {
      if (t < b.firstT) { b.firstT = t; b.first = v }
      if (t >= b.lastT) { b.lastT = t; b.last = v }
      b.min = Math.min(b.min, v)
      b.max = Math.max(b.max, v)
      const before = b.sum / b.n
      b.n++
      b.sum += v
      b.m2 += (v - before) * (v - b.sum / b.n)
    }
    s.n++
    s.sum += v
    if (t >= s.lastT) { s.lastT = t; s.last = v }
    if (v <= 12) s.everLow = true
    if (v > 0) s.everPositive = true
  }

  private commitNews2(): void {
    if (!this.pending) return
    this.fold('news2', this.pending.t, this.pending.score)
    this.news2Worst = Math.max(this.news2Worst, this.pending.score)
    this.pending = undefined
  }

  private news2At(time: number): number {
    const get = (q: HourlyParameter) => {
      const x = this.carried.get(q)
      return x && time - x[0] <= NEWS2_CARRY_MIN ? x[1] : null
    }
    const gcs = get('gcs')
    const vent = get('ventilated')
    const fio2 = get('fio2')
    const set: VitalSet = {
      pulse: get('pulse'), respiratory_rate: get('respiratory_rate'), systolic_bp: get('systolic_bp'),
      temperature: get('temperature'), spo2: get('spo2'), spo2_scale: 1,
      on_oxygen: vent === null && fio2 === null ? null : (vent ?? 0) > 0 || (fio2 ?? 0) > 0.21,
      consciousness: gcs === null ? null : gcsToAcvpu(gcs),
    }
    return news2(set).score
  }

  /** Buckets of a series within the last `w` hours of `now`, oldest first. */
  private window(s: Series, now: number, w: number): Bucket[] {
    const from = bucketOf(now) - w + 1
    return [...s.buckets.entries()].filter(([k]) => k >= from && k <= bucketOf(now)).sort((a, b) => a[0] - b[0]).map(([, b]) => b)
  }

  /** The raw feature vector at `now` (minutes since admission), in HOURLY_FEATURES order; NaN when missing. */
  features(now: number, age: number | null | undefined): Float64Array {
    this.commitNews2()
    const x = new Float64Array(HOURLY_FEATURES.length).fill(NaN)
    let k = 0
    let missing = 0
    for (const [p] of HOURLY_PARAMETERS) {
      const s = this.series.get(p)
      if (!s) {
        k += 1 + 2 * WINDOWS.length + 2 * SPREAD_WINDOWS.length + 1
        x[k++] = 0
        k++
        x[k++] = 1
        missing++
        continue
      }
      x[k++] = s.last
      for (const w of WINDOWS) {
        const bs = this.window(s, now, w)
        x[k++] = bs.length ? Math.min(...bs.map((b) => b.min)) : NaN
        x[k++] = bs.length ? Math.max(...bs.map((b) => b.max)) : NaN
      }
      for (const w of SPREAD_WINDOWS) {
        const bs = this.window(s, now, w)
        const m = bs.reduce((a, b) => a + b.n, 0)
        if (m >= 2) {
          // Buckets combined pairwise (Chan et al.): mean-centred, as the evaluation's two passes are.
          let n = 0, sum = 0, m2 = 0
          for (const b of bs) {
            if (n > 0) { const d = b.sum / b.n - sum / n; m2 += b.m2 + (d * d * n * b.n) / (n + b.n) } else m2 = b.m2
            n += b.n
            sum += b.sum
          }
          x[k++] = Math.sqrt(Math.max(0, m2 / (m - 1)))
          x[k++] = s.last - bs[0]!.first
        } else k += 2
      }
      x[k++] = s.sum / s.n
      x[k++] = s.n
      x[k++] = (now - s.lastT) / HOUR
      x[k++] = 0
    }
    const vent = this.series.get('ventilated')
    const gcs = this.series.get('gcs')
    const urine = this.series.get('urine')
    const ns = this.series.get('news2')
    const validAge = age !== null && age !== undefined && Number.isFinite(age) && age >= 0
    x[k++] = validAge ? age : NaN
    x[k++] = validAge ? 0 : 1
    x[k++] = now / HOUR
    x[k++] = vent ? (vent.last > 0 ? 1 : 0) : NaN
    x[k++] = vent ? (vent.everPositive ? 1 : 0) : NaN
    x[k++] = gcs ? (gcs.last >= 15 ? 1 : 0) : NaN
    x[k++] = gcs ? (gcs.everLow ? 1 : 0) : NaN
    x[k++] = urine ? this.window(urine, now, 24).reduce((a, b) => a + b.sum, 0) : NaN
    x[k++] = ns ? ns.last : NaN
    x[k++] = ns ? this.news2Worst : NaN
    const w24 = ns ? this.window(ns, now, 24) : []
    x[k++] = w24.length ? Math.max(...w24.map((b) => b.max)) : NaN
    x[k++] = missing
    x[k++] = (['pulse', 'respiratory_rate', 'systolic_bp', 'temperature', 'spo2', 'gcs'] as const).filter((p) => this.series.has(p)).length
    if (k !== x.length) throw new Error(`hourly history: filled ${k} of ${x.length}`)
    return x
  }

  /** This history as plain JSON (what a gateway keeps on disk across a restart). */
  toState(): HourlyHistoryState {
    return {
      series: [...this.series].map(([name, s]) => [name, { ...s, buckets: [...s.buckets].map(([k, b]) => [k, { ...b }]) }]),
      carried: [...this.carried].map(([p, x]) => [p, [x[0], x[1]]]),
      pending: this.pending ? { ...this.pending } : null,
      news2Worst: Number.isFinite(this.news2Worst) ? this.news2Worst : null,
    }
  }

  /** A history back from its state; throws naming what is wrong when the state is not one. */
  static fromState(state: unknown): HourlyHistory {
    const s = state as HourlyHistoryState
    if (typeof s !== 'object' || s === null || !Array.isArray(s.series) || !Array.isArray(s.carried)) throw new Error('hourly history state: series and carried must be arrays')
    const h = new HourlyHistory()
    for (const entry of s.series) {
      const [name, x] = Array.isArray(entry) ? entry : []
      if (typeof name !== 'string' || !SERIES_NAMES.has(name) || typeof x !== 'object' || x === null || !Array.isArray(x.buckets)) throw new Error(`hourly history state: bad series ${String(name)}`)
      if (![x.n, x.sum, x.lastT, x.last].every(finite) || typeof x.everLow !== 'boolean' || typeof x.everPositive !== 'boolean') throw new Error(`hourly history state: series ${name} has a non-finite total`)
      const buckets = new Map<number, Bucket>()
      for (const [k, b] of x.buckets) {
        if (!Number.isInteger(k) || typeof b !== 'object' || b === null || !BUCKET_KEYS.every((key) => finite(b[key]))) throw new Error(`hourly history state: series ${name} has a bad bucket`)
        buckets.set(k, Object.fromEntries(BUCKET_KEYS.map((key) => [key, b[key]])) as unknown as Bucket)
      }
      h.series.set(name as HourlyParameter | 'news2', { buckets, n: x.n, sum: x.sum, lastT: x.lastT, last: x.last, everLow: x.everLow, everPositive: x.everPositive })
    }
    for (const entry of s.carried) {
      const [p, x] = Array.isArray(entry) ? entry : []
      if (typeof p !== 'string' || !SERIES_NAMES.has(p) || p === 'news2' || !Array.isArray(x) || !finite(x[0]) || !finite(x[1])) throw new Error('hourly history state: bad carried value')
      h.carried.set(p as HourlyParameter, [x[0], x[1]])
    }
    if (s.pending !== null && s.pending !== undefined) {
      if (!finite(s.pending.t) || !finite(s.pending.score)) throw new Error('hourly history state: bad pending NEWS2 point')
      h.pending = { t: s.pending.t, score: s.pending.score }
    }
    if (s.news2Worst !== null && !finite(s.news2Worst)) throw new Error('hourly history state: bad news2Worst')
    h.news2Worst = s.news2Worst ?? -Infinity
    return h
  }
}

/** A history as plain JSON (what a gateway keeps on disk across a restart). */
export interface HourlyHistoryState {
  series: Array<[string, { buckets: Array<[number, Bucket]>; n: number; sum: number; lastT: number; last: number; everLow: boolean; everPositive: boolean }]>
  carried: Array<[string, [number, number]]>
  pending: { t: number; score: number } | null
  /** null before any NEWS2 point (−∞ in memory). */
  news2Worst: number | null
}

const SERIES_NAMES = new Set<string>([...HOURLY_PARAMETERS.map(([p]) => p), 'ventilated', 'news2'])
const BUCKET_KEYS = ['firstT', 'first', 'lastT', 'last', 'min', 'max', 'n', 'sum', 'm2'] as const
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x)

