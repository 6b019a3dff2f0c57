// Set A for the deterioration model: stays read by @neva/simulators' parser (the replay's; format,
// licence and citation: ../shared/data/physionet-2012/README.md), strictly — a line it could not
// read stops training with its name — and Outcomes-a.txt; their values under the gateway's names.
import { acvpuToGcs, extractHourlyFeatures, gcsToAcvpu, HOURLY_FEATURES, worstNews2, type HourlyObservation, type HourlyParameter } from '@neva/triage'
import { parsePhysionet2012Stay, readPhysionet2012, type Physionet2012Stay } from '@neva/simulators'

/** One stay: descriptors at 00:00, readings ordered by minute, `-1` (missing) never kept as a value. */
export type Stay = Physionet2012Stay

export interface Outcome {
  recordId: string
  saps1: number | null
  sofa: number | null
  lengthOfStay: number | null
  survival: number | null
  inHospitalDeath: 0 | 1
}

/** A stay with no unreadable line; throws naming the first one. */
function strict(stay: Stay, name: string): Stay {
  const bad = stay.skipped[0]
  if (bad) throw new Error(`${name} line ${bad.line}: ${bad.reason}`)
  return stay
}

/** Parses one stay's file; throws naming the line on malformed input. */
export function parseStay(text: string, name = 'stay'): Stay {
  return strict(parsePhysionet2012Stay(text, name), name)
}

/** Stays from `path` (see readPhysionet2012 for what it may be), in RecordID order; throws on an unreadable line. */
export async function readStays(path: string, limit = Infinity): Promise<Stay[]> {
  return readPhysionet2012(path, limit).map((s) => strict(s, `${path}: record ${s.recordId}`))
}

/** Outcomes-a.txt: RecordID → outcome. */
export function parseOutcomes(text: string, name = 'outcomes'): Map<string, Outcome> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const header = lines[0]?.split(',').map((s) => s.trim()) ?? []
  const col = (h: string) => {
    const i = header.indexOf(h)
    if (i < 0) throw new Error(`${name}: no column ${h} in header ${JSON.stringify(lines[0])}`)
    return i
  }
  const [id, saps, sofa, los, surv, death] = ['RecordID', 'SAPS-I', 'SOFA', 'Length_of_stay', 'Survival', 'In-hospital_death'].map(col) as number[]
  const out = new Map<string, Outcome>()
  const opt = (s: string | undefined) => {
    const v = Number(s)
    return s === undefined || s === '' || !Number.isFinite(v) || v === -1 ? null : v
  }
  for (let i = 1; i < lines.length; i++) {
    const p = lines[i]!.split(',')
    const d = Number(p[death!])
    if (!/^\d+$/.test(p[id!] ?? '') || (d !== 0 && d !== 1)) throw new Error(`${name} line ${i + 1}: expected RecordID and In-hospital_death 0/1, got ${JSON.stringify(lines[i]!.slice(0, 60))}`)
    out.set(p[id!]!, { recordId: p[id!]!, saps1: opt(p[saps!]), sofa: opt(p[sofa!]), lengthOfStay: opt(p[los!]), survival: opt(p[surv!]), inHospitalDeath: d as 0 | 1 })
  }
  return out
}

/** The challenge's parameter names → the gateway's; non-invasive and arterial pressures are one series. */
const TO_HOURLY: Record<string, HourlyParameter> = {
  HR: 'pulse', RespRate: 'respiratory_rate', NISysABP: 'systolic_bp', SysABP: 'systolic_bp', NIMAP: 'map', MAP: 'map',
  Temp: 'temperature', SaO2: 'spo2', GCS: 'gcs', FiO2: 'fio2', Urine: 'urine', MechVent: 'ventilated',
  Lactate: 'lactate', Creatinine: 'creatinine', BUN: 'bun', WBC: 'wbc', Platelets: 'platelets', HCO3: 'hco3',
  pH: 'ph', PaO2: 'pao2', PaCO2: 'paco2', K: 'potassium', Na: 'sodium', Glucose: 'glucose', HCT: 'hct', Bilirubin: 'bilirubin',
}

/**
 * A stay's observations under the gateway's names. Values the challenge's own description calls
 * errors (a zero pressure, rate or temperature; pH outside 6.5–8) are dropped, not kept as values.
 */
export function hourlyObservations(stay: Stay): HourlyObservation[] {
  const out: HourlyObservation[] = []
  for (const o of stay.readings) {
    const parameter = TO_HOURLY[o.parameter]
    if (!parameter) continue
    let v = o.value
    if (parameter === 'ph' && v > 14 && v < 800) v = v / 100 // a few stays record pH ×100
    if (parameter === 'ph' && (v < 6.5 || v > 8)) continue
    if (parameter === 'fio2' && v > 1) v = v / 100
    if (v <= 0 && parameter !== 'urine' && parameter !== 'ventilated') continue
    if (parameter === 'temperature' && v < 25) continue
    out.push({ minute: o.minute, parameter, value: v })
  }
  return out
}

const BEDSIDE = new Set<HourlyParameter>(['pulse', 'respiratory_rate', 'systolic_bp', 'temperature', 'spo2', 'gcs', 'ventilated'])

/**
 * A stay as a triage snapshot: the first recorded value of each bedside vital, all at minute 0,
 * GCS rounded to its ACVPU band as a bedside assessment gives it; no labs. What `neva triage`
 * sees from one line, so the model learns that case too.
 */
export function snapshotObservations(stay: Stay): HourlyObservation[] {
  const first = new Map<HourlyParameter, HourlyObservation>()
  for (const o of hourlyObservations(stay)) {
    if (!BEDSIDE.has(o.parameter) || first.has(o.parameter)) continue
    first.set(o.parameter, { minute: 0, parameter: o.parameter, value: o.parameter === 'gcs' ? acvpuToGcs(gcsToAcvpu(o.value)) : o.value })
  }
  return [...first.values()]
}

export interface StayRows {
  recordIds: string[]
  /** Raw features, row-major [n, HOURLY_FEATURES.length], NaN when missing. */
  x: Float64Array
  /** Worst NEWS2 over the same hours (NaN when no vital). */
  news2: Float64Array
}

/**
 * Each stay's features at `hours` after admission, from what was recorded up to then; `hours` 0
 * is the triage snapshot (snapshotObservations).
 */
export function stayRows(stays: readonly Stay[], hours: number): StayRows {
  const F = HOURLY_FEATURES.length
  const x = new Float64Array(stays.length * F)
  const news2 = new Float64Array(stays.length)
  stays.forEach((s, i) => {
    const obs = hours === 0 ? snapshotObservations(s) : hourlyObservations(s)
    x.set(extractHourlyFeatures(obs, hours * 60, s.descriptors.Age ?? null), i * F)
    news2[i] = worstNews2(obs, hours * 60)
  })
  return { recordIds: stays.map((s) => s.recordId), x, news2 }
}
