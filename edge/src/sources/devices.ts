// Every device the gateway hears, for /status: when it last sent something, how much, and what
// went wrong with it, counted by reason.
import type { SourceProtocol } from '@neva/contracts'
import { redactReason } from '../security/redact.js'

export interface DeviceStatus {
  device_id: string
  source: SourceProtocol
  /** Where it is connected: a serial port, a peer address, an OPC UA endpoint, an MQTT client. */
  origin: string
  connected: boolean
  last_message_time: number | null
  messages: number
  readings: number
  errors: Record<string, number>
  last_error: string | null
}

/** Who and where a device is, as its messages last said (kept out of /status: it names patients). */
export interface DeviceContext {
  patient_id: string | null
  ward: string | null
  room: string | null
  bed: string | null
  facility: string | null
}

const CONTEXT_FIELDS = ['patient_id', 'ward', 'room', 'bed', 'facility'] as const

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceStatus>()
  private readonly contexts = new Map<string, DeviceContext>()
  private readonly heartbeats = new Map<string, number>()

  private entry(deviceId: string, source: SourceProtocol, origin: string): DeviceStatus {
    let d = this.devices.get(deviceId)
    if (!d) {
      d = { device_id: deviceId, source, origin, connected: true, last_message_time: null, messages: 0, readings: 0, errors: {}, last_error: null }
      this.devices.set(deviceId, d)
    }
    d.origin = origin
    return d
  }

  /** A message from the device, with how many readings it carried. */
  message(deviceId: string, source: SourceProtocol, origin: string, readings: number, at = Date.now()): void {
    // Link state belongs to the source (connection()): a message made durable after the cable
    // was pulled must not mark the device connected again.
    const d = this.entry(deviceId, source, origin)
    d.last_message_time = at
    d.messages++
    d.readings += readings
  }

  /** Something the device sent, or its link, went wrong; `code` from an error catalog. */
  error(deviceId: string, source: SourceProtocol, origin: string, code: string, reason: string): void {
    const d = this.entry(deviceId, source, origin)
    d.errors[code] = (d.errors[code] ?? 0) + 1
    d.last_error = redactReason(reason)
  }

  connection(deviceId: string, source: SourceProtocol, origin: string, connected: boolean): void {
    this.entry(deviceId, source, origin).connected = connected
  }

  /** What a message said of the device's patient and place; a part it did not say is kept. */
  context(deviceId: string, ctx: Partial<DeviceContext>): void {
    const old = this.contexts.get(deviceId)
    // A device's messages mostly repeat its context: then nothing is copied (this runs per message).
    if (old && CONTEXT_FIELDS.every((k) => !ctx[k] || ctx[k] === old[k])) return
    const next = { ...(old ?? { patient_id: null, ward: null, room: null, bed: null, facility: null }) }
    for (const k of CONTEXT_FIELDS) if (ctx[k]) next[k] = ctx[k]
    this.contexts.set(deviceId, next)
  }

  /** The period a device promised its next message within (a watchdog heartbeat), ms. */
  heartbeat(deviceId: string, periodMs: number): void {
    this.heartbeats.set(deviceId, periodMs)
  }

  heartbeatOf(deviceId: string): number | undefined {
    return this.heartbeats.get(deviceId)
  }

  contextOf(deviceId: string): DeviceContext | undefined {
    return this.contexts.get(deviceId)
  }

  snapshot(): DeviceStatus[] {
    return [...this.devices.values()].map((d) => ({ ...d, errors: { ...d.errors } })).sort((a, b) => a.device_id.localeCompare(b.device_id))
  }
}
