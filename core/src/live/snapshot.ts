// The snapshot a board opens with: only the patients the user may see, read from ClickHouse once.
import type { AlarmStore, BoardEncounter, BoardInfusion, InfusionStore, BoardName, BoardStore, BoardTransport, EcgTrace, OrderStore, PatientCard } from '@neva/analytics'
import { ED_WARD, type Order } from '@neva/contracts'
import type { BoardAccess, BoardUser } from './access.js'
import type { BoardAlarm, PlaceAlarm } from './bus.js'

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
  /** ICU board: active alarms of its patients, highest priority first. */
  alarms?: Array<BoardAlarm & { patient_id: string }>
  /** ICU board: each pump channel's latest report, beside the bed's orders. */
  infusions?: BoardInfusion[]
  /** ICU board: active alarms naming no patient (a gateway silent) of the places the user is granted. */
  place_alarms?: PlaceAlarm[]
}

export interface BoardStores {
  boards: BoardStore
  orders: OrderStore
  alarms: AlarmStore
  /** Absent: the board shows no pumps. */
  infusions?: InfusionStore
}

export async function buildSnapshot(board: BoardName, user: BoardUser, access: BoardAccess, stores: BoardStores): Promise<BoardSnapshot> {
  const time = Date.now()
  if (board === 'ed') {
    const transports = (await stores.boards.transports()).filter((t) => access.canSee(user, { site: t.destination_site, ward: ED_WARD }))
    const ids = transports.map((t) => t.patient_id)
    // Only what the transport's own gateway sent: a transport cannot pull in a patient's history.
    const sources = transports.map((t) => ({ patient_id: t.patient_id, gateway_id: t.gateway_id }))
    const [cards, ecg] = await Promise.all([stores.boards.cards(ids, sources), stores.boards.ecg(ids, sources)])
    return { board, time, transports, cards, ecg }
  }
  const encounters = (await stores.boards.openEncounters(board === 'icu' ? 'icu_stay' : 'ed_arrival')).filter((e) => access.canSee(user, { site: e.site, ward: e.ward }))
  const ids = encounters.map((e) => e.patient_id)
  if (board === 'triage') return { board, time, encounters, cards: await stores.boards.cards(ids) }
  const [cards, orders, active, infusions, placeless] = await Promise.all([
    stores.boards.cards(ids), stores.orders.forPatients(ids), stores.alarms.activeForPatients({ patientIds: ids }), stores.infusions?.latestForPatients(ids) ?? [],
    stores.alarms.activeWithoutPatient(200),
  ])
  const beds = new Set(ids)
  const alarms = active.filter((a) => a.patient_id !== null && beds.has(a.patient_id)).map((a): BoardAlarm & { patient_id: string } => ({
    patient_id: a.patient_id!, alarm_id: a.alarm_id, device_id: a.device_id, priority: a.priority, state: a.state, alert_type: a.alert_type, event_name: a.event_name, event_text: a.event_text,
    value: a.value, unit: a.unit, limit_low: a.limit_low, limit_high: a.limit_high, bed: a.bed, first_time: a.first_time, last_time: a.last_time, ack: a.ack,
  }))
  const place_alarms = placeless.filter((a) => a.facility !== null && access.canSee(user, { site: a.facility, ward: a.ward })).map((a): PlaceAlarm => ({
    site: a.facility!, ward: a.ward, alarm_id: a.alarm_id, device_id: a.device_id, priority: a.priority, state: a.state, alert_type: a.alert_type, event_name: a.event_name, event_text: a.event_text,
    value: a.value, unit: a.unit, limit_low: a.limit_low, limit_high: a.limit_high, bed: a.bed, first_time: a.first_time, last_time: a.last_time, ack: a.ack,
  }))
  return { board, time, encounters, cards, orders, alarms, infusions, place_alarms }
}

/** Patients in a snapshot, for the audit trail: every one whose record it shows anything of. */
export function patientsOf(s: BoardSnapshot): string[] {
  return [...new Set([...s.cards.map((c) => c.patient_id), ...(s.encounters ?? []).map((e) => e.patient_id), ...(s.transports ?? []).map((t) => t.patient_id)])]
}
