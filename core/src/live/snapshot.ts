// The snapshot a board opens with: only the patients the user may see, read from ClickHouse once.
import type { BoardEncounter, BoardName, BoardStore, BoardTransport, EcgTrace, OrderStore, PatientCard } from '@neva/analytics'
import type { Order } from '@neva/contracts'
import type { BoardAccess, BoardUser } from './access.js'

export interface BoardSnapshot {
  board: BoardName
  time: number
  cards: PatientCard[]
  /** ED board. */
  transports?: BoardTransport[]
  ecg?: Record<string, EcgTrace[]>
  /** ICU board: beds; triage queue: arrivals. */
  encounters?: BoardEncounter[]
  orders?: Order[]
  alarms?: unknown[]
}

export async function buildSnapshot(board: BoardName, user: BoardUser, access: BoardAccess, stores: { boards: BoardStore; orders: OrderStore }): Promise<BoardSnapshot> {
  const time = Date.now()
  if (board === 'ed') {
    const transports = (await stores.boards.transports()).filter((t) => access.canSee(user, { site: t.destination_site, ward: null }))
    const ids = transports.map((t) => t.patient_id)
    const [cards, ecg] = await Promise.all([stores.boards.cards(ids), stores.boards.ecg(ids)])
    return { board, time, transports, cards, ecg }
  }
  const encounters = (await stores.boards.openEncounters(board === 'icu' ? 'icu_stay' : 'ed_arrival')).filter((e) => access.canSee(user, { site: e.site, ward: e.ward }))
  const ids = encounters.map((e) => e.patient_id)
  if (board === 'triage') return { board, time, encounters, cards: await stores.boards.cards(ids) }
  const [cards, orders] = await Promise.all([stores.boards.cards(ids), stores.orders.forPatients(ids)])
  return { board, time, encounters, cards, orders, alarms: [] }
}

/** Patients in a snapshot, for the audit trail. */
export function patientsOf(s: BoardSnapshot): string[] {
  return s.cards.map((c) => c.patient_id)
}
