// Synthetic medical record: patients with two years of history drawn from the disease catalog —
// encounters, complaints in Russian and English (free text, and coded where the system codes
// them), a preliminary diagnosis (sometimes a look-alike, as in real emergency departments) and a
// final one, and the lab results the disease moves. Seeded: the same seed gives the same city.
import type { Complaint, Diagnosis, EmrEvent, EmrPatient, Encounter, LabResult } from '@neva/contracts'
import { DEFAULT_LAB_CODES, lookupLabCode } from '@neva/firmware-adapters'
import { gaussian, seededRandom } from '../physiology/random.js'
import { DISEASES, DISTRICTS, LAB_NORMALS, SITES, SYMPTOMS, type Disease, type SymptomName } from './catalog.js'

export interface EmrSimOptions {
  patients: number
  seed: number | string
  /** End of the record (epoch ms); it covers `years` before. */
  end: number
  years?: number
  /** First patient index (to generate a city in slices). */
  from?: number
}

export type LabRow = Omit<LabResult, 'gateway_id' | 'seq'>

export interface PatientRecord {
  events: EmrEvent[]
  labs: LabRow[]
}

const YEAR_MS = 365.25 * 24 * 3600_000
const WARDS: Record<Disease['setting'], readonly string[]> = {
  outpatient: [],
  ed_arrival: ['ED'],
  admission: ['Therapy', 'Cardiology', 'Surgery', 'Neurology'],
}
/** The level an ED nurse gives at arrival, by what the patient turns out to have. */
const ED_LEVEL: Record<string, 'red' | 'yellow'> = {
  'I21.9': 'red', 'I63.9': 'red', 'A41.9': 'red',
  'J18.9': 'yellow', 'J44.1': 'yellow', 'I48.9': 'yellow', 'K35.8': 'yellow', 'I50.9': 'yellow',
}

/** Preliminary diagnoses are right this often; otherwise a disease that looks alike. */
const PRELIMINARY_RIGHT = 0.72
const FINAL_RIGHT = 0.96

export function patientId(seed: number | string, index: number): string {
  return `emr-${seed}.${index}`
}

function ageWeight(d: Disease, age: number): number {
  const [lo, hi] = d.ages
  if (age >= lo && age <= hi) return 1
  const distance = age < lo ? lo - age : age - hi
  return Math.exp(-distance / 4)
}

function pick<T>(random: () => number, items: readonly T[], weight: (t: T) => number): T {
  let total = 0
  for (const t of items) total += weight(t)
  let r = random() * total
  for (const t of items) {
    r -= weight(t)
    if (r <= 0) return t
  }
  return items[items.length - 1]!
}

function poisson(random: () => number, lambda: number): number {
  let k = 0
  let p = Math.exp(-lambda)
  let s = p
  const u = random()
  while (u > s && k < 50) {
    k++
    p *= lambda / k
    s += p
  }
  return k
}

/** How alike two diseases present: the symptoms they share, weighted by how often. */
function overlap(a: Disease, b: Disease): number {
  let o = 0
  for (const [s, p] of Object.entries(a.symptoms)) o += Math.min(p, b.symptoms[s as SymptomName] ?? 0)
  return o
}

const LOOK_ALIKES = new Map(DISEASES.map((d) => [d.icd10, DISEASES.filter((x) => x !== d && overlap(d, x) > 0)]))

function lookAlike(random: () => number, d: Disease): Disease {
  const others = LOOK_ALIKES.get(d.icd10)!
  return others.length === 0 ? d : pick(random, others, (x) => overlap(d, x) + 0.05)
}

function complaintText(random: () => number, names: SymptomName[], language: 'ru' | 'en', days: number): string {
  const phrases = names.map((n) => SYMPTOMS[n][language])
  if (language === 'ru') {
    const since = days === 1 ? 'со вчерашнего дня' : `в течение ${days} дней`
    return `Жалобы на ${phrases.join(', ')} ${since}.${random() < 0.3 ? ' Принимал парацетамол без эффекта.' : ''}`
  }
  const list = phrases.length > 1 ? `${phrases.slice(0, -1).join(', ')} and ${phrases.at(-1)}` : phrases[0]!
  return `Complains of ${list} for ${days === 1 ? 'a day' : `${days} days`}.${random() < 0.3 ? ' Paracetamol did not help.' : ''}`
}

function labValue(random: () => number, test: string, effect: { mean: number; sd: number } | undefined) {
  const normal = LAB_NORMALS[test]!
  const m = effect ?? normal
  const value = Math.max(0, m.mean + gaussian(random) * m.sd)
  const rounded = Number(value.toFixed(normal.decimals))
  const [lo, hi] = normal.range.split('-').map(Number) as [number, number]
  const flag = rounded < lo ? 'L' : rounded > hi ? 'H' : 'N'
  return { value: rounded, unit: normal.unit, range: normal.range, flag }
}

/** One patient's record, the same for the same seed and index. */
export function generatePatient(o: EmrSimOptions, index: number): PatientRecord {
  const random = seededRandom(`${o.seed}:${index}`)
  const years = o.years ?? 2
  const start = o.end - years * YEAR_MS
  const id = patientId(o.seed, index)
  // A city's pyramid, roughly: children, adults evenly to 65, fewer each year after.
  const band = random()
  const age = Math.floor(band < 0.16 ? random() * 18 : band < 0.76 ? 18 + random() * 47 : 65 + random() * random() * 35)
  const r = random()
  const sex = r < 0.51 ? 'female' : r < 0.995 ? 'male' : 'unknown'
  const birthYear = new Date(o.end).getUTCFullYear() - age
  const patient: EmrPatient = { type: 'patient', patient_id: id, birth_year: birthYear, sex, district: DISTRICTS[Math.floor(random() * DISTRICTS.length)]!, updated_time: start }
  const events: EmrEvent[] = [patient]
  const labs: LabRow[] = []
  const visits = poisson(random, 1.5 + age / 25)
  const times = Array.from({ length: visits }, () => start + random() * (o.end - start - 86_400_000)).sort((a, b) => a - b)
  times.forEach((t0, k) => {
    const time = Math.round(t0)
    const disease = pick(random, DISEASES, (d) => d.weight * ageWeight(d, age) * (sex === 'female' ? d.female : sex === 'male' ? 1 - d.female : 0.5))
    const kind = random() < 0.85 ? disease.setting : random() < 0.5 ? 'outpatient' : 'ed_arrival'
    const wards = WARDS[kind]
    const hours = kind === 'outpatient' ? 0.5 : kind === 'ed_arrival' ? 2 + random() * 6 : 24 * (2 + random() * 8)
    const encounterId = `${id}.e${k + 1}`
    const encounter: Encounter = {
      type: 'encounter', encounter_id: encounterId, patient_id: id, kind, site: SITES[Math.floor(random() * SITES.length)]!,
      ward: wards.length ? wards[Math.floor(random() * wards.length)]! : null,
      ...(kind === 'ed_arrival' ? { triage_level: ED_LEVEL[disease.icd10] ?? 'green' } : {}),
      start_time: time, end_time: Math.round(time + hours * 3600_000), updated_time: Math.round(time + hours * 3600_000),
    }
    // The symptoms mentioned: each with its chance, at least the most typical one, sometimes an unrelated one.
    const named = (Object.entries(disease.symptoms) as Array<[SymptomName, number]>).filter(([, p]) => random() < p).map(([s]) => s)
    if (named.length === 0) named.push((Object.entries(disease.symptoms) as Array<[SymptomName, number]>).sort((a, b) => b[1] - a[1])[0]![0])
    if (random() < 0.1) {
      const all = Object.keys(SYMPTOMS) as SymptomName[]
      const extra = all[Math.floor(random() * all.length)]!
      if (!named.includes(extra)) named.push(extra)
    }
    const language = random() < 0.7 ? 'ru' : 'en'
    const complaint: Complaint = {
      type: 'complaint', complaint_id: `${encounterId}.c1`, encounter_id: encounterId, patient_id: id, time: time + 5 * 60_000,
      text: complaintText(random, named, language, 1 + Math.floor(random() * 7)), language,
      codes: random() < 0.6 ? named.map((s) => SYMPTOMS[s].code) : [],
    }
    const preliminary = random() < PRELIMINARY_RIGHT ? disease : lookAlike(random, disease)
    const final = random() < FINAL_RIGHT ? disease : lookAlike(random, disease)
    const doctor = `dr-${1 + Math.floor(random() * 400)}`
    const diagnoses: Diagnosis[] = [
      { type: 'diagnosis', diagnosis_id: `${encounterId}.d1`, encounter_id: encounterId, patient_id: id, icd10: preliminary.icd10, kind: 'preliminary', set_by: 'clinician', author_id: doctor, time: time + 30 * 60_000 },
      { type: 'diagnosis', diagnosis_id: `${encounterId}.d2`, encounter_id: encounterId, patient_id: id, icd10: final.icd10, kind: 'final', set_by: 'clinician', author_id: doctor, time: encounter.end_time! },
    ]
    events.push(encounter, complaint, ...diagnoses)
    // Labs: the tests this disease moves, and a basic panel for some other visits.
    const tests = new Map(disease.labs.map((l) => [l.test, l as { mean: number; sd: number } | undefined]))
    if (kind !== 'outpatient' || random() < 0.2) for (const t of ['WBC', 'HGB', 'CRP', 'GLU', 'K', 'CREA']) if (!tests.has(t)) tests.set(t, undefined)
    const resultTime = time + Math.round((0.5 + random() * 2) * 3600_000)
    for (const [test, effect] of tests) {
      const v = labValue(random, test, effect)
      labs.push({
        device_id: 'emr-sim-lab', source: 'astm', order_id: `${encounterId}.L`, patient_id: id, test_code: test,
        loinc: lookupLabCode(DEFAULT_LAB_CODES, test)?.loinc ?? null, value: String(v.value), numeric_value: v.value, unit: v.unit,
        reference_range: v.range, abnormal_flag: v.flag, status: 'F', result_time: resultTime, received_time: resultTime + 60_000, comments: [],
      })
    }
  })
  return { events, labs }
}

/** Patients `from` … `from + patients - 1`, one record at a time. */
export function* generateEmr(o: EmrSimOptions): Generator<PatientRecord> {
  const from = o.from ?? 0
  for (let i = from; i < from + o.patients; i++) yield generatePatient(o, i)
}
