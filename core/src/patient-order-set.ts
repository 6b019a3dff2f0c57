// The order set the patient page offers: the latest preliminary suggestion of the patient's open
// encounter, its sets' union (orderSetFor), each test naming the guideline of every diagnosis it
// serves so the clinician sees why it is on the list. Older suggestions and closed encounters
// offer nothing: POST /v1/lab/orders would refuse them anyway.
import { LAB_ORDER_SETS, orderSetFor, type SuggestedOrderSetTest } from '@neva/contracts'
import type { PatientSuggestion } from '@neva/analytics'

export interface PageOrderSet {
  suggestion_id: string
  encounter_id: string
  time: number
  suggested: string[]
  tests: Array<SuggestedOrderSetTest & { sources: string[] }>
  sources: string[]
  without_set: string[]
  /** Orders already placed from this set (lab_order_set_uses), filled in by the caller. */
  orders_placed: string[]
}

export function pageOrderSet(suggestions: readonly PatientSuggestion[], openEncounterId: string | null): PageOrderSet | null {
  if (openEncounterId === null) return null
  const latest = suggestions.filter((s) => s.kind === 'preliminary' && s.encounter_id === openEncounterId).sort((a, b) => b.time - a.time)[0]
  if (!latest) return null
  const suggested = latest.suggested.map((s) => s.icd10)
  const set = orderSetFor(suggested)
  if (set.tests.length === 0) return null
  const sourceOf = (icd10: string) => LAB_ORDER_SETS.find((s) => s.icd10 === icd10)?.source
  return {
    suggestion_id: latest.suggestion_id, encounter_id: latest.encounter_id, time: latest.time, suggested,
    tests: set.tests.map((t) => ({ ...t, sources: [...new Set(t.for.map(sourceOf).filter((s): s is string => s !== undefined))] })),
    sources: set.sources, without_set: set.without_set, orders_placed: [],
  }
}
