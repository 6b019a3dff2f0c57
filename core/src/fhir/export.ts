// The record as FHIR outside the API: one patient's resources (a Bundle of type collection) or
// every patient's resources of a time window per type (bulk-data NDJSON). Read a page at a time
// in (time, key) order, so the window is never held in memory whole.
import { FhirStore, type ClickHouse, type FhirPosition, type FhirTimeBound } from '@neva/analytics'
import type { Resource } from './common.js'
import { FHIR_TYPES, pageOf, toResource } from './types.js'

export const FHIR_EXPORT_TYPES = Object.keys(FHIR_TYPES)
const PAGE = 5000

export interface FhirExportWindow {
  /** Only this patient's resources; every patient's when absent. */
  patient?: string
  /** ms, inclusive. */
  since?: number
  /** ms, exclusive. */
  until?: number
}

/** The resources of one type in the window, a page at a time. */
export async function* fhirResources(ch: ClickHouse, type: string, window: FhirExportWindow): AsyncGenerator<Resource[]> {
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
    const page = await pageOf(store, t.sources, { ...(window.patient !== undefined ? { patient: window.patient } : {}), time: bounds, ...(after ? { after } : {}), limit: PAGE })
    if (page.rows.length > 0) yield page.rows.map(({ source, row }) => toResource(source, row))
    if (!page.next) return
    after = page.next
  }
}
