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

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceStatus>()

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

  snapshot(): DeviceStatus[] {
    return [...this.devices.values()].map((d) => ({ ...d, errors: { ...d.errors } })).sort((a, b) => a.device_id.localeCompare(b.device_id))
  }
}
