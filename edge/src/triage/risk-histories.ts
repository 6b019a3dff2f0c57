// The deterioration model's side of the live stage: one HourlyHistory per patient, fed with the
// observations and the lab results (GCS, SaO2, urine and the labs reach the gateway as lab
// results) that the model reads. Bounded: a patient silent for 48 h is dropped, and beyond
// `maxPatients` the longest silent one goes first. Hours count from the patient's first reading
// here (admission is not known to the gateway); age is not known either (age_missing = 1).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ACVPU, type LabResult } from '@neva/contracts'
import { acvpuToGcs, HISTORY_HOURS, HOURLY_FEATURES, HourlyHistory, UNRELIABLE, type HourlyParameter } from '@neva/triage'
import type { ScoredObservation } from './triage-stage.js'

const MINUTE = 60_000
const SILENT_MS = HISTORY_HOURS * 3_600_000
export const DEFAULT_MAX_RISK_PATIENTS = 5000

/** Observations the model reads; fio2 is stored in % and read as a fraction. */
const FROM_VITAL: Partial<Record<ScoredObservation['name'], HourlyParameter>> = {
  heart_rate: 'pulse', pulse_rate: 'pulse', respiratory_rate: 'respiratory_rate',
  nibp_systolic: 'systolic_bp', art_systolic: 'systolic_bp', nibp_mean: 'map', art_mean: 'map',
  temperature: 'temperature', spo2: 'spo2', fio2: 'fio2', consciousness: 'gcs', o2_flow: 'ventilated',
}

/**
 * Lab results the model reads, by LOINC, with the units it was trained on: a result in another
 * unit is not converted here, it is left out (missing, never a wrong number). SaO2 feeds the
 * saturation series as in training (set A records SaO2 there).
 */
const FROM_LAB: Record<string, { parameter: HourlyParameter; units: readonly string[] }> = {
  '9269-2': { parameter: 'gcs', units: ['{score}', '1', ''] },
  '2708-6': { parameter: 'spo2', units: ['%'] },
  '9187-6': { parameter: 'urine', units: ['mL'] },
  '2524-7': { parameter: 'lactate', units: ['mmol/L'] },
  '2160-0': { parameter: 'creatinine', units: ['mg/dL'] },
  '3094-0': { parameter: 'bun', units: ['mg/dL'] },
  '6690-2': { parameter: 'wbc', units: ['10*3/uL'] },
  '777-3': { parameter: 'platelets', units: ['10*3/uL'] },
  '1963-8': { parameter: 'hco3', units: ['mmol/L'] },
  '2744-1': { parameter: 'ph', units: ['[pH]', ''] },
  '2703-7': { parameter: 'pao2', units: ['mm[Hg]'] },
  '2019-8': { parameter: 'paco2', units: ['mm[Hg]'] },
  '2823-3': { parameter: 'potassium', units: ['mmol/L'] },
  '2951-2': { parameter: 'sodium', units: ['mmol/L'] },
  '2345-7': { parameter: 'glucose', units: ['mg/dL'] },
  '4544-3': { parameter: 'hct', units: ['%'] },
  '1975-2': { parameter: 'bilirubin', units: ['mg/dL'] },
}

export type RiskLab = Pick<LabResult, 'patient_id' | 'loinc' | 'numeric_value' | 'unit' | 'result_time' | 'received_time'>

/** An observation as the model reads it; null when it reads none (or the device marked it unreliable). */
export function hourlyOfObservation(o: ScoredObservation): { parameter: HourlyParameter; value: number; time: number } | null {
  const parameter = FROM_VITAL[o.name]
  // A text or coded reading (value_text) has no number: the model reads none from it.
  if (!parameter || o.value === undefined || !Number.isFinite(o.value) || o.flags.some((f) => UNRELIABLE.has(f))) return null
  let value: number = o.value
  if (parameter === 'gcs') {
    const letter = ACVPU[value]
    if (!letter) return null
    value = acvpuToGcs(letter)
  } else if (parameter === 'fio2') value = value / 100
  // Trained on ventilation as the oxygen signal (set A has no oxygen flag): oxygen flow counts as it.
  else if (parameter === 'ventilated') value = value > 0 ? 1 : 0
  return { parameter, value, time: o.device_time }
}

/** A lab result as the model reads it; null without a patient, a number, a known LOINC or its unit. */
export function hourlyOfLab(r: RiskLab): { parameter: HourlyParameter; value: number; time: number } | null {
  const known = r.loinc ? FROM_LAB[r.loinc] : undefined
  if (!known || !r.patient_id || r.numeric_value === null || !Number.isFinite(r.numeric_value) || !known.units.includes(r.unit)) return null
  return { parameter: known.parameter, value: r.numeric_value, time: r.result_time ?? r.received_time }
}

const SAVED_VERSION = 1
const KNOWN = new Set<string>([...Object.values(FROM_VITAL), ...Object.values(FROM_LAB).map((x) => x.parameter)])

const VITALS = ['pulse', 'respiratory_rate', 'systolic_bp', 'temperature', 'spo2', 'gcs'] as const
const PRESENT = HOURLY_FEATURES.findIndex((f) => f.name === 'vital_parameters_present')

interface Patient { start: number; newest: number; history: HourlyHistory; seen: Set<HourlyParameter> }

export interface RiskRow {
  /** Raw hourly features at the patient's newest reading, NaN when missing. */
  features: Float64Array
  /** What they were computed from: the parameters seen for this patient, sorted. */
  inputs: string[]
  /** Of the six bedside vitals, how many were seen. */
  present: number
  /** Those six that were seen, for a sparse flag's wording. */
  vitals: string[]
}

export class RiskHistories {
  private readonly patients = new Map<string, Patient>()

  constructor(private readonly maxPatients = DEFAULT_MAX_RISK_PATIENTS) {}

  /** Adds a reading (epoch ms); true when the patient's history changed. */
  add(patientId: string, parameter: HourlyParameter, value: number, time: number): boolean {
    if (!Number.isFinite(value) || !Number.isFinite(time)) return false
    let p = this.patients.get(patientId)
    if (!p) {
      this.evict(time)
      p = { start: time, newest: time, history: new HourlyHistory(), seen: new Set() }
      this.patients.set(patientId, p)
    }
    // A reading older than the first one counts from the first (minute 0).
    p.history.add({ minute: Math.max(0, (time - p.start) / MINUTE), parameter, value })
    p.seen.add(parameter)
    if (time > p.newest) p.newest = time
    // Most recently heard last: eviction takes from the front.
    this.patients.delete(patientId)
    this.patients.set(patientId, p)
    return true
  }

  /** The patient's features at their newest reading; undefined for a patient not held. */
  row(patientId: string): RiskRow | undefined {
    const p = this.patients.get(patientId)
    if (!p) return undefined
    const now = (p.newest - p.start) / MINUTE
    p.history.prune(now)
    const features = p.history.features(now, null)
    const vitals = VITALS.filter((v) => p.seen.has(v))
    return { features, inputs: [...p.seen].sort(), present: features[PRESENT]!, vitals }
  }

  size(): number {
    return this.patients.size
  }

  /**
   * Writes the histories to `path` (a temporary file renamed over it: a crash mid-write leaves
   * the previous one). Bounded like the histories themselves.
   */
  save(path: string, now = Date.now()): void {
    const patients = [...this.patients].map(([id, p]) => [id, { start: p.start, newest: p.newest, seen: [...p.seen], history: p.history.toState() }])
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(`${path}.tmp`, JSON.stringify({ version: SAVED_VERSION, saved_at: now, patients }))
    renameSync(`${path}.tmp`, path)
  }

  /**
   * Histories saved by save(); patients silent for 48 h before `now` are left out. No file: none.
   * A file that is not a saved state throws naming what is wrong (the caller starts empty).
   */
  static load(path: string, maxPatients = DEFAULT_MAX_RISK_PATIENTS, now = Date.now()): RiskHistories {
    const out = new RiskHistories(maxPatients)
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out
      throw err
    }
    const saved = JSON.parse(text) as { version?: unknown; patients?: unknown }
    if (saved?.version !== SAVED_VERSION || !Array.isArray(saved.patients)) throw new Error(`${path}: not a saved risk history (version ${String(saved?.version)})`)
    for (const entry of saved.patients as unknown[]) {
      const [id, p] = (Array.isArray(entry) ? entry : []) as [unknown, { start?: unknown; newest?: unknown; seen?: unknown; history?: unknown } | undefined]
      if (typeof id !== 'string' || !p || typeof p.start !== 'number' || typeof p.newest !== 'number' || !Array.isArray(p.seen)) throw new Error(`${path}: a patient entry is malformed`)
      if (now - p.newest > SILENT_MS || out.patients.size >= maxPatients) continue
      const seen = new Set(p.seen.filter((x): x is HourlyParameter => typeof x === 'string' && KNOWN.has(x)))
      out.patients.set(id, { start: p.start, newest: p.newest, seen, history: HourlyHistory.fromState(p.history) })
    }
    return out
  }

  /** Drops patients silent for 48 h before `now`, then the longest silent beyond the cap. */
  private evict(now: number): void {
    for (const [id, p] of this.patients) if (now - p.newest > SILENT_MS) this.patients.delete(id)
    while (this.patients.size >= this.maxPatients) this.patients.delete(this.patients.keys().next().value!)
  }
}
