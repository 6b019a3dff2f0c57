// Single-snapshot triage (an emergency visit: age and any subset of the vitals, one line) scored
// as `neva triage` scores it, against an outcome: AUROC of model.risk against NEWS2's score, and
// how many patients without the event each level flags. Also makes such lines from set A (each
// stay's first recorded vitals) and picks the risk thresholds that may raise NEWS2's level.
import { VITALS, type TriageLevel } from '@neva/contracts'
import { calibrate, extractHourlyFeatures, gcsToAcvpu, HOURLY_FEATURES, levelWithRisk, news2, type Calibration, type RiskEscalation } from '@neva/triage'
import { parseLine } from '../commands/triage.js'
import { RiskHistories } from '../commands/triage-risk.js'
import { auroc } from './binary-metrics.js'
import { snapshotObservations, type Stay } from './physionet2012.js'

const PRESENT = HOURLY_FEATURES.findIndex((f) => f.name === 'vital_parameters_present')
/** The false flags the escalation may add, per this many visits (issue 15's emergency set has ~1,300). */
export const VISITS = 1300

const RANGE = { pulse: VITALS.pulse_rate, respiratory_rate: VITALS.respiratory_rate, systolic_bp: VITALS.nibp_systolic, temperature: VITALS.temperature, spo2: VITALS.spo2 }

/**
 * A stay's first recorded bedside vitals as one `neva triage` line with its outcome (in-hospital
 * death). SpO2 is left out unless kept (emergency visits often lack it; set A's is arterial);
 * an age or value outside the plausible range is left out, as `neva triage` would refuse the line.
 */
export function staySnapshotLine(stay: Stay, outcome: 0 | 1, keepSpo2 = false): Record<string, unknown> {
  const line: Record<string, unknown> = { patient_id: stay.recordId }
  // 55 stays of set A record Age 200: not an age neva triage accepts, so it is missing.
  const age = stay.descriptors.Age
  if (age !== undefined && age >= 0 && age <= 130) line.age = age
  for (const o of snapshotObservations(stay)) {
    if (o.parameter === 'gcs') line.consciousness = gcsToAcvpu(o.value)
    else if (o.parameter === 'ventilated') line.on_oxygen = o.value > 0
    else if (o.parameter in RANGE && (o.parameter !== 'spo2' || keepSpo2)) {
      const r = RANGE[o.parameter as keyof typeof RANGE]
      if (o.value >= r.min && o.value <= r.max) line[o.parameter] = o.value
    }
  }
  line.outcome = outcome
  return line
}

export interface SnapshotCase {
  line: number
  outcome: 0 | 1
  news2Score: number
  news2Level: TriageLevel
  /** Raw hourly features, as neva triage computes them from this one line. */
  features: Float64Array
  vitalsPresent: number
}

/** Parses NDJSON snapshot lines (neva triage keys plus `outcome` 0/1 or true/false); each line is its own patient. */
export function parseSnapshots(text: string): { cases: SnapshotCase[]; errors: Array<{ line: number; error: string }> } {
  const cases: SnapshotCase[] = []
  const errors: Array<{ line: number; error: string }> = []
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return
    let obj: unknown
    try {
      obj = JSON.parse(raw)
    } catch (err) {
      errors.push({ line: i + 1, error: `invalid JSON: ${(err as Error).message}` })
      return
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return void errors.push({ line: i + 1, error: 'expected a JSON object' })
    const { outcome, ...rest } = obj as Record<string, unknown>
    if (outcome !== 0 && outcome !== 1 && typeof outcome !== 'boolean') return void errors.push({ line: i + 1, error: `outcome: expected 0/1 or true/false, got ${JSON.stringify(outcome)}` })
    const parsed = parseLine(JSON.stringify({ ...rest, time: 0 }))
    if ('error' in parsed) return void errors.push({ line: i + 1, error: parsed.error })
    const { obs, now, age } = new RiskHistories().add(undefined, 0, parsed.vitals, parsed.age)
    const features = extractHourlyFeatures(obs, now, age)
    const score = news2(parsed.vitals)
    cases.push({ line: i + 1, outcome: outcome === true || outcome === 1 ? 1 : 0, news2Score: score.score, news2Level: score.level, features, vitalsPresent: features[PRESENT]! })
  })
  return { cases, errors }
}

/** Row-major features of the cases, for the ONNX graph. */
export function caseMatrix(cases: readonly SnapshotCase[]): Float32Array {
  const F = HOURLY_FEATURES.length
  const x = new Float32Array(cases.length * F)
  cases.forEach((c, i) => x.set(c.features, i * F))
  return x
}

/** model.risk as neva triage prints it (calibrated, 4 decimals). */
export const reportedRisk = (raw: number, c: Pick<Calibration, 'x' | 'y'>) => Math.round(calibrate(raw, c) * 1e4) / 1e4

const RANK: Record<TriageLevel, number> = { green: 0, yellow: 1, red: 2 }

export interface Flags {
  /** Patients at yellow or above, and at red, with and without the event. */
  flagged: { events: number; nonEvents: number }
  red: { events: number; nonEvents: number }
}

export interface SnapshotSummary {
  n: number
  events: number
  sparse: number
  risk_auroc: number
  news2_auroc: number
  news2: Flags
  final: Flags
  /** Final flags without the event beyond NEWS2's, and that per VISITS visits. */
  extra_false_flags: number
  extra_false_flags_per_1300: number
}

/** The figures for risks `risk` (as reported) under `escalation`; sparse below `minVitals`. */
export function summarize(cases: readonly SnapshotCase[], risk: ArrayLike<number>, escalation: RiskEscalation | null | undefined, minVitals: number): SnapshotSummary {
  const label = cases.map((c) => c.outcome)
  const count = (level: (c: SnapshotCase, i: number) => TriageLevel): Flags => {
    const f: Flags = { flagged: { events: 0, nonEvents: 0 }, red: { events: 0, nonEvents: 0 } }
    cases.forEach((c, i) => {
      const l = level(c, i)
      const key = c.outcome ? 'events' : 'nonEvents'
      if (RANK[l] >= 1) f.flagged[key]++
      if (l === 'red') f.red[key]++
    })
    return f
  }
  const sparse = (c: SnapshotCase) => (c.vitalsPresent < minVitals ? 'sparse' : undefined)
  const news2Flags = count((c) => c.news2Level)
  const finalFlags = count((c, i) => levelWithRisk(c.news2Level, { risk: risk[i]!, sparse: sparse(c) }, escalation))
  const extra = finalFlags.flagged.nonEvents - news2Flags.flagged.nonEvents
  return {
    n: cases.length, events: label.reduce((a, b) => a + b, 0 as number), sparse: cases.filter(sparse).length,
    risk_auroc: auroc({ score: risk, positive: label }), news2_auroc: auroc({ score: cases.map((c) => c.news2Score), positive: label }),
    news2: news2Flags, final: finalFlags, extra_false_flags: extra, extra_false_flags_per_1300: cases.length ? (extra * VISITS) / cases.length : 0,
  }
}

/**
 * The lowest risks that raise NEWS2's level while adding at most `budget` flags (per VISITS
 * visits) among patients without the event: yellow counted over those NEWS2 leaves green, red
 * over those it leaves below red. Sparse cases never escalate and do not count. Null: no risk is
 * high enough.
 */
export function chooseEscalation(cases: readonly SnapshotCase[], risk: ArrayLike<number>, minVitals: number, budget: number): RiskEscalation {
  const allowed = Math.floor((budget * cases.length) / VISITS)
  const pick = (below: TriageLevel): number | null => {
    const dense = cases.map((c, i) => ({ c, r: risk[i]! })).filter(({ c, r }) => c.vitalsPresent >= minVitals && Number.isFinite(r))
    const candidates = [...new Set(dense.map((d) => d.r))].sort((a, b) => b - a)
    const falseAt = dense.filter(({ c }) => !c.outcome && RANK[c.news2Level] < RANK[below]).map((d) => d.r)
    let best: number | null = null
    for (const t of candidates) {
      if (falseAt.filter((r) => r >= t).length > allowed) break
      best = t
    }
    return best
  }
  const yellow = pick('yellow')
  const red = pick('red')
  return { yellow, red: red !== null && yellow !== null ? Math.max(red, yellow) : red }
}
