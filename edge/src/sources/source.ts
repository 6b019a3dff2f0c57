// What every source is to the gateway: something that starts, stops and reports its status, and
// hands what it decoded to the durable stage (its `next`). Listeners (MQTT, MLLP) report their
// port, connections and refusals; device links (serial, OPC UA) whether the device is connected.
import type { Decoded } from '@neva/firmware-adapters'

export interface DecodedSink {
  /** Resolves once everything in `decoded` is durable. */
  consume(decoded: Decoded, origin: string): Promise<void>
}

export interface ListenerStatus {
  port: number
  tls: boolean
  client_certificates: boolean
  /** Connections open now. */
  connections: number
  /** Connections refused, by code. */
  refused: Readonly<Record<string, number | undefined>>
  tls_handshake_failures: number
}

export interface LinkStatus {
  connected: boolean
}

export type SourceStatus = ListenerStatus | LinkStatus

export interface Source {
  readonly name: string
  /** Listeners: resolves once listening, rejects when they cannot. Device links: after the first attempt. */
  start(): Promise<void>
  stop(): Promise<void>
  status(): SourceStatus
}
