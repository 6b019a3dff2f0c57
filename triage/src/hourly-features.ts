// The deterioration model's features: hours of a stay (vitals, GCS, ventilation, labs), not the
// minutes the triage model looks at. A pure function of the observations up to `now`, shared by
// training, evaluation and the gateway. Missing is NaN, with explicit indicator columns, never 0.
import { news2, type VitalSet } from './news2.js'

/** Bump when HOURLY_FEATURES or their computation change: a model trained on another set is refused. */
export const HOURLY_FEATURE_SET = 'hourly-v1'

/** Parameters the model reads, in the units the gateway stores. */
export const HOURLY_PARAMETERS = [
  ['pulse', '/min'], ['respiratory_rate', '/min'], ['systolic_bp', 'mm[Hg]'], ['map', 'mm[Hg]'],
  ['temperature', 'Cel'], ['spo2', '%'], ['gcs', '1'], ['fio2', '1'], ['urine', 'mL'],
  ['lactate', 'mmol/L'], ['creatinine', 'mg/dL'], ['bun', 'mg/dL'], ['wbc', '10*3/uL'],
  ['platelets', '10*3/uL'], ['hco3', 'mmol/L'], ['ph', '[pH]'], ['pao2', 'mm[Hg]'], ['paco2', 'mm[Hg]'],
  ['potassium', 'mmol/L'], ['sodium', 'mmol/L'], ['glucose', 'mg/dL'], ['hct', '%'], ['bilirubin', 'mg/dL'],
] as const
export type HourlyParameter = (typeof HOURLY_PARAMETERS)[number][0] | 'ventilated'

export interface HourlyObservation {
  /** Minutes since admission (or since the first reading). */
  minute: number
  parameter: HourlyParameter
  value: number
}

export interface HourlyFeatureInfo { name: string; unit: string; description: string }

const HOUR = 60
const WINDOWS = [1, 6, 24] as const
const SPREAD_WINDOWS = [6, 24] as const
/** How long a vital stays "current" for NEWS2 when carried forward. */
const NEWS2_CARRY_MIN = 6 * HOUR

function buildFeatures(): HourlyFeatureInfo[] {
  const out: HourlyFeatureInfo[] = []
  const f = (name: string, unit: string, description: string) => out.push({ name, unit, description })
  for (const [p, unit] of HOURLY_PARAMETERS) {
    f(`${p}_latest`, unit, `latest ${p}`)
    for (const w of WINDOWS) {
      f(`${p}_min_${w}h`, unit, `lowest ${p} over the last ${w} h`)
      f(`${p}_max_${w}h`, unit, `highest ${p} over the last ${w} h`)
    }
    for (const w of SPREAD_WINDOWS) {
      f(`${p}_sd_${w}h`, unit, `standard deviation of ${p} over the last ${w} h (two readings or more)`)
      f(`${p}_trend_${w}h`, unit, `latest minus earliest ${p} within the last ${w} h (two readings or more)`)
    }
    f(`${p}_mean`, unit, `mean ${p} since admission`)
    f(`${p}_count`, '1', `readings of ${p} since admission`)
    f(`${p}_hours_since`, 'h', `hours since the latest ${p}`)
    f(`${p}_missing`, '1', `1 when ${p} was never recorded`)
  }
  f('age', 'a', 'age in years')
  f('age_missing', '1', '1 when the age is unknown')
  f('hours', 'h', 'time since admission (the first reading when admission is unknown)')
  f('ventilated_latest', '1', '1 when mechanically ventilated at the latest record (supplemental oxygen)')
  f('ventilated_ever', '1', '1 when ever recorded as ventilated')
  f('acvpu_alert', '1', '1 when the latest GCS is 15 (A of ACVPU)')
  f('acvpu_vpu_worst', '1', '1 when any GCS ≤ 12 (V, P or U)')
  f('urine_sum_24h', 'mL', 'urine output over the last 24 h')
  f('news2_latest', '1', 'NEWS2 from the latest values (each carried ≤ 6 h)')
  f('news2_worst', '1', 'worst NEWS2 since admission')
  f('news2_worst_24h', '1', 'worst NEWS2 over the last 24 h')
  f('missing_parameters', '1', 'parameters never recorded')
  f('vital_parameters_present', '1', 'of pulse, respiratory rate, systolic BP, temperature, SpO2, GCS: how many were recorded')
  return out
}

/** The features of HOURLY_FEATURE_SET, in the order of the model's input columns. */
export const HOURLY_FEATURES: readonly HourlyFeatureInfo[] = buildFeatures()

/** GCS to ACVPU: 15 alert, 13–14 new confusion, 9–12 voice, 4–8 pain, 3 unresponsive. */
export function gcsToAcvpu(gcs: number): 'A' | 'C' | 'V' | 'P' | 'U' {
  if (gcs >= 15) return 'A'
  if (gcs >= 13) return 'C'
  if (gcs >= 9) return 'V'
  if (gcs >= 4) return 'P'
  return 'U'
}

/** ACVPU back to a GCS (the middle of each band): how a bedside ACVPU reaches a model trained on GCS. */
export function acvpuToGcs(a: 'A' | 'C' | 'V' | 'P' | 'U'): number {
  return { A: 15, C: 14, V: 11, P: 6, U: 3 }[a]
}

type Series = { t: number[]; v: number[] }

function group(obs: readonly HourlyObservation[], now: number): Map<HourlyParameter, Series> {
  const by = new Map<HourlyParameter, Series>()
  const sorted = obs.filter((o) => o.minute <= now && Number.isFinite(o.value) && Number.isFinite(o.minute))
  sorted.sort((a, b) => a.minute - b.minute)
  for (const o of sorted) {
    let s = by.get(o.parameter)
    if (!s) by.set(o.parameter, (s = { t: [], v: [] }))
    s.t.push(o.minute)
    s.v.push(o.value)
  }
  return by
}

/** NEWS2 over time: at each reading, from the latest value of each vital within 6 h. */
function news2Series(by: Map<HourlyParameter, Series>): { t: number[]; score: number[] } {
  const vitals: HourlyParameter[] = ['pulse', 'respiratory_rate', 'systolic_bp', 'temperature', 'spo2', 'gcs', 'ventilated', 'fio2']
  const events: Array<[number, HourlyParameter, number]> = []
  for (const p of vitals) {
    const s = by.get(p)
    if (s) s.t.forEach((t, i) => events.push([t, p, s.v[i]!]))
  }
  events.sort((a, b) => a[0] - b[0])
  const last = new Map<HourlyParameter, [number, number]>()
  const t: number[] = []
  const score: number[] = []
  for (let i = 0; i < events.length; i++) {
    const [time, p, v] = events[i]!
    last.set(p, [time, v])
    if (i + 1 < events.length && events[i + 1]![0] === time) continue
    const get = (q: HourlyParameter) => {
      const x = last.get(q)
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
    t.push(time)
    score.push(news2(set).score)
  }
  return { t, score }
}

/**
 * The raw feature vector at `now` (minutes since admission), in HOURLY_FEATURES order, from the
 * observations recorded up to `now` (later ones are ignored). Missing values are NaN.
 */
export function extractHourlyFeatures(obs: readonly HourlyObservation[], now: number, age: number | null | undefined): Float64Array {
  const x = new Float64Array(HOURLY_FEATURES.length).fill(NaN)
  let k = 0
  const by = group(obs, now)
  let missing = 0
  for (const [p] of HOURLY_PARAMETERS) {
    const s = by.get(p)
    if (!s) {
      // Values stay NaN; only counts and the indicator are known.
      k += 1 + 2 * WINDOWS.length + 2 * SPREAD_WINDOWS.length + 1
      x[k++] = 0
      k++
      x[k++] = 1
      missing++
      continue
    }
    const n = s.t.length
    x[k++] = s.v[n - 1]!
    for (const w of WINDOWS) {
      let lo = Infinity, hi = -Infinity
      for (let i = n - 1; i >= 0 && s.t[i]! > now - w * HOUR; i--) { lo = Math.min(lo, s.v[i]!); hi = Math.max(hi, s.v[i]!) }
      x[k++] = Number.isFinite(lo) ? lo : NaN
      x[k++] = Number.isFinite(hi) ? hi : NaN
    }
    for (const w of SPREAD_WINDOWS) {
      let first = n
      while (first > 0 && s.t[first - 1]! > now - w * HOUR) first--
      const m = n - first
      if (m >= 2) {
        let sum = 0, sq = 0
        for (let i = first; i < n; i++) sum += s.v[i]!
        const mean = sum / m
        for (let i = first; i < n; i++) sq += (s.v[i]! - mean) ** 2
        x[k++] = Math.sqrt(sq / (m - 1))
        x[k++] = s.v[n - 1]! - s.v[first]!
      } else k += 2
    }
    x[k++] = s.v.reduce((a, b) => a + b, 0) / n
    x[k++] = n
    x[k++] = (now - s.t[n - 1]!) / HOUR
    x[k++] = 0
  }
  const vent = by.get('ventilated')
  const gcs = by.get('gcs')
  const urine = by.get('urine')
  const ns = news2Series(by)
  const validAge = age !== null && age !== undefined && Number.isFinite(age) && age >= 0
  x[k++] = validAge ? age : NaN
  x[k++] = validAge ? 0 : 1
  x[k++] = now / HOUR
  x[k++] = vent ? (vent.v[vent.v.length - 1]! > 0 ? 1 : 0) : NaN
  x[k++] = vent ? (vent.v.some((v) => v > 0) ? 1 : 0) : NaN
  x[k++] = gcs ? (gcs.v[gcs.v.length - 1]! >= 15 ? 1 : 0) : NaN
  x[k++] = gcs ? (gcs.v.some((v) => v <= 12) ? 1 : 0) : NaN
  x[k++] = urine ? urine.v.reduce((a, v, i) => (urine.t[i]! > now - 24 * HOUR ? a + v : a), 0) : NaN
  const nn = ns.score.length
  x[k++] = nn ? ns.score[nn - 1]! : NaN
  x[k++] = nn ? Math.max(...ns.score) : NaN
  let w24 = -Infinity
  for (let i = 0; i < nn; i++) if (ns.t[i]! > now - 24 * HOUR) w24 = Math.max(w24, ns.score[i]!)
  x[k++] = Number.isFinite(w24) ? w24 : NaN
  x[k++] = missing
  x[k++] = (['pulse', 'respiratory_rate', 'systolic_bp', 'temperature', 'spo2', 'gcs'] as const).filter((p) => by.has(p)).length
  if (k !== x.length) throw new Error(`hourly features: filled ${k} of ${x.length}`)
  return x
}

/** Worst NEWS2 over the observations up to `now`; NaN when no vital was recorded. */
export function worstNews2(obs: readonly HourlyObservation[], now: number): number {
  const s = news2Series(group(obs, now)).score
  return s.length ? Math.max(...s) : NaN
}
