// MQTT source: an embedded aedes broker whose devices publish vitals, alarms, and ECG chunks from
// ambulance tablets (topics ending /ecg go to the ECG decoder, /alarms under neva/ to the alarm
// decoder, neva/v1/ambulances/{unit}/transport to the transport decoder, every other one to the
// vitals decoder, which judges whether it is ours).
// aedes writes the QoS 1 PUBACK (and QoS 2 PUBREC) right after authorizePublish calls back, before
// broker.publish runs, so the reading is made durable inside authorizePublish. A bad payload is
// kept aside durably and acknowledged: calling back with an error would drop the device's
// connection and make it resend the same bad message forever.
import { createServer, type AddressInfo, type Server } from 'node:net'
import { Aedes } from 'aedes'
import { decodeAlarmMessage, decodeEcgMessage, decodeTransportMessage, decodeVitalsMessage, type Decoded } from '@neva/firmware-adapters'
import { TRANSPORT_TOPIC_PREFIX } from '@neva/contracts'
import type { Log } from '../log.js'

export interface DecodedSink {
  /** Resolves once everything in `decoded` is durable. */
  consume(decoded: Decoded, origin: string): Promise<void>
}

export interface MqttSourceOptions {
  host: string
  port: number
  next: DecodedSink
  log?: Log
  /** Told when a message could not be made durable (and so was not acknowledged). */
  onRefused?: (err: Error) => void
}

export class MqttSource {
  private broker: Aedes | undefined
  private server: Server | undefined
  port = 0

  constructor(private readonly options: MqttSourceOptions) {}

  async start(): Promise<void> {
    const { next, log } = this.options
    const options = this.options
    let lastRefusalLog = 0
    this.broker = await Aedes.createBroker({
      authorizePublish: (client, packet, callback) => {
        const { topic } = packet
        const decode = topic.endsWith('/ecg') ? decodeEcgMessage : topic.startsWith('neva/') && topic.endsWith('/alarms') ? decodeAlarmMessage
          : topic.startsWith(TRANSPORT_TOPIC_PREFIX) && topic.endsWith('/transport') ? decodeTransportMessage : decodeVitalsMessage
        const decoded = decode(packet.topic, packet.payload as Buffer, Date.now())
        if (decoded.deviceId === undefined && decoded.problems.length === 0) return callback(null)
        next.consume(decoded, `mqtt:${packet.topic.slice(0, 256)}`).then(
          () => callback(null),
          (err: Error) => {
            // Not durable: do not acknowledge; the device keeps the message and resends it.
            // Logged at most once a second: a full outbox refuses every message.
            if (Date.now() - lastRefusalLog >= 1000) {
              lastRefusalLog = Date.now()
              log?.('error', 'could not make a reading durable; not acknowledging', { client: client?.id, code: (err as { code?: string }).code, err: err.message })
            }
            options.onRefused?.(err)
            callback(err)
          },
        )
      },
    })
    this.server = createServer(this.broker.handle)
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(this.options.port, this.options.host, () => resolve())
    })
    this.port = (this.server.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    const server = this.server
    const broker = this.broker
    // Stop accepting, then close the broker, which disconnects the devices; only then can the
    // listening socket finish closing.
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()))
    await closed
  }
}
