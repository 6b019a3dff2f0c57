// Scenarios: how a patient's hidden severity evolves and how it shows in each vital sign.
// Severity s ∈ [0, 1] is the ground truth; acuity is read from it, never from NEWS2, so that
// scores can be judged against it.
import type { Acvpu, TriageLevel } from '@neva/contracts'

/** The demo's scenarios. */
export const SCENARIOS = ['stable', 'sepsis', 'haemorrhage', 'respiratory'] as const
/** Extra scenarios for training cohorts: cases where one NEWS2 reading misleads. */
export const COHORT_SCENARIOS = [...SCENARIOS, 'compensated_haemorrhage', 'copd_stable', 'copd_exacerbation'] as const
export type ScenarioName = (typeof COHORT_SCENARIOS)[number]

export interface Baseline {
  heart_rate: number
  respiratory_rate: number
  systolic: number
  diastolic: number
  spo2: number
  temperature: number
}

export interface Effects {
  heart_rate: number
  respiratory_rate: number
  systolic: number
  diastolic: number
  spo2: number
  temperature: number
  /** ACVPU at this severity. */
  consciousness: Acvpu
  /** Crew starts oxygen when saturation falls (L/min, 0 = air). */
  o2_flow: number
}

export interface Scenario {
  name: ScenarioName
  /**
   * Severity at t seconds after the start, given the patient's onset and course durations;
   * `peak` (when given) is where the course plateaus instead of the scenario's own maximum.
   */
  severity(t: number, onset: number, course: number, peak?: number): number
  effects(s: number): Effects
}

const ramp = (t: number, onset: number, course: number) => Math.min(1, Math.max(0, (t - onset) / course))
// Smoothstep: deterioration starts slowly, accelerates, then plateaus.
const smooth = (x: number) => x * x * (3 - 2 * x)

export const SCENARIO_TABLE: Record<ScenarioName, Scenario> = {
  stable: {
    name: 'stable',
    severity: () => 0.05,
    effects: () => ({ heart_rate: 0, respiratory_rate: 0, systolic: 0, diastolic: 0, spo2: 0, temperature: 0, consciousness: 'A', o2_flow: 0 }),
  },
  sepsis: {
    name: 'sepsis',
    severity: (t, onset, course, peak = 1) => 0.1 + (peak - 0.1) * smooth(ramp(t, onset, course)),
    effects: (s) => ({
      heart_rate: 55 * s,
      respiratory_rate: 15 * s,
      systolic: -48 * s,
      diastolic: -28 * s,
      spo2: -9 * s,
      temperature: 2.6 * s,
      consciousness: s > 0.8 ? 'C' : 'A',
      o2_flow: s > 0.55 ? 4 : 0,
    }),
  },
  haemorrhage: {
    name: 'haemorrhage',
    severity: (t, onset, course, peak = 1) => 0.15 + (peak - 0.15) * smooth(ramp(t, onset, course)),
    effects: (s) => ({
      heart_rate: 65 * s,
      respiratory_rate: 11 * s,
      systolic: -62 * s,
      diastolic: -35 * s,
      spo2: -4 * s,
      temperature: -1.0 * s,
      consciousness: s > 0.85 ? 'V' : s > 0.7 ? 'C' : 'A',
      o2_flow: s > 0.5 ? 6 : 0,
    }),
  },
  respiratory: {
    name: 'respiratory',
    severity: (t, onset, course, peak = 0.9) => 0.1 + (peak - 0.1) * smooth(ramp(t, onset, course)),
    effects: (s) => ({
      heart_rate: 30 * s,
      respiratory_rate: 18 * s,
      systolic: 10 * s,
      diastolic: 6 * s,
      spo2: -14 * s,
      temperature: 0.6 * s,
      consciousness: s > 0.85 ? 'C' : 'A',
      o2_flow: s > 0.4 ? 2 : 0,
    }),
  },
  // The young compensate: the pulse climbs early, the blood pressure holds until late.
  compensated_haemorrhage: {
    name: 'compensated_haemorrhage',
    severity: (t, onset, course, peak = 1) => 0.1 + (peak - 0.1) * smooth(ramp(t, onset, course)),
    effects: (s) => ({
      heart_rate: 72 * s,
      respiratory_rate: 7 * s,
      systolic: -8 * s - 160 * Math.max(0, s - 0.65),
      diastolic: 4 * s - 80 * Math.max(0, s - 0.65),
      spo2: -2 * s,
      temperature: -0.5 * s,
      consciousness: s > 0.9 ? 'C' : 'A',
      o2_flow: s > 0.75 ? 6 : 0,
    }),
  },
  // Chronic lung disease at its usual self: the abnormal baseline comes from the patient's
  // baseline (low SpO2, fast breathing, often on oxygen), not from an illness in progress.
  copd_stable: {
    name: 'copd_stable',
    severity: () => 0.15,
    effects: () => ({ heart_rate: 0, respiratory_rate: 0, systolic: 0, diastolic: 0, spo2: 0, temperature: 0, consciousness: 'A', o2_flow: 0 }),
  },
  copd_exacerbation: {
    name: 'copd_exacerbation',
    severity: (t, onset, course, peak = 0.95) => 0.15 + (peak - 0.15) * smooth(ramp(t, onset, course)),
    effects: (s) => ({
      heart_rate: 28 * s,
      respiratory_rate: 14 * s,
      systolic: 8 * s,
      diastolic: 4 * s,
      spo2: -10 * s,
      temperature: 0.5 * s,
      consciousness: s > 0.8 ? 'C' : 'A',
      o2_flow: 0,
    }),
  },
}

/** Ground-truth acuity from severity. */
export function acuity(severity: number): TriageLevel {
  if (severity >= 0.7) return 'red'
  if (severity >= 0.35) return 'yellow'
  return 'green'
}
