// Reader for the PhysioNet/CinC Challenge 2012 set-A files (format, licence and citation:
// ../shared/data/physionet-2012/README.md): one `Time,Parameter,Value` file per ICU stay, read
// straight from set-a.tar.gz (gunzip + a minimal ustar walk) or from an extracted directory, and
// Outcomes-a.txt. Shared by `neva model train|eval` and the replay simulator.
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { acvpuToGcs, extractHourlyFeatures, gcsToAcvpu, HOURLY_FEATURES, worstNews2, type HourlyObservation, type HourlyParameter } from '@neva/triage'
import { tarFiles } from '@neva/simulators'

/** One recorded value: minutes since ICU admission, the challenge's parameter name, the value. */
export interface Observation {
  minute: number
  parameter: string
  value: number
}

export interface Stay {
  recordId: string
  /** General descriptors recorded at 00:00 (Age, Gender, Height, ICUType, Weight); missing ones absent. */
  descriptors: Record<string, number>
  /** Time series, ordered by minute; `-1` (the challenge's "missing") is dropped, never kept as a value. */
  observations: Observation[]
}

export interface Outcome {
  recordId: string
  saps1: number | null
  sofa: number | null
  lengthOfStay: number | null
  survival: number | null
  inHospitalDeath: 0 | 1
}

const DESCRIPTORS = new Set(['RecordID', 'Age', 'Gender', 'Height', 'ICUType'])

/** Parses one stay's file; throws naming the line on malformed input. */
export function parseStay(text: string, name = 'stay'): Stay {
  const lines = text.split(/\r?\n/)
  if (lines[0]?.trim() !== 'Time,Parameter,Value') throw new Error(`${name}: expected header "Time,Parameter,Value", got ${JSON.stringify(lines[0]?.slice(0, 40))}`)
  const descriptors: Record<string, number> = {}
  const observations: Observation[] = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    const parts = line.split(',')
    const m = /^(\d+):(\d\d)$/.exec(parts[0] ?? '')
    const value = Number(parts[2])
    if (parts.length !== 3 || !m || parts[1] === '' || parts[2] === '' || !Number.isFinite(value)) {
      throw new Error(`${name} line ${i + 1}: expected HH:MM,Parameter,number, got ${JSON.stringify(line.slice(0, 60))}`)
    }
    const minute = Number(m[1]) * 60 + Number(m[2])
    const parameter = parts[1]!
    // Weight at 00:00 is the admission descriptor; later Weight rows are a time series.
    if (minute === 0 && (DESCRIPTORS.has(parameter) || parameter === 'Weight') && !(parameter in descriptors)) {
      if (value !== -1) descriptors[parameter] = value
      continue
    }
    if (value === -1) continue
    observations.push({ minute, parameter, value })
  }
  observations.sort((a, b) => a.minute - b.minute)
  const recordId = descriptors.RecordID !== undefined ? String(descriptors.RecordID) : name.replace(/^.*\//, '').replace(/\.txt$/, '')
  return { recordId, descriptors, observations }
}

const isStayFile = (name: string) => /(^|\/)\d+\.txt$/.test(name)

/**
 * Stays from `path`: set-a.tar.gz (or any .tar.gz of stay files), a directory holding one
 * set-?.tar.gz, or a directory of extracted
 * `<RecordID>.txt` files (searched one level down, e.g. set-a/). Ordered by RecordID.
 */
export async function readStays(path: string, limit = Infinity): Promise<Stay[]> {
  const info = await stat(path)
  const stays: Stay[] = []
  if (info.isFile()) {
    for (const { name, data } of tarFiles(gunzipSync(await readFile(path)))) {
      if (isStayFile(name)) stays.push(parseStay(data.toString('utf8'), name))
    }
  } else {
    const entries = await readdir(path, { withFileTypes: true })
    const files = entries.filter((e) => e.isFile() && isStayFile(e.name)).map((e) => join(path, e.name))
    if (files.length === 0) {
      // set-a.tar.gz here; held-out sets in the same format come as set-b.tar.gz, set-c.tar.gz…
      const tar = entries.find((e) => e.isFile() && /^set-[a-z]\.tar\.gz$/.test(e.name))
      if (tar) return readStays(join(path, tar.name), limit)
      for (const e of entries.filter((x) => x.isDirectory())) {
        const inner = await readdir(join(path, e.name))
        files.push(...inner.filter(isStayFile).map((n) => join(path, e.name, n)))
      }
    }
    if (files.length === 0) throw new Error(`${path}: no <RecordID>.txt stay files and no set-?.tar.gz`)
    for (const file of files) stays.push(parseStay(await readFile(file, 'utf8'), file))
  }
  stays.sort((a, b) => Number(a.recordId) - Number(b.recordId))
  return stays.slice(0, limit)
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
  for (const o of stay.observations) {
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
