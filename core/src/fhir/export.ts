// The record as FHIR outside the API: one patient's resources (a Bundle of type collection) or
// every patient's resources of a time window per type (bulk-data NDJSON). Read a page at a time,
// so the window is never held in memory whole. The bulk NDJSON of vital signs (nearly all of a
// window) is read in the table's sort key order and written by template (vital-lines.ts); triage
// verdicts by template too (risk-lines.ts); the other types through the API's mapping.
import { bulkTriageObject, bulkTriagePage, bulkVitalsPage, FhirStore, positionOfBulkRow, positionOfBulkTriageRow, type BulkTriagePosition, type BulkVitalPosition, type ClickHouse, type FhirPosition, type FhirSource, type FhirTimeBound } from '@neva/analytics'
import type { Resource, Row } from './common.js'
import { RiskLines } from './risk-lines.js'
import { FHIR_TYPES, pageOf, toResource, type Page } from './types.js'
import { VitalLines } from './vital-lines.js'

export const FHIR_EXPORT_TYPES = Object.keys(FHIR_TYPES)
const PAGE = 5000
const BULK_PAGE = 50_000

export interface FhirExportWindow {
  /** Only this patient's resources; every patient's when absent. */
  patient?: string
  /** ms, inclusive. */
  since?: number
  /** ms, exclusive. */
  until?: number
}

/** A piece of an NDJSON file: its lines, how many, and whose data they hold. */
export interface NdjsonChunk {
  text: string
  count: number
  patients: Set<string>
}

async function* rowPages(ch: ClickHouse, type: string, window: FhirExportWindow, sources?: FhirSource[]): AsyncGenerator<Page['rows']> {
  const t = FHIR_TYPES[type]
  if (!t) throw new Error(`no FHIR type ${type}`)
  const store = new FhirStore(ch)
  const time: FhirTimeBound[] = [
    ...(window.since !== undefined ? [{ op: '>=' as const, ms: window.since }] : []),
    ...(window.until !== undefined ? [{ op: '<' as const, ms: window.until }] : []),
  ]
  // The patient resource is the patient's whatever it was last updated.
  const bounds = type === 'Patient' && window.patient !== undefined ? [] : time
  let after: FhirPosition | undefined
  for (;;) {
    const page = await pageOf(store, sources ?? t.sources, { ...(window.patient !== undefined ? { patient: window.patient } : {}), time: bounds, ...(after ? { after } : {}), limit: PAGE })
    if (page.rows.length > 0) yield page.rows
    if (!page.next) return
    after = page.next
  }
}

async function* resourcePages(ch: ClickHouse, type: string, window: FhirExportWindow, sources?: FhirSource[]): AsyncGenerator<Array<{ resource: Resource; patient: string }>> {
  for await (const rows of rowPages(ch, type, window, sources)) yield rows.map(({ source, row }) => ({ resource: toResource(source, row), patient: row.patient_id }))
}

/** The resources of one type in the window, a page at a time. */
export async function* fhirResources(ch: ClickHouse, type: string, window: FhirExportWindow): AsyncGenerator<Resource[]> {
  for await (const page of resourcePages(ch, type, window)) yield page.map((r) => r.resource)
}

/** Every patient's resources of one type in [since, until) as NDJSON, a chunk at a time. */
export async function* fhirNdjson(ch: ClickHouse, type: string, window: { since: number; until: number }): AsyncGenerator<NdjsonChunk> {
  if (type === 'RiskAssessment') {
    yield* riskNdjson(ch, window)
    return
  }
  if (type === 'Observation') {
    const lines = new VitalLines()
    yield* templatePages((after: BulkVitalPosition | undefined) => bulkVitalsPage(ch, window, after, BULK_PAGE), (row) => lines.line(row), positionOfBulkRow)
  }
  const sources = type === 'Observation' ? (['lab'] as FhirSource[]) : undefined
  for await (const page of resourcePages(ch, type, window, sources)) {
    yield { text: page.map((r) => `${JSON.stringify(r.resource)}\n`).join(''), count: page.length, patients: new Set(page.map((r) => r.patient)) }
  }
}

/** Triage verdicts in the table's sort key order, lines by template (risk-lines.ts). */
function riskNdjson(ch: ClickHouse, window: { since: number; until: number }): AsyncGenerator<NdjsonChunk> {
  const lines = new RiskLines()
  return templatePages((after: BulkTriagePosition | undefined) => bulkTriagePage(ch, window, after, BULK_PAGE), (row) => lines.line(bulkTriageObject(row) as Row), positionOfBulkTriageRow)
}

/** Keyset pages of compact rows (patient first), each row a line by template, a chunk a page. */
async function* templatePages<R extends readonly unknown[] & { 0: string }, P>(
  page: (after: P | undefined) => Promise<R[]>, line: (row: R) => string, positionOf: (row: R) => P,
): AsyncGenerator<NdjsonChunk> {
  let after: P | undefined
  for (;;) {
    const rows = await page(after)
    if (rows.length === 0) return
    let text = ''
    const patients = new Set<string>()
    for (const row of rows) {
      text += line(row)
      patients.add(row[0])
    }
    yield { text, count: rows.length, patients }
    if (rows.length < BULK_PAGE) return
    after = positionOf(rows[rows.length - 1]!)
  }
}
