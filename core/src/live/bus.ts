// The live bus: what the boards stream, published in-process right after each commit (an ingest
// batch, record events, an order change, an alarm acknowledgement). Publishing costs no
// ClickHouse query: where each patient is (which board, which site and ward, for the grants) is
// kept here, loaded once at start-up and then followed from the events themselves.
import { ED_WARD, OTHER_METRIC, type Alarm, type Encounter, type IngestBatch, type Order, type Transport } from '@neva/contracts'
import type { AlarmAck, AlarmView, BoardInfusion, BoardName, BoardPlace, BoardTriage, EcgTrace } from '@neva/analytics'

export type LiveEvent =
  | { type: 'vitals'; patient_id: string; readings: Array<{ name: string; value: number; unit: string; time: number; flags: string[] }> }
  | { type: 'triage'; patient_id: string; triage: BoardTriage }
  | { type: 'ecg'; patient_id: string; traces: EcgTrace[] }
  | { type: 'transport'; patient_id: string; transport: Omit<Transport, 'gateway_id' | 'seq' | 'received_time'> }
  | { type: 'encounter'; patient_id: string; encounter: Omit<Encounter, 'type'> }
  | { type: 'order'; patient_id: string; order: Order }
  /** An alarm's latest update (an inactive one leaves the board); `ack` only in an acknowledgement. */
  | { type: 'alarm'; patient_id: string; alarm: BoardAlarm }
  | { type: 'alarm_ack'; patient_id: string; ack: AlarmAck }
  /** A pump channel's latest report (ICU board, beside the bed's orders). */
  | { type: 'infusion'; patient_id: string; infusion: BoardInfusion }
  /** An alarm naming no patient (a gateway silent): on the ICU boards of its place, no record viewed. */
  | { type: 'place_alarm'; alarm: PlaceAlarm }

/** What a board shows of an alarm: the store's view, or an update straight from a batch. */
export type BoardAlarm = Pick<AlarmView, 'alarm_id' | 'device_id' | 'priority' | 'state' | 'alert_type' | 'event_name' | 'event_text' | 'value' | 'unit' | 'limit_low' | 'limit_high' | 'bed'> & {
  first_time: number
  last_time: number
  ack: AlarmAck | null
}

/** A patient-less alarm with its place: the site (the alarm's facility) and ward (null: the whole site). */
export type PlaceAlarm = BoardAlarm & { site: string; ward: string | null }

/** An event with where it may be seen: a subscriber shows it to a user who can see one of these places. */
export interface Delivery {
  event: LiveEvent
  places: BoardPlace[]
}

export type LiveListener = (delivery: Delivery) => void

/** What a patient's page hears of them: the kind of record that changed (no data; the page reads it again, granted and audited). */
export type PatientChange = LiveEvent['type'] | 'lab_order'
export type PatientWatcher = (change: PatientChange) => void

export class LiveBus {
  /** patient → board → place. */
  private readonly where = new Map<string, Map<BoardName, BoardPlace>>()
  private readonly listeners = new Set<LiveListener>()
  /** patient → the pages open on them: they hear the patient whether or not any board shows them. */
  private readonly watchers = new Map<string, Set<PatientWatcher>>()
  published = 0
  listenerErrors = 0
  /** The latest transport time per patient: a late, older message does not move them back. */
  private readonly transportTime = new Map<string, number>()

  /** Replaces what is known of where patients are (at start-up, from ClickHouse). */
  load(places: readonly BoardPlace[]): void {
    this.where.clear()
    for (const p of places) this.place(p)
  }

  placesOf(patientId: string): BoardPlace[] {
    return [...(this.where.get(patientId)?.values() ?? [])]
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Every change of one patient's records, on a board or not (the patient page's stream). */
  watch(patientId: string, watcher: PatientWatcher): () => void {
    let set = this.watchers.get(patientId)
    if (!set) this.watchers.set(patientId, (set = new Set()))
    set.add(watcher)
    return () => {
      set.delete(watcher)
      if (set.size === 0 && this.watchers.get(patientId) === set) this.watchers.delete(patientId)
    }
  }

  /** How many pages are open on this patient (for tests and metrics). */
  watching(patientId: string): number {
    return this.watchers.get(patientId)?.size ?? 0
  }

  /** A lab order of the patient changed (placed, collected, …): their page hears it; no board shows lab orders. */
  publishLabOrder(patientId: string): void {
    this.tell(patientId, 'lab_order')
  }

  get subscribers(): number {
    return this.listeners.size
  }

  /**
   * A stored ingest batch: vitals, triage, ECG and transports, per patient. On the ED board a
   * patient's readings are seen only when they come from the gateway whose transport put them
   * there (BoardPlace.gateway_id); other boards see every gateway's.
   */
  publishBatch(batch: IngestBatch): void {
    // Transports first: a patient's first vitals may come in the batch that puts them en route.
    for (const t of batch.transports ?? []) this.publishTransport(t)
    const from = (patientId: string) => this.placesOf(patientId).filter((p) => p.board !== 'ed' || p.gateway_id === batch.gateway_id)
    const vitals = new Map<string, Extract<LiveEvent, { type: 'vitals' }>['readings']>()
    for (const o of batch.observations) {
      // Coded metrics beyond the named vitals ('other') are stored and queried by code, not drawn as vitals.
      if (o.name === OTHER_METRIC || o.value === undefined) continue
      let list = vitals.get(o.patient_id)
      if (!list) vitals.set(o.patient_id, (list = []))
      list.push({ name: o.name, value: o.value, unit: o.unit, time: o.device_time, flags: o.flags })
    }
    for (const [patient_id, readings] of vitals) this.emit({ type: 'vitals', patient_id, readings }, from(patient_id))
    for (const t of batch.triage) {
      this.emit({
        type: 'triage',
        patient_id: t.patient_id,
        triage: { level: t.level, news2_score: t.news2.score, news2_partial: t.news2.partial, news2_level: t.news2.level, model_level: t.model?.level ?? null, time: t.time },
      }, from(t.patient_id))
    }
    const ecg = new Map<string, EcgTrace[]>()
    for (const w of batch.waveforms ?? []) {
      // A fetal monitor's signals are no ECG lead: the CTG page follows them (ctg events).
      if ((w.signal_kind ?? 'ecg') !== 'ecg') continue
      let list = ecg.get(w.patient_id)
      if (!list) ecg.set(w.patient_id, (list = []))
      list.push({ lead: w.lead, start_time: w.start_time, sample_rate_hz: w.sample_rate_hz, resolution_uv: w.resolution_uv, samples: w.samples })
    }
    for (const [patient_id, traces] of ecg) this.emit({ type: 'ecg', patient_id, traces }, from(patient_id))
    for (const a of batch.alarms ?? []) {
      if (a.patient_id !== null) this.emit({ type: 'alarm', patient_id: a.patient_id, alarm: boardAlarm(a) }, from(a.patient_id))
      // An alarm without a patient is on the ICU boards of its place; without a site, on none (the store has it).
      else if (a.facility !== null) this.emit({ type: 'place_alarm', alarm: { ...boardAlarm(a), site: a.facility, ward: a.ward } }, [{ board: 'icu', patient_id: '', site: a.facility, ward: a.ward }])
    }
    for (const i of batch.infusion_events ?? []) {
      if (i.patient_id === null) continue
      const infusion: BoardInfusion = {
        patient_id: i.patient_id, device_id: i.device_id, channel: i.channel, order_id: i.order_id, drug: i.drug, rate: i.rate, rate_unit: i.rate_unit,
        volume_infused: i.volume_infused, volume_unit: i.volume_unit, program_state: i.program_state, pump_state: i.pump_state, time: i.received_time,
      }
      this.emit({ type: 'infusion', patient_id: i.patient_id, infusion }, from(i.patient_id))
    }
  }

  private publishTransport(t: Transport): void {
    if ((this.transportTime.get(t.patient_id) ?? -1) > t.updated_time) return
    this.transportTime.set(t.patient_id, t.updated_time)
    const place: BoardPlace = { board: 'ed', patient_id: t.patient_id, site: t.destination_site, ward: ED_WARD, gateway_id: t.gateway_id }
    const before = this.placesOf(t.patient_id)
    if (t.state === 'en_route') this.place(place)
    else this.unplace(t.patient_id, 'ed')
    const { gateway_id: _g, seq: _s, received_time: _r, ...transport } = t
    // Seen where it is going and where it was going (a diverted ambulance leaves the old board too).
    this.emit({ type: 'transport', patient_id: t.patient_id, transport }, [place, ...before.filter((p) => p.board === 'ed')])
  }

  /** Stored record events: encounters move patients on and off the ICU board and the triage queue. */
  publishEncounters(encounters: readonly Encounter[]): void {
    for (const e of encounters) {
      const board: BoardName | undefined = e.kind === 'icu_stay' ? 'icu' : e.kind === 'ed_arrival' ? 'triage' : undefined
      if (!board) continue
      const place: BoardPlace = { board, patient_id: e.patient_id, site: e.site, ward: e.ward }
      const before = this.placesOf(e.patient_id).filter((p) => p.board === board)
      if (e.end_time === null) this.place(place)
      else this.unplace(e.patient_id, board)
      const { type: _, ...encounter } = e
      this.emit({ type: 'encounter', patient_id: e.patient_id, encounter }, [place, ...before])
    }
  }

  publishOrder(order: Order): void {
    this.emit({ type: 'order', patient_id: order.patient_id, order })
  }

  publishAlarmAck(patientId: string, ack: AlarmAck): void {
    this.emit({ type: 'alarm_ack', patient_id: patientId, ack })
  }

  private place(p: BoardPlace): void {
    let boards = this.where.get(p.patient_id)
    if (!boards) this.where.set(p.patient_id, (boards = new Map()))
    boards.set(p.board, p)
  }

  private unplace(patientId: string, board: BoardName): void {
    const boards = this.where.get(patientId)
    boards?.delete(board)
    if (boards?.size === 0) this.where.delete(patientId)
  }

  private tell(patientId: string, change: PatientChange): void {
    for (const watcher of this.watchers.get(patientId) ?? []) {
      try {
        watcher(change)
      } catch {
        this.listenerErrors++
      }
    }
  }

  /** Events of patients on no board reach only the pages open on them (the boards are not watching). */
  private emit(event: LiveEvent, places = event.type === 'place_alarm' ? [] : this.placesOf(event.patient_id)): void {
    if (event.type !== 'place_alarm') this.tell(event.patient_id, event.type)
    if (places.length === 0) return
    this.published++
    const delivery = { event, places }
    for (const listener of this.listeners) {
      // A subscriber's failure is its own: the batch is committed and the others still hear it.
      try {
        listener(delivery)
      } catch {
        this.listenerErrors++
      }
    }
  }
}

/** One update as the board needs it; the page keeps first_time of an alarm it already shows. */
function boardAlarm(a: Alarm): BoardAlarm {
  const time = a.device_time ?? a.received_time
  return {
    alarm_id: a.alarm_id, device_id: a.device_id, priority: a.priority, state: a.state, alert_type: a.alert_type, event_name: a.event_name, event_text: a.event_text,
    value: a.value, unit: a.unit, limit_low: a.limit_low, limit_high: a.limit_high, bed: a.bed, first_time: time, last_time: time, ack: null,
  }
}
