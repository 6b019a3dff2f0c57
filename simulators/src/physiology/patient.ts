// A simulated patient: deterministic from its seed; vitals follow the scenario with
// autocorrelated noise, so trends look like monitors show them.
import type { Acvpu, TriageLevel } from '@neva/contracts'
import { gaussian, seededRandom } from './random.js'
import { SCENARIO_TABLE, acuity, type Baseline, type ScenarioName } from './scenarios.js'

export interface PatientSpec {
  id: string
  scenario: ScenarioName
  seed: number | string
  /** Seconds of simulated time before deterioration starts. Default 60. */
  onsetS?: number
  /** Seconds from onset to the full picture. Default 600. */
  courseS?: number
  /** Severity where the course plateaus; default the scenario's own maximum. */
  peak?: number
  /** Overrides of the drawn baseline (chronic disease, age). */
  baseline?: Partial<Baseline>
  /** Multipliers of the scenario's effects per vital (blunted responses: age, beta-blockers). */
  gain?: Partial<Record<keyof Baseline, number>>
  /** Oxygen the patient is always on (L/min), e.g. home oxygen. */
  o2FlowL?: number
}

type Defaulted = 'onsetS' | 'courseS'

export interface VitalSample {
  /** Simulated seconds since the start. */
  t: number
  heart_rate: number
  pulse_rate: number
  respiratory_rate: number
  spo2: number
  nibp_systolic: number
  nibp_diastolic: number
  nibp_mean: number
  temperature: number
  consciousness: Acvpu
  o2_flow: number
  /** Ground truth. */
  severity: number
  acuity: TriageLevel
}

const NOISE_SD: Record<keyof Baseline, number> = {
  heart_rate: 2.5,
  respiratory_rate: 1.0,
  systolic: 3,
  diastolic: 2,
  spo2: 0.6,
  temperature: 0.05,
}

/** AR(1) noise coefficient per second: memory of a few tens of seconds. */
const PHI = 0.93

export class SimulatedPatient {
  readonly spec: PatientSpec & Required<Pick<PatientSpec, Defaulted>>
  readonly baseline: Baseline
  private readonly random: () => number
  private readonly noise: Record<keyof Baseline, number>
  private t = 0

  constructor(spec: PatientSpec) {
    this.spec = { onsetS: 60, courseS: 600, ...spec }
    this.random = seededRandom(`${spec.seed}:${spec.id}`)
    const r = () => this.random()
    this.baseline = {
      heart_rate: 68 + 14 * r(),
      respiratory_rate: 13 + 4 * r(),
      systolic: 118 + 18 * r(),
      diastolic: 70 + 10 * r(),
      spo2: 96.5 + 2 * r(),
      temperature: 36.5 + 0.6 * r(),
    }
    Object.assign(this.baseline, spec.baseline)
    this.noise = { heart_rate: 0, respiratory_rate: 0, systolic: 0, diastolic: 0, spo2: 0, temperature: 0 }
  }

  /** Advances by `dt` simulated seconds and returns the vitals at the new time. */
  step(dt: number): VitalSample {
    this.t += dt
    const decay = PHI ** dt
    for (const k of Object.keys(this.noise) as Array<keyof Baseline>) {
      this.noise[k] = decay * this.noise[k] + Math.sqrt(1 - decay * decay) * NOISE_SD[k] * gaussian(this.random)
    }
    const scenario = SCENARIO_TABLE[this.spec.scenario]
    const s = scenario.severity(this.t, this.spec.onsetS, this.spec.courseS, this.spec.peak)
    const e = scenario.effects(s)
    const gain = this.spec.gain
    if (gain) for (const k of Object.keys(gain) as Array<keyof Baseline>) e[k] *= gain[k] ?? 1
    const b = this.baseline
    const n = this.noise
    const hr = b.heart_rate + e.heart_rate + n.heart_rate
    const sys = b.systolic + e.systolic + n.systolic
    const dia = Math.min(sys - 15, b.diastolic + e.diastolic + n.diastolic)
    // Oxygen lifts saturation by a few points; the underlying problem still shows.
    const spo2 = Math.min(100, b.spo2 + e.spo2 + n.spo2 + (e.o2_flow > 0 ? 2 : 0))
    return {
      t: this.t,
      heart_rate: round(hr, 0),
      pulse_rate: round(hr + 0.7 * gaussian(this.random), 0),
      respiratory_rate: round(b.respiratory_rate + e.respiratory_rate + n.respiratory_rate, 0),
      spo2: round(spo2, 0),
      nibp_systolic: round(sys, 0),
      nibp_diastolic: round(dia, 0),
      nibp_mean: round((sys + 2 * dia) / 3, 0),
      temperature: round(b.temperature + e.temperature + n.temperature, 1),
      consciousness: e.consciousness,
      o2_flow: Math.max(e.o2_flow, this.spec.o2FlowL ?? 0),
      severity: s,
      acuity: acuity(s),
    }
  }
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals
  return Math.round(x * f) / f
}
