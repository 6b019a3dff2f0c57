// From a simulated cohort to labelled samples: each assessment of each patient becomes one row
// of raw features (as the gateway would extract them at that moment), its NEWS2 level on the
// latest values, and the ground-truth acuity from the hidden severity.
import { TRIAGE_LEVELS, type TriageLevel } from '@neva/contracts'
import { FEATURES, PatientHistory, extractFeatures, news2 } from '@neva/triage'
import { generateCohort, type CohortOptions, type ScenarioName } from '@neva/simulators'

export interface Dataset {
  /** Raw features, row-major N × F; NaN where missing. */
  raw: Float64Array
  /** Ground truth, index in TRIAGE_LEVELS. */
  label: Uint8Array
  /** NEWS2 level of the same moment, index in TRIAGE_LEVELS. */
  news2Level: Uint8Array
  news2Score: Uint8Array
  scenario: ScenarioName[]
  patients: number
  n: number
}

export const levelIndex = (level: TriageLevel): number => TRIAGE_LEVELS.indexOf(level)

export function buildDataset(options: CohortOptions): Dataset {
  const cohort = generateCohort(options)
  const F = FEATURES.length
  const rows: Float64Array[] = []
  const label: number[] = []
  const level: number[] = []
  const score: number[] = []
  const scenario: ScenarioName[] = []
  for (const patient of cohort) {
    const history = new PatientHistory()
    history.spo2Scale = patient.spo2Scale
    history.age = patient.age
    let next = 0
    for (const a of patient.assessments) {
      while (next < patient.readings.length && patient.readings[next]!.t <= a.t) {
        const r = patient.readings[next++]!
        history.add(r.parameter, r.value, r.t)
      }
      rows.push(extractFeatures(history, a.t))
      const n2 = news2(history.vitalSet(a.t))
      label.push(levelIndex(a.acuity))
      level.push(levelIndex(n2.level))
      score.push(n2.score)
      scenario.push(patient.scenario)
    }
  }
  const raw = new Float64Array(rows.length * F)
  rows.forEach((row, i) => raw.set(row, i * F))
  return {
    raw,
    label: Uint8Array.from(label),
    news2Level: Uint8Array.from(level),
    news2Score: Uint8Array.from(score),
    scenario,
    patients: cohort.length,
    n: rows.length,
  }
}
