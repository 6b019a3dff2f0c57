// A ward of bedside monitors sending IHE PCD-01 ORU^R01 over MLLP, one TCP connection per bed as
// real monitors do. Each bed's patient is driven by the physiology engine; every tick the monitor
// reports HR, pulse rate, SpO2 and RR, temperature every minute and NIBP every few minutes
// (simulated time). When a vital crosses one of the bed's alarm limits the monitor also sends an
// IHE PCD-04 ORU^R40 (phase start), and another (phase end, state inactive) once it is back inside
// the limit; the gateway stores both as updates of one alarm. A bed with a `pump` also has an
// infusion pump reporting through the same connection (as a pump gateway would): an IHE PCD-10
// ORU^R42 when it starts, every `pumpIntervalS` simulated seconds while it delivers, and when the
// volume to be infused is reached (delivery stopped).
//
// HL7 original mode, one connection per bed: each bed sends through its own MllpSender
// (mllp-sender.ts, where the states of a message are drawn).
import type { AlarmPriority } from '@neva/contracts'
import { MDC_EVT, encodeOruR01, encodeOruR40, encodeOruR42, type OruReadingInput } from '@neva/firmware-adapters'
import { MllpSender, type MllpSenderCounters } from './mllp-sender.js'
import { SimulatedPatient, type PatientSpec, type VitalSample } from './physiology/patient.js'

export interface Hl7MonitorBed {
  /** PV1-3 bed, and part of the monitor's device id. */
  bed: string
  room?: string
  patient: PatientSpec
  /** An infusion running at this bed (device `${monitorId}-${bed}-pump`). */
  pump?: SimulatedInfusion
}

export interface SimulatedInfusion {
  drug: string
  /** mg/mL. */
  concentration: number
  /** mL/h. */
  rate: number
  /** mL; delivery stops when it is reached. */
  volumeToBeInfused: number
  /** OBR-2: the order it carries out. */
  orderId?: string
}

/** An alarm limit of a monitor: below `low` or above `high` raises an alarm of `priority`. */
export interface AlarmLimit {
  vital: 'spo2' | 'heart_rate' | 'respiratory_rate'
  low?: number
  high?: number
  priority: AlarmPriority
}

/** Adult bedside defaults (a desaturation is high priority, IEC 60601-1-8 style). */
export const DEFAULT_ALARM_LIMITS: readonly AlarmLimit[] = [
  { vital: 'spo2', low: 90, priority: 'high' },
  { vital: 'heart_rate', low: 45, high: 130, priority: 'medium' },
  { vital: 'respiratory_rate', low: 8, high: 28, priority: 'medium' },
]

export interface Hl7MonitorOptions {
  /** The gateway's MLLP listener. */
  host: string
  port: number
  /** MSH-3; each bed's monitor is `${monitorId}-${bed}` (OBX-18). */
  monitorId: string
  /** PV1-3 point of care and MSH-4. Default 'WARD'. */
  ward?: string
  beds: Hl7MonitorBed[]
  /** Real time between reports. Default 1000 ms. */
  intervalMs?: number
  /** Simulated seconds per real second. Default 1. */
  timeScale?: number
  /** Simulated seconds between NIBP measurements. Default 180. */
  nibpIntervalS?: number
  /** Simulated seconds between temperatures. Default 60. */
  temperatureIntervalS?: number
  /** No ACK this long: reconnect and resend. Default 10 s. */
  ackTimeoutMs?: number
  /** Reconnection backoff, first and longest delay. Defaults 250 ms and 5 s. */
  reconnectMinMs?: number
  reconnectMaxMs?: number
  /** Resends after an AE before giving the message up. Default 5. */
  maxErrorResends?: number
  /** Messages a monitor keeps while the gateway is unreachable; the oldest go first. Default 600. */
  maxQueue?: number
  /** Offset written in message times. Default 0 (UTC). */
  utcOffsetMinutes?: number
  onSample?: (patientId: string, sample: VitalSample) => void
  /** Simulated seconds between a delivering pump's ORU^R42. Default 30. */
  pumpIntervalS?: number
  /** Alarm limits of every bed; default DEFAULT_ALARM_LIMITS, [] sends no alarms. */
  alarmLimits?: readonly AlarmLimit[]
}

/** The beds' MLLP counters added up (see MllpSenderCounters), and the monitor's own. */
export interface Hl7MonitorStats extends MllpSenderCounters {
  /** Waiting, the one in flight included. */
  queued: number
  /** Beds connected now. */
  connected: number
  /** ORU^R40 written for the first time: alarms raised, and alarms ended. */
  alarmsRaised: number
  alarmsEnded: number
  /** ORU^R42 written for the first time. */
  infusionEvents: number
}

export class Hl7Monitor {
  private readonly links: BedLink[]
  private readonly counters = { sent: 0, resent: 0, acked: 0, errors: 0, rejected: 0, dropped: 0, reconnects: 0, alarmsRaised: 0, alarmsEnded: 0, infusionEvents: 0 }
  private timer: NodeJS.Timeout | undefined
  private tick = 0

  constructor(private readonly options: Hl7MonitorOptions) {
    this.links = options.beds.map((bed) => new BedLink(bed, options, this.counters))
  }

  /** Connects every bed (retrying until the gateway answers) and starts reporting. */
  async start(): Promise<void> {
    for (const link of this.links) link.connect()
    this.report()
    this.timer = setInterval(() => this.report(), this.options.intervalMs ?? 1000)
  }

  /** Stops reporting; waits up to `drainMs` for queued messages to be acknowledged, then disconnects. */
  async stop(drainMs = 0): Promise<void> {
    clearInterval(this.timer)
    const deadline = Date.now() + drainMs
    while (Date.now() < deadline && this.links.some((l) => l.queued > 0)) await new Promise((r) => setTimeout(r, 20))
    await Promise.all(this.links.map((l) => l.close()))
  }

  stats(): Hl7MonitorStats {
    return {
      ...this.counters,
      queued: this.links.reduce((n, l) => n + l.queued, 0),
      connected: this.links.filter((l) => l.connected).length,
    }
  }

  private report(): void {
    const dt = ((this.options.intervalMs ?? 1000) / 1000) * (this.options.timeScale ?? 1)
    for (const link of this.links) link.report(dt, this.tick)
    this.tick++
  }
}

/** One bed's monitor: its patient, its MLLP connection and its queue. */
class BedLink {
  private readonly patient: SimulatedPatient
  private readonly deviceId: string
  private readonly tag: string
  private readonly sender: MllpSender
  private lastNibpS = -Infinity
  private lastTemperatureS = -Infinity
  private seq = 0
  /** The pump: mL infused so far, when it last reported (simulated s), stopped once done. */
  private infused = 0
  private lastPumpS = -Infinity
  private pumpStopped = false
  /** Alarms raised and not yet ended, by limit ("spo2:low"), with their alert id. */
  private readonly activeAlarms = new Map<string, string>()

  constructor(
    private readonly bed: Hl7MonitorBed,
    private readonly options: Hl7MonitorOptions,
    private readonly counters: Omit<Hl7MonitorStats, 'queued' | 'connected'>,
  ) {
    this.patient = new SimulatedPatient(bed.patient)
    this.deviceId = `${options.monitorId}-${bed.bed}`.replace(/[^A-Za-z0-9._:/-]/g, '_')
    // Unique across restarts of the simulator: a gateway remembers control ids it stored.
    this.tag = `${bed.bed}.${Date.now().toString(36)}`
    const { host, port, ackTimeoutMs, reconnectMinMs, reconnectMaxMs, maxErrorResends } = options
    this.sender = new MllpSender({ host, port, ackTimeoutMs, reconnectMinMs, reconnectMaxMs, maxErrorResends, maxQueue: options.maxQueue ?? 600 }, counters)
  }

  get queued(): number {
    return this.sender.queued
  }

  get connected(): boolean {
    return this.sender.connected
  }

  connect(): void {
    this.sender.connect()
  }

  close(): Promise<void> {
    return this.sender.close()
  }

  report(dt: number, tick: number): void {
    const sample = this.patient.step(dt)
    this.options.onSample?.(this.bed.patient.id, sample)
    const now = Date.now()
    const readings: OruReadingInput[] = [
      { vital: 'heart_rate', value: sample.heart_rate },
      { vital: 'pulse_rate', value: sample.pulse_rate },
      { vital: 'spo2', value: sample.spo2 },
      { vital: 'respiratory_rate', value: sample.respiratory_rate },
    ]
    if (sample.t - this.lastTemperatureS >= (this.options.temperatureIntervalS ?? 60)) {
      this.lastTemperatureS = sample.t
      readings.push({ vital: 'temperature', value: sample.temperature })
    }
    if (sample.t - this.lastNibpS >= (this.options.nibpIntervalS ?? 180)) {
      // An episodic measurement: its own time in OBX-14 (IHE PCD TF-2 B.8.5).
      this.lastNibpS = sample.t
      for (const vital of ['nibp_systolic', 'nibp_diastolic', 'nibp_mean'] as const) readings.push({ vital, value: sample[vital], time: now })
    }
    const ward = this.options.ward ?? 'WARD'
    const controlId = `${this.tag}.${(this.seq++).toString(36)}.${tick}`
    const message = encodeOruR01({
      controlId, time: now, utcOffsetMinutes: this.options.utcOffsetMinutes ?? 0, sendingApplication: this.options.monitorId, sendingFacility: ward,
      patientId: this.bed.patient.id, equipmentId: this.deviceId, location: { pointOfCare: ward, ...(this.bed.room ? { room: this.bed.room } : {}), bed: this.bed.bed }, readings,
    })
    this.enqueue(controlId, message)
    this.checkLimits(sample, now, tick)
    this.reportPump(dt, sample.t, now, tick)
  }

  private reportPump(dt: number, t: number, now: number, tick: number): void {
    const infusion = this.bed.pump
    if (!infusion || this.pumpStopped) return
    this.infused = Math.min(infusion.volumeToBeInfused, this.infused + (infusion.rate * dt) / 3600)
    const done = this.infused >= infusion.volumeToBeInfused
    const first = this.lastPumpS === -Infinity
    if (!first && !done && t - this.lastPumpS < (this.options.pumpIntervalS ?? 30)) return
    this.lastPumpS = t
    if (done) this.pumpStopped = true
    const ward = this.options.ward ?? 'WARD'
    const controlId = `${this.tag}.${(this.seq++).toString(36)}.p${tick}`
    this.enqueue(controlId, encodeOruR42({
      controlId, time: now, sendingApplication: this.options.monitorId, patientId: this.bed.patient.id, equipmentId: `${this.deviceId}-pump`,
      location: { pointOfCare: ward, ...(this.bed.room ? { room: this.bed.room } : {}), bed: this.bed.bed }, ...(infusion.orderId ? { orderId: infusion.orderId } : {}),
      event: done ? 'stop' : 'start', drug: infusion.drug, concentration: infusion.concentration, rate: done ? 0 : infusion.rate,
      volumeInfused: Math.round(this.infused * 100) / 100, volumeToBeInfused: infusion.volumeToBeInfused, state: done ? 'stopped' : 'delivering',
    }))
    this.counters.infusionEvents++
  }

  private enqueue(controlId: string, message: string): void {
    this.sender.send(controlId, message)
  }

  /** Raises an alarm when a vital leaves its limits, ends it once the vital is back inside (by one unit, so it does not flap). */
  private checkLimits(sample: VitalSample, now: number, tick: number): void {
    const ward = this.options.ward ?? 'WARD'
    for (const limit of this.options.alarmLimits ?? DEFAULT_ALARM_LIMITS) {
      const value = sample[limit.vital]
      for (const side of ['low', 'high'] as const) {
        const bound = limit[side]
        if (bound === undefined) continue
        const key = `${limit.vital}:${side}`
        const outside = side === 'low' ? value < bound : value > bound
        const backInside = side === 'low' ? value >= bound + 1 : value <= bound - 1
        const alertId = this.activeAlarms.get(key)
        if (alertId === undefined ? !outside : !backInside) continue
        const id = alertId ?? `${this.tag}.${key}.${tick}`
        const ending = alertId !== undefined
        const event = side === 'low' ? MDC_EVT.LO : MDC_EVT.HI
        const controlId = `${this.tag}.${(this.seq++).toString(36)}.a${tick}`
        const message = encodeOruR40({
          controlId, time: now, utcOffsetMinutes: this.options.utcOffsetMinutes ?? 0,
          sendingApplication: this.options.monitorId, sendingFacility: ward, patientId: this.bed.patient.id, equipmentId: this.deviceId,
          location: { pointOfCare: ward, ...(this.bed.room ? { room: this.bed.room } : {}), bed: this.bed.bed }, alertId: id,
          event: { code: event[0], name: event[1], text: `${limit.vital.replace('_', ' ')} ${side}` }, vital: limit.vital, value: Math.round(value * 10) / 10,
          limits: { ...(limit.low !== undefined ? { low: limit.low } : {}), ...(limit.high !== undefined ? { high: limit.high } : {}) },
          priority: limit.priority, alertType: 'physiological', phase: ending ? 'end' : 'start', state: ending ? 'inactive' : 'active',
        })
        this.enqueue(controlId, message)
        if (ending) {
          this.activeAlarms.delete(key)
          this.counters.alarmsEnded++
        } else {
          this.activeAlarms.set(key, id)
          this.counters.alarmsRaised++
        }
      }
    }
  }
}
