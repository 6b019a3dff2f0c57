// Stored rows against a replay plan's expectations: each expected (patient, table key, time,
// value) must be stored once; anything stored beyond them is counted as unexpected.
import type { ReplayExpected, ReplayPath } from './plan.js'

/** A stored reading as queried back: from `observations` (key = name) or `lab_results` (key = test_code). */
export interface ReplayStoredRow {
  table: 'observations' | 'lab_results'
  patientId: string
  key: string
  time: number
  value: number | null
}

export interface ReplayComparison {
  /** Per path: expected, stored (rows of the replayed patients), equal (matched), missing, unexpected. */
  byPath: Record<ReplayPath, { expected: number; equal: number; missing: number }>
  stored: number
  equal: number
  missing: ReplayExpected[]
  unexpected: ReplayStoredRow[]
}

const rowKey = (table: string, patientId: string, key: string, time: number, value: number | null) => `${table}|${patientId}|${key}|${time}|${value}`

export function compareReplay(expected: readonly ReplayExpected[], stored: readonly ReplayStoredRow[]): ReplayComparison {
  const pool = new Map<string, ReplayStoredRow[]>()
  for (const row of stored) {
    const k = rowKey(row.table, row.patientId, row.key, row.time, row.value)
    pool.set(k, [...(pool.get(k) ?? []), row])
  }
  const byPath: ReplayComparison['byPath'] = { hl7: { expected: 0, equal: 0, missing: 0 }, astm: { expected: 0, equal: 0, missing: 0 }, opcua: { expected: 0, equal: 0, missing: 0 } }
  const missing: ReplayExpected[] = []
  let equal = 0
  for (const e of expected) {
    byPath[e.path].expected++
    const rows = pool.get(rowKey(e.table, e.patientId, e.key, e.time, e.value))
    if (rows && rows.length > 0) {
      rows.pop()
      byPath[e.path].equal++
      equal++
    } else {
      byPath[e.path].missing++
      missing.push(e)
    }
  }
  return { byPath, stored: stored.length, equal, missing, unexpected: [...pool.values()].flat() }
}
