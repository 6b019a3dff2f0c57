// MQTT source: an embedded aedes broker whose devices publish vitals, alarms, and ECG chunks from
// ambulance tablets; each publish's topic and payload go to the decode stage (`decode`, which
// picks the decoder by topic: ../decode.ts). Plain TCP, or TLS when a certificate is
// configured; who may connect and publish what is MqttAccess's to decide (security/mqtt-access.ts).
// aedes writes the QoS 1 PUBACK (and QoS 2 PUBREC) right after authorizePublish calls back, before
// broker.publish runs, so the reading is made durable inside authorizePublish. A bad payload is
// kept aside durably and acknowledged: calling back with an error would drop the device's
// connection and make it resend the same bad message forever.
// A publish the login may not make is treated the same way: acknowledged at its QoS, kept aside
// with its NEVA_EDGE_MQTT_* code, not stored as readings and not forwarded. MQTT 3.1.1 gives a
// broker no way to refuse a PUBLISH except closing the connection [MQTT-3.3.5-2]; closing would
// make the firmware resend the denied message on every reconnect and starve its good data.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes'
import type { Log } from '../log.js'
import type { TopicDecoder } from '../decode.js'
import type { DecodedSink, ListenerStatus, Source } from './source.js'
import { MqttAccess, type MqttMode } from '../security/mqtt-access.js'
import { ConnectionLimiter, type ConnectionLimitCode } from '../security/connection-limits.js'
import { guardMqttConnection, type MqttGuardCode } from '../security/mqtt-guard.js'
import { EdgeErrorCode } from '../errors.js'
import { MqttFlow, type MqttFlowStatus } from './mqtt-flow.js'

export type { DecodedSink } from './source.js'

export interface MqttTls {
  cert: Buffer
  key: Buffer
  /** When given, a client must present a certificate this CA signed. */
  ca?: Buffer
}

export interface MqttSourceOptions {
  host: string
  port: number
  /** The decode stage: a publish's topic and payload → readings and problems. */
  decode: TopicDecoder
  next: DecodedSink
  log?: Log
  /** Logins and ACLs; default: open (any client, any topic). */
  access?: MqttAccess
  tls?: MqttTls
  /** Told when a message could not be made durable (and so was not acknowledged). */
  onRefused?: (err: Error) => void
  /** What one connection may send and how many may be open; defaults as in the gateway config. */
  limits?: Partial<MqttLimits>
  /** Told of each connection closed by a limit (metrics). */
  onLimit?: (code: ConnectionLimitCode | MqttGuardCode) => void
}

export interface MqttLimits {
  maxPacketBytes: number
  connectTimeoutMs: number
  maxConnections: number
  maxConnectionsPerAddress: number
  /** Publishes waiting for durability, per connection and in all, before sockets are not read. */
  maxPendingPerConnection: number
  maxPendingTotal: number
}

const DEFAULT_LIMITS: MqttLimits = { maxPacketBytes: 512 * 1024, connectTimeoutMs: 10_000, maxConnections: 1000, maxConnectionsPerAddress: 64, maxPendingPerConnection: 2000, maxPendingTotal: 20_000 }

export interface MqttStatus extends ListenerStatus {
  port: number
  tls: boolean
  client_certificates: boolean
  mode: MqttMode
  /**
   * Connections refused, by code: at login (NEVA_EDGE_MQTT_*), by a connection limit
   * (NEVA_EDGE_CONN_*), or closed for what they sent before or instead of a valid CONNECT.
   */
  refused: Record<string, number>
  /** Connections open now. */
  connections: number
  tls_handshake_failures: number
  /** Publishes and subscriptions denied, by login (or "(none)"), then code. */
  denied: Record<string, Record<string, number>>
  /** Publishes waiting for durability, and connections not read because of them. */
  flow: MqttFlowStatus
}

/** How much of a denied payload is kept aside: enough to see what it was. */
const DENIED_PAYLOAD_BYTES = 1024

export class MqttSource implements Source {
  readonly name = 'mqtt'
  private broker: Aedes | undefined
  private server: Server | undefined
  readonly access: MqttAccess
  private tlsFailures = 0
  private readonly limits: MqttLimits
  private readonly connections: ConnectionLimiter
  private readonly guarded: Partial<Record<MqttGuardCode, number>> = {}
  private readonly flow: MqttFlow
  port = 0

  constructor(private readonly options: MqttSourceOptions) {
    this.access = options.access ?? new MqttAccess({ credentials: [], requireCredentials: false })
    this.limits = { ...DEFAULT_LIMITS, ...options.limits }
    this.flow = new MqttFlow({ maxPendingPerConnection: this.limits.maxPendingPerConnection, maxPendingTotal: this.limits.maxPendingTotal })
    this.connections = new ConnectionLimiter({
      maxConnections: this.limits.maxConnections,
      maxPerAddress: this.limits.maxConnectionsPerAddress,
      onRefused: (code) => options.onLimit?.(code),
    })
  }

  private guardCount(code: MqttGuardCode): void {
    this.guarded[code] = (this.guarded[code] ?? 0) + 1
    this.options.onLimit?.(code)
  }

  status(): MqttStatus {
    return {
      port: this.port,
      tls: this.options.tls !== undefined,
      client_certificates: this.options.tls?.ca !== undefined,
      mode: this.access.mode,
      refused: { ...this.access.refused, ...this.connections.status().refused, ...this.guarded },
      connections: this.connections.status().open,
      tls_handshake_failures: this.tlsFailures,
      denied: Object.fromEntries(Object.entries(this.access.denied).map(([k, v]) => [k, { ...v }])),
      flow: this.flow.status(),
    }
  }

  async start(): Promise<void> {
    const { decode, next, log } = this.options
    const options = this.options
    const access = this.access
    const open = access.mode === 'open'
    // Logged at most once a second per kind: a full outbox refuses every message, a
    // misconfigured device retries its login in a loop.
    const lastLog = new Map<string, number>()
    const throttled = (kind: string, level: 'warn' | 'error', message: string, fields: object) => {
      if (Date.now() - (lastLog.get(kind) ?? 0) < 1000) return
      lastLog.set(kind, Date.now())
      log?.(level, message, fields)
    }
    const authenticated = new WeakSet<object>()
    const flow = this.flow
    // Set once any subscription is granted (open mode only): from then on publishes are routed.
    let subscribed = false
    this.broker = await Aedes.createBroker({
      connectTimeout: this.limits.connectTimeoutMs,
      authenticate: (client, username, password, done) => {
        access.authenticate(client, username, password).then((refusal) => {
          if (!refusal) {
            authenticated.add(client.conn)
            return done(null, true)
          }
          throttled(refusal.code, 'warn', 'MQTT connection refused', { code: refusal.code, reason: refusal.reason, client: client.id?.slice(0, 128), address: remoteAddress(client.conn) })
          done(Object.assign(new Error(refusal.reason), { returnCode: refusal.returnCode }) as AuthenticateError, false)
        }, (err: Error) => done(Object.assign(err, { returnCode: 3 }) as AuthenticateError, false))
      },
      authorizeSubscribe: (client, sub, callback) => {
        const denial = access.checkSubscribe(access.identityOf(client), sub.topic)
        if (!denial) {
          subscribed = true
          return callback(null, sub)
        }
        throttled(denial.code, 'warn', 'MQTT subscription refused', { code: denial.code, reason: denial.reason })
        // A negated subscription: SUBACK 0x80 for it, the connection stays [MQTT-3.9.3].
        callback(null, null)
      },
      // Only in open mode can anyone subscribe; elsewhere nothing is ever forwarded.
      authorizeForward: (_client, packet) => (open ? packet : null),
      authorizePublish: (client, packet, callback) => {
        // aedes' own default: $SYS is the broker's (a client publishing there is dropped).
        if (packet.topic.startsWith('$SYS')) return callback(new Error('$SYS topics are reserved'))
        if (!open) packet.retain = false
        const identity = access.identityOf(client)
        const payload = packet.payload as Buffer
        let decoded = decode(packet.topic, payload, Date.now())
        let origin = `mqtt:${packet.topic.slice(0, 256)}`
        const denial = access.checkPublish(identity, packet.topic, decoded)
        if (denial) {
          throttled(denial.code, 'warn', 'MQTT publish denied; acknowledged and kept aside', { code: denial.code, reason: denial.reason, client: client?.id?.slice(0, 128) })
          origin = `mqtt:${identity.username ?? '(none)'}@${packet.topic.slice(0, 256)}`
          decoded = { source: 'mqtt', observations: [], problems: [{ code: denial.code, reason: denial.reason, payload: payload.subarray(0, DENIED_PAYLOAD_BYTES).toString('utf8') }] }
        } else if (decoded.deviceId === undefined && decoded.problems.length === 0) {
          return callback(null)
        }
        const settled = client ? flow.hold(client) : () => {}
        next.consume(decoded, origin).then(
          () => {
            settled()
            callback(null)
          },
          (err: Error) => {
            settled()
            // Not durable: do not acknowledge; the device keeps the message and resends it.
            throttled('not-durable', 'error', 'could not make a reading durable; not acknowledging', { client: client?.id, code: (err as { code?: string }).code, err: err.message })
            options.onRefused?.(err)
            callback(err)
          },
        )
      },
    })
    // The gateway is a sink. aedes routes every publish after its PUBACK (a Packet, the offline
    // queue's lookup, the emitter, the 'publish' event: about a third of a bare broker's work per
    // message); that matters only to a subscriber or for a retained message. Until a client has
    // subscribed, a device's non-retained publish skips it. aedes' own publishes (no client:
    // $SYS, its cluster notices) are always routed.
    // (Its typings know only publish(packet, done); the handlers call publish(packet, client, done).)
    type Publish = (packet: PublishPacket, client: Client | null | ((err?: Error) => void), done?: (err?: Error) => void) => void
    const broker0 = this.broker as unknown as { publish: Publish }
    const route = broker0.publish.bind(this.broker)
    broker0.publish = (packet, client, done) => {
      if (!subscribed && client !== null && typeof client === 'object' && !packet.retain) return done?.()
      route(packet, client, done)
    }
    this.broker.on('connectionError', (_client, err) => {
      if (err.message === 'connect did not arrive in time') this.guardCount(EdgeErrorCode.NEVA_EDGE_MQTT_CONNECT_TIMEOUT)
    })
    // Each connection: its packets' sizes watched before aedes buffers them.
    const broker = this.broker
    const handle = (conn: Socket | TLSSocket) => {
      guardMqttConnection(conn, {
        maxPacketBytes: this.limits.maxPacketBytes,
        authenticated: () => authenticated.has(conn),
        onViolation: (code) => {
          this.guardCount(code)
          throttled(code, 'warn', 'MQTT connection closed', { code, address: conn.remoteAddress })
        },
      })
      broker.handle(conn)
    }
    // Limits apply to the raw TCP socket, before any TLS handshake.
    const admit = (socket: Socket) => {
      if (!this.connections.admit(socket)) throttled('limit', 'warn', 'MQTT connection refused by a connection limit', { address: socket.remoteAddress, open: this.connections.status().open })
    }
    const tls = this.options.tls
    if (tls) {
      this.server = createTlsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined, minVersion: 'TLSv1.2' }, handle)
      this.server.on('connection', admit)
      this.server.on('tlsClientError', (err: Error) => {
        this.tlsFailures++
        throttled('tls', 'warn', 'MQTT TLS handshake failed', { err: err.message })
      })
    } else {
      this.server = createServer((socket) => {
        admit(socket)
        if (!socket.destroyed) handle(socket)
      })
    }
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

function remoteAddress(conn: unknown): string | undefined {
  return (conn as { remoteAddress?: string }).remoteAddress
}
