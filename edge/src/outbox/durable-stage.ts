// Durable stage: decoded readings and refusals go into the outbox; once durable, readings go on
// to triage (a device's acknowledgement never waits for scoring).
import { screenIds, type Decoded } from '@neva/firmware-adapters'
import { DECODED_KIND_NAMES, KIND_CAMEL_FIELDS, type DecodedKindName, type KindDraft, type Observation } from '@neva/contracts'
import type { Outbox, OutboxEntry } from './types.js'
import type { EdgeMetrics } from '../metrics.js'
import type { TriageStage } from '../triage/triage-stage.js'
import type { Log } from '../log.js'
import type { DeviceRegistry } from '../sources/devices.js'
import { redactReason } from '../security/redact.js'
import type { CtgStage } from '../ctg/live.js'

export interface RecentRejection {
  code: string
  reason: string
  origin: string
  time: number
}

export class DurableStage {
  private readonly inFlight = new Set<Promise<void>>()
  readonly recentRejections: RecentRejection[] = []

  constructor(
    private readonly outbox: Outbox,
    private readonly next: TriageStage,
    private readonly metrics: EdgeMetrics,
    private readonly log: Log,
    /** Every device heard, for /status: its messages, readings and refusals. */
    private readonly devices?: DeviceRegistry,
    /** Classifies fetal monitors' traces once their chunks are durable. */
    private readonly ctg?: CtgStage,
  ) {}

  async consume(input: Decoded, origin: string): Promise<void> {
    // Tracked until stored, so that settle() also waits for the scoring an append still starts.
    const storing = this.store(input, origin)
    // One derived promise per message, not two, and no named closure (the loader names each one
    // it creates, a cost per message): this runs for every publish of a busy connection.
    const tracked: Promise<void> = storing.then(() => { this.inFlight.delete(tracked) }, () => { this.inFlight.delete(tracked) })
    this.inFlight.add(tracked)
    return storing
  }

  private async store(input: Decoded, origin: string): Promise<void> {
    // Id rule (contracts/src/ids.ts): a draft with a bad id is kept aside, the rest goes on.
    const decoded = screenIds(input)
    const now = Date.now()
    const { source } = decoded
    const entries: OutboxEntry[] = []
    // Drafts of each decoded kind, counted once (DECODED_KIND_NAMES order) for the metrics and /status.
    const counts = new Array<number>(DECODED_KIND_NAMES.length)
    let stored = 0
    for (let k = 0; k < DECODED_KIND_NAMES.length; k++) {
      const kind = DECODED_KIND_NAMES[k]!
      const list = drafts(decoded, kind)
      counts[k] = list.length
      stored += list.length
      for (const body of list) entries.push({ kind, body } as OutboxEntry)
    }
    // Reasons name the field and the rule, never what the device sent: that stays in payload.
    const reasons = decoded.problems.length === 0 ? [] : decoded.problems.map((p) => redactReason(p.reason))
    decoded.problems.forEach((p, i) => {
      const received_time = decoded.observations[0]?.received_time ?? now
      entries.push({ kind: 'rejected', body: { source, origin, received_time, code: p.code, reason: reasons[i]!, payload: p.payload } })
    })
    if (entries.length === 0) {
      this.noteDevice(decoded, origin, now, false, 0)
      this.countIgnored(decoded)
      return
    }
    const seqs = await this.outbox.append(entries, decoded.key)
    this.noteDevice(decoded, origin, now, seqs === null, stored)
    if (seqs === null) {
      // A device's resend of a message already stored: acknowledged again, stored and scored once.
      this.metrics.duplicates.inc()
      return
    }
    for (let k = 0; k < DECODED_KIND_NAMES.length; k++) if (counts[k]! > 0) this.metrics.durable[DECODED_KIND_NAMES[k]!](source, counts[k]!)
    this.countIgnored(decoded)
    decoded.problems.forEach((p, i) => {
      this.metrics.rejected.inc({ code: p.code })
      this.recentRejections.push({ code: p.code, reason: reasons[i]!, origin, time: now })
      if (this.recentRejections.length > 50) this.recentRejections.shift()
      this.log('warn', 'reading refused', { code: p.code, reason: reasons[i], origin })
    })
    if (decoded.patientId && decoded.spo2Scale) this.next.setSpo2Scale(decoded.patientId, decoded.spo2Scale)
    if (this.ctg && decoded.waveforms?.some((w) => w.signal_kind === 'fhr')) {
      const classifying = this.ctg
        .consume(decoded)
        .catch((err: Error) => this.log('error', 'CTG classification failed; the trace is safe in the outbox', { err: err.message }))
        .finally(() => this.inFlight.delete(classifying))
      this.inFlight.add(classifying)
    }
    // Lab results feed the deterioration model's history (GCS and labs arrive as lab results).
    const labs = drafts(decoded, 'lab_result')
    if (decoded.observations.length === 0 && labs.length === 0) return
    const scoring: Promise<void> = this.next.consume(decoded.observations as Observation[], labs).then(() => { this.inFlight.delete(scoring) }, (err: Error) => {
      this.log('error', 'triage failed; readings are safe in the outbox', { err: err.message })
      this.inFlight.delete(scoring)
    })
    this.inFlight.add(scoring)
  }

  /** A message heard from a device; a resend already stored adds no readings and no errors. */
  private noteDevice(decoded: Decoded, origin: string, now: number, duplicate: boolean, drafted: number): void {
    if (decoded.deviceId === undefined || !this.devices) return
    const id = decoded.deviceId
    this.devices.message(id, decoded.source, origin, duplicate ? 0 : drafted, now)
    if (decoded.heartbeatMs !== undefined) this.devices.heartbeat(id, decoded.heartbeatMs)
    // Where the device is: an HL7 message's PV1 (DecodedHl7.location), else an alarm's place.
    const alarm = decoded.alarms?.[0]
    const pv1 = (decoded as { location?: { pointOfCare?: string; room?: string; bed?: string; facility?: string } }).location
    this.devices.context(id, {
      patient_id: decoded.patientId ?? decoded.observations[0]?.patient_id ?? alarm?.patient_id,
      ward: pv1?.pointOfCare || alarm?.ward, room: pv1?.room || alarm?.room, bed: pv1?.bed || alarm?.bed, facility: pv1?.facility || alarm?.facility,
    })
    if (!duplicate) for (const p of decoded.problems) this.devices.error(id, decoded.source, origin, p.code, p.reason)
  }

  private countIgnored(decoded: Decoded): void {
    if (decoded.ignored) for (const i of decoded.ignored) this.metrics.ignored.inc({ source: decoded.source, code: i.code })
  }

  /**
   * Waits for appends and scoring already started, then for the scoring those appends started
   * (drain, and shutdown before the pool and the outbox close). Two snapshots, not a loop until
   * idle: devices still sending must not hold a drain forever.
   */
  async settle(): Promise<void> {
    await Promise.all(this.inFlight)
    await Promise.all(this.inFlight)
  }
}

const NONE: readonly never[] = []

/** A decoded message's drafts of one kind (none when the decoder gave none). */
function drafts<K extends DecodedKindName>(decoded: Decoded, kind: K): readonly KindDraft<K>[] {
  return (decoded[KIND_CAMEL_FIELDS[kind]] as KindDraft<K>[] | undefined) ?? NONE
}
