// neva triage's deterioration risk: each line's vitals (and age) become hourly observations of
// its patient (minutes since the patient's first line), scored by the pool's risk model. Too
// few of the six bedside vitals and the result says so; the level is then NEWS2's alone.
import type { VitalSet } from '@neva/triage'
import { acvpuToGcs, extractHourlyFeatures, HOURLY_FEATURES, type HourlyObservation, type TriagePool } from '@neva/edge'

const VITALS = ['pulse', 'respiratory_rate', 'systolic_bp', 'temperature', 'spo2', 'gcs'] as const
const PRESENT = HOURLY_FEATURES.findIndex((f) => f.name === 'vital_parameters_present')

export interface RiskResult {
  risk: number
  risk_model: string
  /** What the risk was computed from: the parameters seen for this patient so far, and age. */
  risk_inputs: string[]
  /** Set when the inputs are too sparse for the model's level to count. */
  sparse?: string
}

export class RiskHistories {
  private readonly patients = new Map<string, { start: number; obs: HourlyObservation[]; age: number | null }>()

  /** Observations of this line's patient including it, the minute the line is at, and the patient's age if ever given. */
  add(patientId: string | undefined, time: number, v: VitalSet, age: number | null): { obs: HourlyObservation[]; now: number; age: number | null } {
    let p = patientId ? this.patients.get(patientId) : undefined
    if (!p) {
      p = { start: time, obs: [], age: null }
      if (patientId) this.patients.set(patientId, p)
    }
    if (age !== null) p.age = age
    const minute = Math.max(0, (time - p.start) / 60_000)
    const push = (parameter: HourlyObservation['parameter'], value: number | null | undefined) => {
      if (value !== null && value !== undefined && Number.isFinite(value)) p.obs.push({ minute, parameter, value })
    }
    push('pulse', v.pulse)
    push('respiratory_rate', v.respiratory_rate)
    push('systolic_bp', v.systolic_bp)
    push('temperature', v.temperature)
    push('spo2', v.spo2)
    if (v.consciousness) push('gcs', acvpuToGcs(v.consciousness))
    // Trained on ventilation as the oxygen signal (set A has no oxygen flag): on oxygen counts as it.
    if (v.on_oxygen !== null && v.on_oxygen !== undefined) push('ventilated', v.on_oxygen ? 1 : 0)
    return { obs: p.obs, now: minute, age: p.age }
  }
}

export async function scoreRisk(pool: TriagePool, obs: HourlyObservation[], now: number, age: number | null): Promise<RiskResult | null> {
  const manifest = pool.currentRisk()
  if (!manifest) return null
  const raw = extractHourlyFeatures(obs, now, age)
  const out = await pool.risk(Float32Array.from(raw), 1)
  if (!out) return null
  const seen = new Set(obs.filter((o) => o.minute <= now).map((o) => o.parameter))
  const inputs: string[] = [...seen].sort()
  if (age !== null) inputs.push('age')
  const present = raw[PRESENT]!
  const result: RiskResult = { risk: Math.round(out.risk[0]! * 1e4) / 1e4, risk_model: `${out.manifest.id}@${out.manifest.version}`, risk_inputs: inputs }
  if (present < out.manifest.min_vitals) {
    const have = VITALS.filter((p) => seen.has(p))
    result.sparse = `only ${present} of the 6 bedside vitals (${have.join(', ') || 'none'}); the model needs ${out.manifest.min_vitals}: the level is NEWS2's`
  }
  return result
}
