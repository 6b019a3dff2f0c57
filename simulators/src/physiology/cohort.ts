// Seeded training and evaluation cohorts for the triage model: many patients across scenarios,
// with ages and age effects, varied onsets, courses and peaks, realistic measurement schedules
// and gaps. Ground truth is the hidden severity at each assessment time, never NEWS2.
import type { Acvpu, News2Parameter, TriageLevel } from '@neva/contracts'
import { SimulatedPatient, type PatientSpec } from './patient.js'
import { seededRandom } from './random.js'
import { acuity, type Baseline, type ScenarioName } from './scenarios.js'

export interface CohortOptions {
  seed: number | string
  patients: number
  /** Minutes each patient is observed. Default 60. */
  durationMin?: number
  /** Minutes between assessments (labelled samples). Default 5. */
  assessEveryMin?: number
}

export interface CohortReading {
  /** Milliseconds since the patient's first minute. */
  t: number
  parameter: News2Parameter
  value: number | boolean | Acvpu
}

export interface CohortAssessment {
  t: number
  severity: number
  acuity: TriageLevel
}

export interface CohortPatient {
  id: string
  scenario: ScenarioName
  /** Age as recorded; null when the crew does not know it. */
  age: number | null
  spo2Scale: 1 | 2
  readings: CohortReading[]
  assessments: CohortAssessment[]
}

/** Scenario mix (weights) and age range of each. */
const MIX: ReadonlyArray<readonly [ScenarioName, number, number, number]> = [
  ['stable', 0.24, 18, 95],
  ['sepsis', 0.15, 18, 95],
  ['haemorrhage', 0.08, 18, 95],
  ['respiratory', 0.12, 18, 95],
  ['compensated_haemorrhage', 0.13, 18, 40],
  ['copd_stable', 0.16, 55, 92],
  ['copd_exacerbation', 0.12, 55, 92],
]

const clamp01 = (x: number) => Math.min(1, Math.max(0, x))

function pickScenario(r: number): readonly [ScenarioName, number, number, number] {
  let acc = 0
  for (const row of MIX) {
    acc += row[1]
    if (r < acc) return row
  }
  return MIX[0]!
}

/** One patient's hidden make-up: scenario, age, baseline, response gains, schedules. */
function design(seed: string, index: number) {
  const r = seededRandom(`${seed}:design:${index}`)
  const [scenario, , minAge, maxAge] = pickScenario(r())
  const age = Math.round(minAge + (maxAge - minAge) * r())
  const old = clamp01((age - 40) / 55)
  const baseline: Partial<Baseline> = {
    systolic: 112 + 0.35 * (age - 18) + 16 * r(),
    heart_rate: 70 + 14 * r() - 6 * old,
    spo2: 97.5 + 1.5 * r() - 2 * old,
  }
  // Everyone answers illness a little differently; the old blunt their pulse and fever.
  const vary = () => 0.65 + 0.7 * r()
  const gain: Partial<Record<keyof Baseline, number>> = {
    heart_rate: vary() * (1 - 0.45 * old),
    respiratory_rate: vary(),
    systolic: vary(),
    diastolic: 1,
    spo2: vary(),
    temperature: vary() * (1 - 0.5 * old),
  }
  if (age > 55 && r() < 0.3) gain.heart_rate! *= 0.4 // beta-blocked
  let spo2Scale: 1 | 2 = 1
  let o2FlowL = 0
  if (scenario === 'copd_stable' || scenario === 'copd_exacerbation') {
    baseline.spo2 = 86.5 + 5 * r()
    baseline.respiratory_rate = 18 + 6 * r()
    baseline.heart_rate = 78 + 18 * r()
    if (r() < 0.5) spo2Scale = 2
    if (r() < 0.5) o2FlowL = 1 + Math.round(r())
  }
  const deteriorating = scenario !== 'stable' && scenario !== 'copd_stable'
  const spec: Omit<PatientSpec, 'id' | 'seed'> = {
    scenario,
    onsetS: Math.round(60 * 40 * r()),
    courseS: Math.round(60 * (10 + 45 * r())),
    // Not every illness goes all the way: many plateau at yellow, some never leave green.
    ...(deteriorating ? { peak: 0.3 + 0.7 * r() } : {}),
    baseline,
    gain,
    o2FlowL,
  }
  const schedule = {
    rrContinuous: r() < 0.85,
    nibpEveryMin: [3, 5, 5, 10, 15][Math.floor(r() * 5)]!,
    tempEveryMin: r() < 0.1 ? Infinity : 15 + Math.floor(r() * 16),
    ageKnown: r() < 0.9,
    dropout: 0.02,
  }
  return { scenario, age, spec, spo2Scale, schedule }
}

export function generateCohort(options: CohortOptions): CohortPatient[] {
  const seed = String(options.seed)
  const duration = options.durationMin ?? 60
  const every = options.assessEveryMin ?? 5
  const out: CohortPatient[] = []
  for (let i = 0; i < options.patients; i++) {
    const d = design(seed, i)
    const id = `c${i}`
    const sim = new SimulatedPatient({ id, seed: `${seed}:patient:${i}`, ...d.spec })
    const r = seededRandom(`${seed}:schedule:${i}`)
    const nibpDue = (minute: number) => minute % d.schedule.nibpEveryMin === 0
    const tempPhase = Math.floor(r() * 15)
    const readings: CohortReading[] = []
    const assessments: CohortAssessment[] = []
    for (let minute = 0; minute < duration; minute++) {
      const v = sim.step(60)
      const t = minute * 60_000
      const put = (parameter: News2Parameter, value: CohortReading['value']) => {
        if (r() >= d.schedule.dropout) readings.push({ t, parameter, value })
      }
      put('pulse', v.pulse_rate)
      put('spo2', v.spo2)
      put('on_oxygen', v.o2_flow > 0)
      if (d.schedule.rrContinuous || minute % 15 === 0) put('respiratory_rate', v.respiratory_rate)
      if (nibpDue(minute)) put('systolic_bp', v.nibp_systolic)
      if (Number.isFinite(d.schedule.tempEveryMin) && (minute - tempPhase) % d.schedule.tempEveryMin === 0) put('temperature', v.temperature)
      if (minute % 5 === 0) put('consciousness', v.consciousness)
      if ((minute + 1) % every === 0) assessments.push({ t, severity: v.severity, acuity: acuity(v.severity) })
    }
    out.push({ id, scenario: d.scenario, age: d.schedule.ageKnown ? d.age : null, spo2Scale: d.spo2Scale, readings, assessments })
  }
  return out
}
