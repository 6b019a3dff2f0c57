// Device supervision: a device that goes silent is a technical alarm. Every device the gateway has
// heard (the DeviceRegistry: readings, heartbeats such as the Dräger ACM watchdog, a serial or
// OPC UA link that came up) is expected to be heard again within its period; silent longer, the
// supervisor raises an alarm ("no data from bed 2's monitor for 30 s") through the durable stage,
// like any device alarm, and ends it when the device is heard again.
import type { AlarmPriority, SourceProtocol } from '@neva/contracts'
import type { AlarmDraft, Decoded } from '@neva/firmware-adapters'
import { EdgeErrorCode } from '../errors.js'
import type { Log } from '../log.js'
import type { DeviceRegistry } from './devices.js'
import type { DecodedSink } from './source.js'

/** What the alarms carry as their event (no MDC term names "a device stopped reporting"). */
export const SILENCE_EVENT_NAME = EdgeErrorCode.NEVA_EDGE_DEVICE_SILENT
/** The origin the durable stage and the rejected readings see for the supervisor's alarms. */
export const SUPERVISOR_ORIGIN = 'device-supervisor'

export interface SupervisorOptions {
  devices: DeviceRegistry
  next: DecodedSink
  log: Log
  /** Silence allowed per source kind, ms; 0: that kind is not supervised. */
  silenceMs: Readonly<Record<SourceProtocol, number>>
  /** Per device, first match wins: an exact id or a prefix ending in `*`; 0: not supervised. */
  deviceSilenceMs: ReadonlyArray<{ device_id: string; silence_ms: number }>
  checkIntervalMs: number
  priority: AlarmPriority
  /** Injected in tests. */
  now?: () => number
}

const clip = (s: string | null | undefined, n: number) => (s ? s.slice(0, n) : null)

interface Raised {
  alarmId: string
  /** The last time the device was heard before it went silent (what the alarm id is made of). */
  since: number
  source: SourceProtocol
}

export class DeviceSupervisor {
  private readonly raised = new Map<string, Raised>()
  private readonly now: () => number
  /** Devices heard of (a link up) but never heard from: silent since the pass that first saw them. */
  private readonly firstSeen = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private checking: Promise<void> | undefined
  alarmsRaised = 0
  alarmsEnded = 0

  constructor(private readonly options: SupervisorOptions) {
    this.now = options.now ?? Date.now
  }

  start(): void {
    if (this.timer) return
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.checking
  }

  /**
   * The silence a device is allowed, ms; 0 when it is not supervised: its `devices` entry, else
   * the period its own watchdog promised (MDC_ATTR_CONFIRM_TIMEOUT), else its source kind's.
   */
  periodOf(deviceId: string, source: SourceProtocol): number {
    for (const d of this.options.deviceSilenceMs) {
      const match = d.device_id.endsWith('*') ? deviceId.startsWith(d.device_id.slice(0, -1)) : deviceId === d.device_id
      if (match) return d.silence_ms
    }
    return this.options.devices.heartbeatOf(deviceId) ?? this.options.silenceMs[source] ?? 0
  }

  /** Devices with an active silence alarm, for /status and tests. */
  silent(): string[] {
    return [...this.raised.keys()].sort()
  }

  /** One pass: raise for the newly silent, end for the heard again. One pass at a time. */
  check(): Promise<void> {
    this.checking ??= this.pass().finally(() => (this.checking = undefined))
    return this.checking
  }

  private async pass(): Promise<void> {
    const now = this.now()
    for (const d of this.options.devices.snapshot()) {
      const period = this.periodOf(d.device_id, d.source)
      if (!this.firstSeen.has(d.device_id)) this.firstSeen.set(d.device_id, now)
      const heard = d.last_message_time ?? this.firstSeen.get(d.device_id)!
      const raised = this.raised.get(d.device_id)
      if (raised && (heard > raised.since || period === 0)) {
        if (await this.emit(d.device_id, raised, 'inactive', now, (heard > raised.since ? heard : now) - raised.since)) {
          this.raised.delete(d.device_id)
          this.alarmsEnded++
        }
      } else if (!raised && period > 0 && now - heard > period) {
        const r: Raised = { alarmId: `${d.device_id}/silent:${heard}`, since: heard, source: d.source }
        if (await this.emit(d.device_id, r, 'active', now, now - heard)) {
          this.raised.set(d.device_id, r)
          this.alarmsRaised++
        }
      }
    }
  }

  /** True once durable; a failure (the outbox full) is logged and retried at the next pass. */
  private async emit(deviceId: string, r: Raised, state: 'active' | 'inactive', now: number, silentMs: number): Promise<boolean> {
    const ctx = this.options.devices.contextOf(deviceId)
    const seconds = Math.round(silentMs / 1000)
    const who = ctx?.bed ? `bed ${clip(ctx.bed, 64)}'s device ${deviceId}` : `device ${deviceId}`
    const text = state === 'active' ? `no data from ${who} for ${seconds} s` : `${who} heard again after ${seconds} s`
    const alarm: AlarmDraft = {
      alarm_id: r.alarmId, device_id: deviceId, source: r.source, patient_id: ctx?.patient_id ?? null,
      ward: clip(ctx?.ward, 128), room: clip(ctx?.room, 64), bed: clip(ctx?.bed, 64), facility: clip(ctx?.facility, 128),
      event_code: null, event_name: SILENCE_EVENT_NAME, event_text: text.slice(0, 256), source_code: null, source_name: null,
      alert_type: 'technical', priority: this.options.priority, state,
      phase: state === 'active' ? 'start' : 'end', alarm_state: state === 'active' ? 'active' : 'inactive', inactivation_state: null,
      value: null, unit: null, limit_low: null, limit_high: null,
      device_time: null, received_time: now,
    }
    // No deviceId: the alarm is the gateway's own, and must not count as the device being heard.
    const decoded: Decoded = { source: r.source, observations: [], alarms: [alarm], problems: [] }
    try {
      await this.options.next.consume(decoded, SUPERVISOR_ORIGIN)
      this.options.log(state === 'active' ? 'warn' : 'info', state === 'active' ? 'device silent' : 'device heard again', { device: deviceId, silent_ms: silentMs })
      return true
    } catch (err) {
      this.options.log('error', 'device silence alarm not stored; retried at the next check', { device: deviceId, err: (err as Error).message })
      return false
    }
  }
}
