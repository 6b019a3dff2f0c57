// The resource types served, each read from one or more FhirStore sources, with the search
// parameters it takes and the references _include may follow.
import { FhirStore, ICD10, LOINC, MDC, NEVA_LAB_CODE, type FhirPosition, type FhirQuery, type FhirSource } from '@neva/analytics'
import type { Resource, Row } from './common.js'
import { conditionResource } from './condition.js'
import { deviceResource } from './device.js'
import { reportResource } from './diagnostic-report.js'
import { encounterResource } from './encounter.js'
import { flagResource } from './flag.js'
import { labResource, vitalResource } from './observation.js'
import { patientResource } from './patient.js'
import { riskResource } from './risk-assessment.js'
import { CODE_FORMATS } from './search-params.js'

export interface FhirType {
  sources: FhirSource[]
  /** Names the patient may be searched by. */
  patientParams: string[]
  /** Code systems (and their code formats) for code=; none: no code search. */
  codes?: Record<string, RegExp>
  /** Searchable by date=. */
  date: boolean
  /** category= values, each to the sources it reads. */
  categories?: Record<string, FhirSource[]>
  /** _include=<Type>:<param> → the type it reaches (always the same patient's). */
  includes: Record<string, string>
  /** Described in the CapabilityStatement. */
  description: string
}

const SUBJECT = { patient: 'Patient', subject: 'Patient' }

export const FHIR_TYPES: Record<string, FhirType> = {
  Patient: { sources: ['patient'], patientParams: ['_id'], date: false, includes: {}, description: 'a patient as the hospital system sent them (no names are kept)' },
  Encounter: { sources: ['encounter'], patientParams: ['patient', 'subject'], date: true, includes: SUBJECT, description: 'ED arrivals, admissions, ICU stays' },
  Observation: {
    sources: ['vital', 'lab'],
    patientParams: ['patient', 'subject'],
    codes: { [LOINC]: CODE_FORMATS.loinc, [MDC]: CODE_FORMATS.mdc, [NEVA_LAB_CODE]: CODE_FORMATS.local },
    date: true,
    categories: { 'vital-signs': ['vital'], laboratory: ['lab'] },
    includes: { ...SUBJECT, device: 'Device' },
    description: 'vital signs and device metrics (LOINC, MDC, UCUM) and lab results',
  },
  DiagnosticReport: { sources: ['report'], patientParams: ['patient', 'subject'], date: true, includes: { ...SUBJECT, result: 'Observation' }, description: 'the lab results of an order' },
  Condition: { sources: ['condition'], patientParams: ['patient', 'subject'], codes: { [ICD10]: CODE_FORMATS.icd10 }, date: true, includes: { ...SUBJECT, encounter: 'Encounter' }, description: 'diagnoses (ICD-10)' },
  RiskAssessment: { sources: ['risk'], patientParams: ['patient', 'subject'], date: true, includes: SUBJECT, description: 'triage verdicts: NEWS2 and the model (version, inputs, drivers)' },
  Flag: { sources: ['alarm'], patientParams: ['patient', 'subject'], date: true, includes: { ...SUBJECT, author: 'Device' }, description: 'device alarms' },
  Device: { sources: ['device'], patientParams: ['patient'], date: false, includes: {}, description: 'devices that measured the patient' },
}

/** Which resource type a source's rows are. */
export const TYPE_OF_SOURCE: Record<FhirSource, string> = {
  patient: 'Patient', encounter: 'Encounter', vital: 'Observation', lab: 'Observation', report: 'DiagnosticReport',
  condition: 'Condition', risk: 'RiskAssessment', alarm: 'Flag', device: 'Device',
}

const MAPPERS: Record<FhirSource, (row: Row) => Resource> = {
  patient: (row) => patientResource(row, row.patient_id), encounter: encounterResource, vital: vitalResource, lab: labResource,
  report: reportResource, condition: conditionResource, risk: riskResource, alarm: flagResource, device: deviceResource,
}

export const toResource = (source: FhirSource, row: Row) => MAPPERS[source](row)

export interface Page {
  rows: Array<{ source: FhirSource; row: Row }>
  /** Where the next page starts; undefined on the last page. */
  next?: FhirPosition
}

/** One page across the type's sources, merged in (time, key) order. */
export async function pageOf(store: FhirStore, sources: readonly FhirSource[], q: FhirQuery): Promise<Page> {
  const parts = await Promise.all(sources.map(async (source) => (await store.page(source, { ...q, limit: q.limit + 1 })).map((row) => ({ source, row: row as Row }))))
  const merged = parts.flat().sort((a, b) => a.row.t_ms - b.row.t_ms || (a.row.k < b.row.k ? -1 : a.row.k > b.row.k ? 1 : 0))
  const rows = merged.slice(0, q.limit)
  const last = rows[rows.length - 1]
  return merged.length > q.limit && last ? { rows, next: { t: last.row.t_ms, k: last.row.k } } : { rows }
}
