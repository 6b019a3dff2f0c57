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
  const scaled = Math.round(Number(`${Math.abs(x)}e${decimals}`))
  return Math.sign(x) * Number(`${scaled}e-${decimals}`)
}

type Sub = 0 | 1 | 2 | 3

function respiration(rr: number): Sub {
  if (rr <= 8) return 3
  if (rr <= 11) return 1
  if (rr <= 20) return 0
  if (rr <= 24) return 2
  return 3
}

function spo2Scale1(s: number): Sub {
  if (s <= 91) return 3
  if (s <= 93) return 2
  if (s <= 95) return 1
  return 0
}

/** Scale 2: undefined when SpO2 ≥ 93 and whether the patient is on oxygen is unknown. */
function spo2Scale2(s: number, onOxygen: boolean | undefined): Sub | undefined {
  if (s <= 83) return 3
  if (s <= 85) return 2
  if (s <= 87) return 1
  if (s <= 92) return 0
  if (onOxygen === undefined) return undefined
  if (!onOxygen) return 0
  if (s <= 94) return 1
  if (s <= 96) return 2
  return 3
}

function systolic(sbp: number): Sub {
  if (sbp <= 90) return 3
  if (sbp <= 100) return 2
  if (sbp <= 110) return 1
  if (sbp <= 219) return 0
  return 3
}

function pulseScore(p: number): Sub {
  if (p <= 40) return 3
  if (p <= 50) return 1
  if (p <= 90) return 0
  if (p <= 110) return 1
  if (p <= 130) return 2
  return 3
}

function temperatureScore(t: number): Sub {
  if (t <= 35.0) return 3
  if (t <= 36.0) return 1
  if (t <= 38.0) return 0
  if (t <= 39.0) return 1
  return 2
}

const present = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null

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
    respiratory_rate: present(v.respiratory_rate) ? respiration(roundHalfAway(v.respiratory_rate)) : null,
    spo2: present(v.spo2)
      ? (scale === 1 ? spo2Scale1(roundHalfAway(v.spo2)) : (spo2Scale2(roundHalfAway(v.spo2), onOxygen) ?? null))
      : null,
    on_oxygen: onOxygen === undefined ? null : onOxygen ? 2 : 0,
    systolic_bp: present(v.systolic_bp) ? systolic(roundHalfAway(v.systolic_bp)) : null,
    pulse: present(v.pulse) ? pulseScore(roundHalfAway(v.pulse)) : null,
    consciousness: present(v.consciousness) ? (v.consciousness === 'A' ? 0 : 3) : null,
    temperature: present(v.temperature) ? temperatureScore(roundHalfAway(v.temperature, 1)) : null,
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
