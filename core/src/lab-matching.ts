// Which order a lab result answers, decided alone (no store): by the specimen id the analyzer
// sent (ASTM O-3, HL7 OBR-3) and the test (the lab's code, or LOINC when the gateway knew it).
import { labTransitionAllowed, type LabOrder, type LabOrderState } from '@neva/contracts'
import type { CriticalLimit, LabMatchOutcome } from '@neva/analytics'

export interface ResultKey {
  specimen_id: string | null
  test_code: string
  loinc: string | null
}

export interface MatchDecision {
  outcome: LabMatchOutcome
  order: LabOrder | null
}

const OPEN_FIRST: Record<LabOrderState, number> = { ordered: 0, collected: 0, received: 0, in_analysis: 0, resulted: 1, verified: 2, cancelled: 3 }

export const testMatches = (order: LabOrder, r: Pick<ResultKey, 'test_code' | 'loinc'>): boolean =>
  order.tests.some((t) => t.lab_code === r.test_code || (r.loinc !== null && t.loinc === r.loinc))

/**
 * `orders`: every order that carried the result's specimen id. An open order wins over a
 * resulted, verified or cancelled one; a result for a test the order does not list is unmatched
 * (kept, never attached to the wrong order); one for a cancelled order is flagged.
 */
export function matchResult(result: ResultKey, orders: readonly LabOrder[]): MatchDecision {
  if (result.specimen_id === null) return { outcome: 'unmatched', order: null }
  const ranked = orders.filter((o) => o.specimen_id === result.specimen_id && testMatches(o, result))
    .sort((a, b) => OPEN_FIRST[a.state] - OPEN_FIRST[b.state] || b.placed_time - a.placed_time)
  const order = ranked[0]
  if (!order) return { outcome: 'unmatched', order: null }
  return { outcome: order.state === 'cancelled' ? 'cancelled_order' : 'matched', order }
}

/** The state an order moves to once these of its tests have results; null when it stays. */
export function stateAfterResults(order: LabOrder, resulted: ReadonlyArray<Pick<ResultKey, 'test_code' | 'loinc'>>): LabOrderState | null {
  const done = order.tests.filter((t) => resulted.some((r) => r.test_code === t.lab_code || (r.loinc !== null && r.loinc === t.loinc))).length
  const next: LabOrderState = done >= order.tests.length ? 'resulted' : 'in_analysis'
  return next !== order.state && labTransitionAllowed(order.state, next) ? next : null
}

/** The limit a numeric result crossed (at or beyond), when its unit is the limit's; null otherwise. */
export function criticalLimit(r: { loinc: string | null; numeric_value: number | null; unit: string }, limits: ReadonlyMap<string, CriticalLimit>): CriticalLimit | null {
  if (r.loinc === null || r.numeric_value === null) return null
  const limit = limits.get(r.loinc)
  if (!limit || limit.unit.trim().toLowerCase() !== r.unit.trim().toLowerCase()) return null
  if ((limit.low !== null && r.numeric_value <= limit.low) || (limit.high !== null && r.numeric_value >= limit.high)) return limit
  return null
}
