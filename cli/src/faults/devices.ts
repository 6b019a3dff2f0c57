// Devices for the fault harness: plain MQTT clients publishing QoS 1 vitals, each message
// stamped with a device time unique per device, so that every reading has an identity to count.
import mqtt, { type MqttClient } from 'mqtt'
import { vitalsTopic } from '@neva/contracts'

export const READINGS_PER_MESSAGE = ['heart_rate', 'spo2', 'respiratory_rate', 'temperature'] as const

export interface DeviceFleet {
  /** Identities (`device|time|name`) of readings the gateway acknowledged. */
  acked: Set<string>
  published: number
  /** Connections the gateway closed or lost under the devices (a kill, or a refused publish). */
  closes: number
  stop(): Promise<{ unacknowledged: number }>
}

export async function startDevices(brokerUrl: string, count: number, rateHz: number): Promise<DeviceFleet> {
  const acked = new Set<string>()
  const pending = new Set<Promise<void>>()
  const clients: MqttClient[] = []
  const timers: NodeJS.Timeout[] = []
  let published = 0
  let unacknowledged = 0
  let closes = 0
  for (let d = 0; d < count; d++) {
    const deviceId = `faults-dev-${d}`
    const client = await mqtt.connectAsync(brokerUrl, { clientId: deviceId, reconnectPeriod: 200, connectTimeout: 2000, clean: true })
    // A client whose gateway was killed keeps its unacknowledged messages and sends them again.
    client.on('error', () => {})
    client.on('close', () => { closes++ })
    clients.push(client)
    let last = 0
    timers.push(setInterval(() => {
      const time = (last = Math.max(Date.now(), last + 1))
      const readings = READINGS_PER_MESSAGE.map((vital, i) => ({ vital, value: vital === 'temperature' ? 36.5 + (time % 10) / 10 : 60 + ((time + i) % 35) }))
      published += readings.length
      const p: Promise<void> = client.publishAsync(vitalsTopic(deviceId), JSON.stringify({ patient_id: `faults.p${d}`, time, readings }), { qos: 1 })
        .then(() => { for (const r of readings) acked.add(`${deviceId}|${time}|${r.vital}`) })
        .catch(() => { unacknowledged += readings.length })
        .finally(() => pending.delete(p))
      pending.add(p)
    }, 1000 / rateHz))
  }
  return {
    acked,
    get published() {
      return published
    },
    get closes() {
      return closes
    },
    async stop() {
      for (const t of timers) clearInterval(t)
      // Wait for what is in flight to be acknowledged, as long as a gateway restart takes.
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all(pending), new Promise((r) => { timer = setTimeout(r, 60_000) })])
      clearTimeout(timer)
      unacknowledged += pending.size * READINGS_PER_MESSAGE.length
      await Promise.all(clients.map((c) => c.endAsync(true)))
      return { unacknowledged }
    },
  }
}
