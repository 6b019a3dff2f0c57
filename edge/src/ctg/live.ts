// Live CTG classification at the edge: a fetal monitor's FHR and UC chunks, once durable, are
// laid on one timeline per patient and monitor; every minute of trace the last `windowMin`
// minutes are classified by FIGO 2015 (@neva/triage). A verdict is appended to the outbox when the
// class changes, and every `keepEveryMin` while it stays (so the reasons shown stay current); a
// pathological trace raises the ordinary alarm, ended when the trace has not been pathological for
// `clearAfter` classifications in a row.
// Driven by the trace's own time, not the clock: a recording sent fast is classified as it would
// have been live.
import { WAVEFORM_MISSING, type CtgVerdict, type KindDraft } from '@neva/contracts'
import type { Decoded } from '@neva/firmware-adapters'
import { classifyCtg, fhrFromBpm, type CtgClassification } from '@neva/triage'
import type { Outbox, OutboxEntry } from '../outbox/types.js'
import type { Log } from '../log.js'
import { ctgAlarm } from './ctg.js'

export interface CtgStageOptions {
  outbox: Outbox
  log?: Log
  /** Minutes classified each time (FIGO's reduced variability needs > 50 min, sinusoidal > 30). */
  windowMin?: number
  /** Minutes of trace between classifications. */
  everyMin?: number
  /** No verdict before this many minutes of trace. */
  minMinutes?: number
  /** A verdict that stays the same is kept again after this many minutes. */
  keepEveryMin?: number
  /**
   * The alarm ends only after this many classifications in a row were not pathological: a
   * finding at the window's edge must not raise and end the alarm minute after minute.
   */
  clearAfter?: number
  now?: () => number
}

interface Location { pointOfCare?: string; room?: string; bed?: string; facility?: string }

interface Timeline {
  patientId: string
  deviceId: string
  source: Decoded['source']
  hz: number
  /** Time of fhr[0]. */
  start: number
  fhr: number[]
  uc: number[]
  /** End of the trace at the last classification. */
  evaluatedTo: number
  kept?: { classification: string; time: number }
  alarmActive: boolean
  /** Classifications in a row that were not pathological while the alarm is on. */
  calm: number
  location: Location
}

export class CtgStage {
  private readonly timelines = new Map<string, Timeline>()
  private readonly o: Required<Omit<CtgStageOptions, 'log'>> & { log?: Log }
  /** Classifications made, verdicts kept and alarms raised: for /status and tests. */
  readonly counts = { classified: 0, verdicts: 0, alarms: 0 }

  constructor(options: CtgStageOptions) {
    this.o = { windowMin: 60, everyMin: 1, minMinutes: 10, keepEveryMin: 10, clearAfter: 5, now: Date.now, ...options }
  }

  /** The latest verdict's class per patient|device (tests, /status). */
  latest(patientId: string, deviceId: string): string | undefined {
    return this.timelines.get(`${patientId}|${deviceId}`)?.kept?.classification
  }

  /** A durable message's CTG chunks; resolves once the verdicts and alarms they caused are durable. */
  async consume(decoded: Decoded): Promise<void> {
    const entries: OutboxEntry[] = []
    const touched = new Set<Timeline>()
    const location = (decoded as { location?: Location }).location ?? {}
    for (const w of decoded.waveforms ?? []) {
      if (w.signal_kind !== 'fhr' && w.signal_kind !== 'uc') continue
      const key = `${w.patient_id}|${w.device_id}`
      let t = this.timelines.get(key)
      if (!t || t.hz !== w.sample_rate_hz) {
        t = { patientId: w.patient_id, deviceId: w.device_id, source: decoded.source, hz: w.sample_rate_hz, start: w.start_time, fhr: [], uc: [], evaluatedTo: w.start_time, alarmActive: t?.alarmActive ?? false, calm: 0, location }
        this.timelines.set(key, t)
      }
      t.location = { ...t.location, ...location }
      lay(t, w.signal_kind === 'fhr' ? t.fhr : t.uc, w.start_time, w.samples, w.resolution_uv)
      touched.add(t)
    }
    for (const t of touched) entries.push(...this.evaluate(t))
    if (entries.length > 0) await this.o.outbox.append(entries)
  }

  private evaluate(t: Timeline): OutboxEntry[] {
    const end = t.start + (t.fhr.length * 1000) / t.hz
    if (end - t.evaluatedTo < this.o.everyMin * 60_000 || (t.fhr.length / t.hz) / 60 < this.o.minMinutes) return []
    t.evaluatedTo = end
    const n = Math.min(t.fhr.length, Math.round(this.o.windowMin * 60 * t.hz))
    const from = t.fhr.length - n
    const fhr = fhrFromBpm(t.fhr.slice(from))
    const uc = Float64Array.from({ length: n }, (_, i) => t.uc[from + i] ?? NaN)
    const c = classifyCtg({ hz: t.hz, fhr, uc })
    this.counts.classified++
    const windowStart = Math.round(t.start + (from * 1000) / t.hz)
    const out: OutboxEntry[] = []
    const now = this.o.now()
    if (!t.kept || t.kept.classification !== c.classification || end - t.kept.time >= this.o.keepEveryMin * 60_000) {
      out.push({ kind: 'ctg_verdict', body: verdict(c, t, windowStart, Math.round(end), now) })
      t.kept = { classification: c.classification, time: end }
      this.counts.verdicts++
    }
    const pathological = c.classification === 'pathological'
    t.calm = pathological ? 0 : t.calm + 1
    if (pathological ? !t.alarmActive : t.alarmActive && t.calm >= this.o.clearAfter) {
      t.alarmActive = pathological
      const { gateway_id: _g, seq: _s, ...alarm } = ctgAlarm(c, { gatewayId: 'gw', seq: 1, deviceId: t.deviceId, patientId: t.patientId, receivedTime: now }, pathological ? 'active' : 'inactive')
      const l = t.location
      out.push({ kind: 'alarm', body: { ...alarm, source: t.source, ward: l.pointOfCare || null, room: l.room || null, bed: l.bed || null, facility: l.facility || null, device_time: Math.round(end) } })
      if (pathological) this.counts.alarms++
      this.o.log?.(pathological ? 'warn' : 'info', pathological ? 'CTG pathological' : 'CTG no longer pathological', { patient: t.patientId, device: t.deviceId })
    }
    // Keep only the window: older samples are classified no more.
    const keep = Math.round(this.o.windowMin * 60 * t.hz)
    if (t.fhr.length > keep * 1.5) {
      const drop = t.fhr.length - keep
      t.fhr.splice(0, drop)
      t.uc.splice(0, drop)
      t.start += (drop * 1000) / t.hz
    }
    return out
  }
}

/** Lays a chunk's values on the timeline at its time; a gap before it stays missing, older samples are dropped. */
function lay(t: Timeline, into: number[], startTime: number, samples: readonly number[], resolution: number): void {
  const at = Math.round(((startTime - t.start) * t.hz) / 1000)
  for (let i = 0; i < samples.length; i++) {
    const k = at + i
    if (k < 0) continue
    while (into.length < k) into.push(NaN)
    const s = samples[i]!
    into[k] = s === WAVEFORM_MISSING ? NaN : s * resolution
  }
}

function verdict(c: CtgClassification, t: Timeline, windowStart: number, time: number, now: number): KindDraft<'ctg_verdict'> {
  const decels = (type: string) => c.decelerations.filter((d) => d.type === type).length
  const body: Omit<CtgVerdict, 'gateway_id' | 'seq'> = {
    patient_id: t.patientId, device_id: t.deviceId, window_start: windowStart, time,
    minutes: Math.round(c.minutes * 10) / 10, classification: c.classification,
    reasons: c.reasons.slice(0, 32).map((r) => r.slice(0, 512)), notes: c.notes.slice(0, 32).map((r) => r.slice(0, 512)),
    baseline_bpm: c.baseline_bpm, variability_bpm: c.variability_bpm, accelerations: c.accelerations,
    early_decelerations: decels('early'), variable_decelerations: decels('variable'), late_decelerations: decels('late'), prolonged_decelerations: decels('prolonged'),
    contractions: c.contractions, signal_loss_pct: c.signal_loss_pct, received_time: now,
  }
  return body
}
