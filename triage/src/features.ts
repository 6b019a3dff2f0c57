// The triage model's feature extractor, shared by training (cli) and the gateway at run time:
// a pure function of a patient's recent history. A missing input is NaN in the raw vector with
// its `_missing` indicator at 1; only `normalize` imputes, with the value the manifest says.
import { ACVPU, type Acvpu, type ModelFeature, type News2Parameter } from '@neva/contracts'
import { news2, type VitalSet } from './news2.js'

/** Bump when FEATURES or their computation change: a model trained on another set is refused. */
export const FEATURE_SET = 'v1'

const MIN = 60_000
/** Readings kept: 15 minutes of trends plus the ±1 min window around the oldest point. */
const KEEP_MS = 16 * MIN
/** The "now" of a trend is the mean over the 2 minutes up to the latest reading (monitors are noisy). */
const RECENT_MS = 2 * MIN
/** The "then" of a trend is the mean over ±1 minute around latest − 5 (or 15) minutes. */
const HALF_WINDOW_MS = 1 * MIN

/**
 * Readings of one parameter within BUCKET_MS of each other share an entry: a monitor at 1 Hz, or
 * a device far faster, costs the trends a few hundred entries, not tens of thousands. `t` and `v`
 * are the bucket's newest reading (what NEWS2 takes); `sum` / `n` its mean (what trends take).
 */
type Reading = { t: number; v: number; sum: number; n: number }
const BUCKET_MS = 5000

/** Per patient, the NEWS2 parameters over the last 16 minutes, oldest first. */
export class PatientHistory {
  spo2Scale: 1 | 2 = 1
  /** Years; null when unknown. */
  age: number | null = null
  private readonly series = new Map<News2Parameter, Reading[]>()
  private newest = -Infinity

  /** Device time of the newest reading; -Infinity before the first. */
  newestTime(): number {
    return this.newest
  }

  /**
   * Records a reading. `on_oxygen` takes a boolean (or an O2 flow, > 0 meaning on oxygen);
   * `consciousness` an ACVPU letter or its index. Non-finite numbers are ignored: no measurement.
   */
  add(name: News2Parameter, value: number | boolean | Acvpu, timeMs: number): void {
    let v: number
    if (typeof value === 'boolean') v = value ? 1 : 0
    else if (typeof value === 'string') v = ACVPU.indexOf(value)
    else if (name === 'on_oxygen') v = value > 0 ? 1 : 0
    else v = value
    if (!Number.isFinite(v) || v < 0 || !Number.isFinite(timeMs)) return
    let list = this.series.get(name)
    if (!list) this.series.set(name, (list = []))
    const last = list[list.length - 1]
    if (last && timeMs >= last.t && Math.floor(timeMs / BUCKET_MS) === Math.floor(last.t / BUCKET_MS)) {
      last.t = timeMs
      last.v = v
      last.sum += v
      last.n++
    } else {
      list.push({ t: timeMs, v, sum: v, n: 1 })
      // Late readings are rare: keep the list ordered without sorting on every add.
      if (list.length > 1 && list[list.length - 2]!.t > timeMs) list.sort((a, b) => a.t - b.t)
    }
    if (timeMs > this.newest) {
      this.newest = timeMs
      this.prune(timeMs - KEEP_MS)
    }
  }

  /** Readings of one parameter up to `now`, oldest first (bucketed, see Reading). */
  readings(name: News2Parameter, now = Infinity): readonly Reading[] {
    const list = this.series.get(name) ?? []
    return list[list.length - 1] !== undefined && list[list.length - 1]!.t <= now ? list : list.filter((r) => r.t <= now)
  }

  /** The latest value of each parameter within the kept window, as NEWS2 takes it. */
  vitalSet(now = Infinity): VitalSet {
    const last = (p: News2Parameter) => latest(this.readings(p, now), now)?.v
    const on = last('on_oxygen')
    const c = last('consciousness')
    return {
      respiratory_rate: last('respiratory_rate') ?? null,
      spo2: last('spo2') ?? null,
      spo2_scale: this.spo2Scale,
      on_oxygen: on === undefined ? null : on > 0,
      systolic_bp: last('systolic_bp') ?? null,
      pulse: last('pulse') ?? null,
      consciousness: c === undefined ? null : (ACVPU[c] ?? 'U'),
      temperature: last('temperature') ?? null,
    }
  }

  private prune(before: number): void {
    for (const list of this.series.values()) {
      let drop = 0
      while (drop < list.length && list[drop]!.t < before) drop++
      if (drop > 0) list.splice(0, drop)
    }
  }
}

function latest(list: readonly Reading[], now: number): Reading | undefined {
  const r = list[list.length - 1]
  return r && r.t >= now - KEEP_MS ? r : undefined
}

/** Index of the first reading at or after `t` (the list is ordered by time). */
function firstAtOrAfter(list: readonly Reading[], t: number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (list[mid]!.t < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

function meanIn(list: readonly Reading[], from: number, to: number): number {
  let sum = 0
  let n = 0
  for (let i = firstAtOrAfter(list, from); i < list.length && list[i]!.t <= to; i++) {
    sum += list[i]!.sum
    n += list[i]!.n
  }
  return n === 0 ? NaN : sum / n
}

/** Latest (smoothed) value minus the value `minutes` earlier; NaN when either is unknown. */
function delta(list: readonly Reading[], now: number, minutes: number): number {
  const last = latest(list, now)
  if (!last) return NaN
  const recent = meanIn(list, last.t - RECENT_MS, last.t)
  const then = last.t - minutes * MIN
  return recent - meanIn(list, then - HALF_WINDOW_MS, then + HALF_WINDOW_MS)
}

export interface FeatureInfo {
  name: string
  /** UCUM unit of the raw value; "1" for indicators and ratios. */
  unit: string
  description: string
}

const f = (name: string, unit: string, description: string): FeatureInfo => ({ name, unit, description })

/** The features of FEATURE_SET, in the order of the model's input columns. */
export const FEATURES: readonly FeatureInfo[] = [
  f('respiratory_rate', '/min', 'latest respiratory rate'),
  f('spo2', '%', 'latest SpO2'),
  f('systolic_bp', 'mm[Hg]', 'latest systolic blood pressure'),
  f('pulse', '/min', 'latest pulse'),
  f('temperature', 'Cel', 'latest temperature'),
  f('on_oxygen', '1', '1 when on supplemental oxygen'),
  f('alert', '1', '1 when ACVPU is A, 0 when C, V, P or U'),
  f('vpu', '1', '1 when ACVPU is V, P or U (worse than new confusion)'),
  f('spo2_scale2', '1', '1 when the patient is on SpO2 scale 2 (hypercapnic respiratory failure)'),
  f('age', 'a', 'age in years'),
  f('shock_index', '1', 'latest pulse / latest systolic blood pressure'),
  f('news2', '1', 'NEWS2 aggregate of the latest values (missing parameters not counted)'),
  f('respiratory_rate_delta_5m', '/min', 'respiratory rate change over 5 minutes'),
  f('respiratory_rate_delta_15m', '/min', 'respiratory rate change over 15 minutes'),
  f('spo2_delta_5m', '%', 'SpO2 change over 5 minutes'),
  f('spo2_delta_15m', '%', 'SpO2 change over 15 minutes'),
  f('systolic_bp_delta_5m', 'mm[Hg]', 'systolic blood pressure change over 5 minutes'),
  f('systolic_bp_delta_15m', 'mm[Hg]', 'systolic blood pressure change over 15 minutes'),
  f('pulse_delta_5m', '/min', 'pulse change over 5 minutes'),
  f('pulse_delta_15m', '/min', 'pulse change over 15 minutes'),
  f('temperature_delta_15m', 'Cel', 'temperature change over 15 minutes'),
  f('respiratory_rate_missing', '1', '1 when no respiratory rate in the last 16 minutes'),
  f('spo2_missing', '1', '1 when no SpO2 in the last 16 minutes'),
  f('systolic_bp_missing', '1', '1 when no systolic blood pressure in the last 16 minutes'),
  f('pulse_missing', '1', '1 when no pulse in the last 16 minutes'),
  f('temperature_missing', '1', '1 when no temperature in the last 16 minutes'),
  f('on_oxygen_missing', '1', '1 when whether the patient is on oxygen is unknown'),
  f('consciousness_missing', '1', '1 when no ACVPU assessment in the last 16 minutes'),
  f('age_missing', '1', '1 when the age is unknown'),
  f('trend_5m_missing', '1', '1 when the history spans less than 5 minutes'),
  f('trend_15m_missing', '1', '1 when the history spans less than 15 minutes'),
]

const INDEX = new Map(FEATURES.map((x, i) => [x.name, i]))
/** Column of a feature by name (throws on a typo, at module load of the caller's constants). */
export function featureIndex(name: string): number {
  const i = INDEX.get(name)
  if (i === undefined) throw new Error(`no feature ${name} in feature set ${FEATURE_SET}`)
  return i
}

const TRENDED: ReadonlyArray<readonly [News2Parameter, readonly number[]]> = [
  ['respiratory_rate', [5, 15]],
  ['spo2', [5, 15]],
  ['systolic_bp', [5, 15]],
  ['pulse', [5, 15]],
  ['temperature', [15]],
]
const MISSABLE: readonly News2Parameter[] = ['respiratory_rate', 'spo2', 'systolic_bp', 'pulse', 'temperature', 'on_oxygen', 'consciousness']

/**
 * The raw feature vector at `now` (ms), in FEATURES order. Missing values are NaN; indicators
 * are 0 or 1. `age` overrides `history.age` when given.
 */
export function extractFeatures(history: PatientHistory, now: number, age?: number | null): Float64Array {
  const x = new Float64Array(FEATURES.length)
  const set = (name: string, v: number) => { x[featureIndex(name)] = v }
  const vs = history.vitalSet(now)
  const num = (v: number | null | undefined) => (v === null || v === undefined ? NaN : v)
  set('respiratory_rate', num(vs.respiratory_rate))
  set('spo2', num(vs.spo2))
  set('systolic_bp', num(vs.systolic_bp))
  set('pulse', num(vs.pulse))
  set('temperature', num(vs.temperature))
  set('on_oxygen', vs.on_oxygen === null || vs.on_oxygen === undefined ? NaN : vs.on_oxygen ? 1 : 0)
  const c = vs.consciousness
  set('alert', c === null || c === undefined ? NaN : c === 'A' ? 1 : 0)
  set('vpu', c === null || c === undefined ? NaN : c === 'A' || c === 'C' ? 0 : 1)
  set('spo2_scale2', history.spo2Scale === 2 ? 1 : 0)
  const a = age === undefined ? history.age : age
  set('age', a === null || !Number.isFinite(a) ? NaN : a)
  set('shock_index', num(vs.pulse) / num(vs.systolic_bp))
  set('news2', news2(vs).score)
  for (const [p, windows] of TRENDED) {
    const list = history.readings(p, now)
    for (const m of windows) set(`${p}_delta_${m}m`, delta(list, now, m))
  }
  for (const p of MISSABLE) {
    const v = p === 'on_oxygen' ? vs.on_oxygen : vs[p]
    set(`${p}_missing`, v === null || v === undefined ? 1 : 0)
  }
  set('age_missing', Number.isNaN(x[featureIndex('age')]!) ? 1 : 0)
  let oldest = Infinity
  for (const p of MISSABLE) {
    const first = history.readings(p, now)[0]
    if (first && first.t >= now - KEEP_MS) oldest = Math.min(oldest, first.t)
  }
  const span = now - oldest
  set('trend_5m_missing', span >= 5 * MIN - HALF_WINDOW_MS ? 0 : 1)
  set('trend_15m_missing', span >= 15 * MIN - HALF_WINDOW_MS ? 0 : 1)
  return x
}

/**
 * The model's input row: missing values imputed as the manifest says, then (x − mean) / std.
 * `features` are the manifest's, in the same order as `raw`.
 */
export function normalize(raw: ArrayLike<number>, features: readonly Pick<ModelFeature, 'mean' | 'std' | 'impute'>[]): Float32Array {
  if (raw.length !== features.length) throw new Error(`expected ${features.length} features, got ${raw.length}`)
  const z = new Float32Array(raw.length)
  for (let i = 0; i < raw.length; i++) {
    const spec = features[i]!
    const v = raw[i]!
    z[i] = ((Number.isFinite(v) ? v : spec.impute) - spec.mean) / spec.std
  }
  return z
}
