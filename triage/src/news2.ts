// NEWS2 (Royal College of Physicians, 2017), scored exactly from the chart in shared/CLINICAL.md.
// A missing parameter stays missing (sub-score null, `partial: true`); it is never scored 0.
import { NEWS2_PARAMETERS, type Acvpu, type News2Parameter, type News2Result, type TriageLevel } from '@neva/contracts'

export interface VitalSet {
  respiratory_rate?: number | null
  spo2?: number | null
  /** 2 only for confirmed hypercapnic respiratory failure; a per-patient setting. */
  spo2_scale?: 1 | 2 | null
  on_oxygen?: boolean | null
  systolic_bp?: number | null
  pulse?: number | null
  consciousness?: Acvpu | null
  temperature?: number | null
}

/** Rounds halves away from zero at `decimals`, exactly on the decimal digits (36.05 → 36.1). */
export function roundHalfAway(x: number, decimals = 0): number {
  const digits = String(Math.abs(x))
  // Tiny or huge numbers print in exponent notation, where the decimal trick does not apply
  // (and where binary rounding error no longer matters).
  if (digits.includes('e')) return Math.sign(x) * (Math.round(Math.abs(x) * 10 ** decimals) / 10 ** decimals)
  const scaled = Math.round(Number(`${digits}e${decimals}`))
  return Math.sign(x) * Number(`${scaled}e-${decimals}`)
}

type Sub = 0 | 1 | 2 | 3
/** A row of the chart: values up to and including `upTo` score `score`. */
type Bands = ReadonlyArray<readonly [upTo: number, score: Sub]>

const band = (x: number, bands: Bands): Sub => bands.find(([upTo]) => x <= upTo)![1]

// The RCP chart, row by row (after rounding).
const RESPIRATION: Bands = [[8, 3], [11, 1], [20, 0], [24, 2], [Infinity, 3]]
const SPO2_SCALE_1: Bands = [[91, 3], [93, 2], [95, 1], [Infinity, 0]]
const SPO2_SCALE_2_BELOW_93: Bands = [[83, 3], [85, 2], [87, 1], [92, 0]]
const SPO2_SCALE_2_ON_OXYGEN: Bands = [[94, 1], [96, 2], [Infinity, 3]]
const SYSTOLIC: Bands = [[90, 3], [100, 2], [110, 1], [219, 0], [Infinity, 3]]
const PULSE: Bands = [[40, 3], [50, 1], [90, 0], [110, 1], [130, 2], [Infinity, 3]]
const TEMPERATURE: Bands = [[35.0, 3], [36.0, 1], [38.0, 0], [39.0, 1], [Infinity, 2]]

/** Scale 2: undefined when SpO2 ≥ 93 and whether the patient is on oxygen is unknown. */
function spo2Scale2(s: number, onOxygen: boolean | undefined): Sub | undefined {
  if (s <= 92) return band(s, SPO2_SCALE_2_BELOW_93)
  if (onOxygen === undefined) return undefined
  return onOxygen ? band(s, SPO2_SCALE_2_ON_OXYGEN) : 0
}

// NaN or ±Infinity is no measurement: missing, like null.
const present = <T>(v: T | null | undefined): v is T =>
  v !== undefined && v !== null && !(typeof v === 'number' && !Number.isFinite(v))

/** Neva's triage floor: red ≥ 7; yellow 5–6 or any single parameter scoring 3; else green. */
export function news2Level(score: number, subscores: Iterable<number | null>): TriageLevel {
  if (score >= 7) return 'red'
  if (score >= 5) return 'yellow'
  for (const s of subscores) if (s === 3) return 'yellow'
  return 'green'
}

export function news2(v: VitalSet): News2Result {
  const scale = v.spo2_scale === 2 ? 2 : 1
  const onOxygen = present(v.on_oxygen) ? v.on_oxygen : undefined
  const sub: Record<News2Parameter, number | null> = {
    respiratory_rate: present(v.respiratory_rate) ? band(roundHalfAway(v.respiratory_rate), RESPIRATION) : null,
    spo2: present(v.spo2)
      ? (scale === 1 ? band(roundHalfAway(v.spo2), SPO2_SCALE_1) : (spo2Scale2(roundHalfAway(v.spo2), onOxygen) ?? null))
      : null,
    on_oxygen: onOxygen === undefined ? null : onOxygen ? 2 : 0,
    systolic_bp: present(v.systolic_bp) ? band(roundHalfAway(v.systolic_bp), SYSTOLIC) : null,
    pulse: present(v.pulse) ? band(roundHalfAway(v.pulse), PULSE) : null,
    consciousness: present(v.consciousness) ? (v.consciousness === 'A' ? 0 : 3) : null,
    temperature: present(v.temperature) ? band(roundHalfAway(v.temperature, 1), TEMPERATURE) : null,
  }
  const missing = NEWS2_PARAMETERS.filter((p) => {
    const raw = p === 'on_oxygen' ? onOxygen : v[p]
    return !present(raw)
  })
  let score = 0
  for (const p of NEWS2_PARAMETERS) score += sub[p] ?? 0
  const partial = NEWS2_PARAMETERS.some((p) => sub[p] === null)
  return { score, partial, subscores: sub, missing, level: news2Level(score, Object.values(sub)), spo2_scale: scale }
}
