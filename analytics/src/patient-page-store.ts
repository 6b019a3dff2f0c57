// Everything the patient page's summary shows, read in one round trip (see sections.ts): the
// vitals, labs, alarms with their acknowledgements, triage, the record (encounters, diagnoses,
// orders, suggestions), infusions, ECG minutes and lab orders. Each read is the same query its
// store sends on its own, through the same sort key. Only a vital outside the registry (its unit)
// costs a second read.
import type { LabOrder } from '@neva/contracts'
import type { ClickHouse } from './connection.js'
import { fhirPageSection, type FhirQuery, type FhirRow, type FhirSource } from './fhir-store.js'
import { labOrdersSection } from './lab-order-store.js'
import { ecgMinutesSection, infusionsSection, suggestionSections, suggestionsOf, type PatientInfusion, type PatientSuggestion } from './patient-record-store.js'
import { acksSection, latestSection, ordersSection, PatientSummaryStore, triageSection, vitalsSection, type LatestReading, type PatientAck, type PatientOrder, type PatientTriage, type VitalSeries } from './patient-summary-store.js'
import { readSections, type Section } from './sections.js'

export interface PatientPageWindow {
  /** The window's start and end (ms); the vitals are averaged per `stepS` seconds. */
  from: number
  to: number
  stepS: number
  /** Labs are shown from here (a longer look back than the window). */
  labsFrom: number
  /** At most this many labs and alarms. */
  limit: number
}

export interface PatientPage {
  vitals: VitalSeries[]
  labs: FhirRow[]
  alarms: FhirRow[]
  acks: PatientAck[]
  triage: PatientTriage[]
  encounters: FhirRow[]
  conditions: FhirRow[]
  orders: PatientOrder[]
  infusions: PatientInfusion[]
  suggestions: PatientSuggestion[]
  ecgMinutes: number[]
  labOrders: LabOrder[]
  /** Each vital's latest reading (the chart's buckets are means). */
  latest: LatestReading[]
}

/** A FHIR source's page as a section; the page's queries name a patient, so they always can match. */
function fhir(source: FhirSource, q: FhirQuery): Section<FhirRow[]> {
  const s = fhirPageSection(source, q)
  if (!s) throw new Error(`fhir section ${source} matches nothing`)
  return s
}

export class PatientPageStore {
  private readonly summaries: PatientSummaryStore

  constructor(private readonly ch: ClickHouse) {
    this.summaries = new PatientSummaryStore(ch)
  }

  async read(patient: string, w: PatientPageWindow): Promise<PatientPage> {
    const alarms = fhir('alarm', { patient, time: [{ op: '>=', ms: w.from }], limit: w.limit })
    const suggestions = suggestionSections(patient)
    const r = await readSections(this.ch, {
      vitals: vitalsSection(patient, w.from, w.stepS),
      labs: fhir('lab', { patient, time: [{ op: '>=', ms: w.labsFrom }], limit: w.limit }),
      alarms,
      acks: acksSection(alarms),
      triage: triageSection(patient, w.from, 200),
      encounters: fhir('encounter', { patient, limit: 50 }),
      conditions: fhir('condition', { patient, limit: 200 }),
      orders: ordersSection(patient, 200),
      infusions: infusionsSection(patient, w.from),
      suggested: suggestions.suggested,
      clinician: suggestions.clinician,
      ecg_minutes: ecgMinutesSection(patient, w.from, w.to + 60_000),
      lab_orders: labOrdersSection(patient, 100),
      latest: latestSection(patient, w.from),
    })
    return {
      vitals: await this.summaries.vitalSeries(patient, w.from, w.stepS, r.vitals),
      labs: r.labs, alarms: r.alarms, acks: r.acks, triage: r.triage, encounters: r.encounters, conditions: r.conditions,
      orders: r.orders, infusions: r.infusions, suggestions: suggestionsOf(r.suggested, r.clinician), ecgMinutes: r.ecg_minutes, labOrders: r.lab_orders, latest: r.latest,
    }
  }
}
