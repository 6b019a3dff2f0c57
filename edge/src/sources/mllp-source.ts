// MLLP source: a TCP server for HL7 v2 senders (patient monitors, device gateways, point-of-care
// analyzers). Per connection: deframe, decode, hand to the durable stage as frames arrive (a
// sender that does not wait for ACKs gets a chunk's frames into one group commit, not one commit
// each), and write each ACK once its message is durable, in the order the messages arrived. A
// connection holds at most `maxPendingPerConnection` frames waiting (plus what one socket read
// brought) and at most ACK_BUFFER_MAX bytes of ACKs its sender has not read: past either it is not
// read (TCP holds the sender back) until half are done or the ACKs drained. HL7 original-mode acknowledgement
// (HL7 v2.6 §2.9.2):
//
//   AA  everything stored (or deliberately skipped)
//   AE  some OBX refused, the rest stored; or nothing stored because the outbox could not take it
//       ("not stored, resend": the sender retries, and the outbox stores a resend once)
//   AR  the whole message refused (not ORU^R01, no patient, not HL7): kept aside, never stored
//
// A connection's garbage never touches another connection. The durable stage counts messages
// per device (DeviceRegistry.message); this source records what only it sees: the link, bytes
// that are not MLLP, and messages it could not make durable.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import {
  MllpDeframer,
  buildAck,
  decodeHl7,
  mllpFrame,
  type DecodeProblem,
  type Hl7AckDecision,
  type LabCodeTable,
} from '@neva/firmware-adapters'
import type { DeviceRegistry } from './devices.js'
import type { DecodedSink, ListenerStatus, Source } from './source.js'
import type { Log } from '../log.js'
import { ConnectionLimiter, type ConnectionLimitCode } from '../security/connection-limits.js'
import { EdgeErrorCode } from '../errors.js'

export interface MllpSourceOptions {
  host: string
  /** 0 picks a free port (tests); `port` tells which. */
  port: number
  next: DecodedSink
  devices: DeviceRegistry
  labCodes?: LabCodeTable
  /** Offset from UTC of device times sent without one. */
  defaultUtcOffsetMinutes?: number
  /** Largest message; default 1 MiB. */
  maxMessageBytes?: number
  /** A connection silent this long (with nothing in progress) is closed; default 5 minutes. */
  idleTimeoutMs?: number
  log?: Log
  /** MLLP over TLS; with `ca`, senders must present a certificate it signed. */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer }
  /** CIDR blocks allowed to connect; absent or empty: any address. */
  allowFrom?: readonly string[]
  /** Connections at once, and from one address. Defaults 256 and 16. */
  maxConnections?: number
  maxConnectionsPerAddress?: number
  /** Told of each connection refused by the allowlist or a cap (metrics). */
  onRefused?: (code: ConnectionLimitCode) => void
  /** Frames decoded and waiting for durability or their ACK on one connection; default 1000. */
  maxPendingPerConnection?: number
}

export interface MllpStatus extends ListenerStatus {
  port: number
  tls: boolean
  client_certificates: boolean
  /** Connections open now. */
  connections: number
  /** Connections refused, by code (allowlist, caps); TLS handshakes that failed. */
  refused: Partial<Record<ConnectionLimitCode, number>>
  tls_handshake_failures: number
  /** One busy connection: frames waiting now (all connections) and at most on one; reads paused. */
  flow: { pending: number; pending_max: number; max_pending_per_connection: number; paused: number; pauses: number }
}

/** ACK bytes written but not yet taken by the sender before a connection stops reading. */
const ACK_BUFFER_MAX = 1024 * 1024
const NOT_DURABLE: Hl7AckDecision = { code: 'AE', text: 'not stored, resend', error: EdgeErrorCode.NEVA_EDGE_NOT_DURABLE }

export class MllpSource implements Source {
  readonly name = 'mllp'
  private server: Server | undefined
  private readonly connections = new Set<MllpConnection>()
  private ackCount = 0
  private lastRefusalLog = 0
  private lastLimitLog = 0
  private tlsFailures = 0
  private readonly limiter: ConnectionLimiter
  /** What the connections report of their flow (status). */
  readonly flow = { pendingMax: 0, pauses: 0 }
  readonly maxPending: number
  port = 0

  constructor(private readonly options: MllpSourceOptions) {
    this.maxPending = options.maxPendingPerConnection ?? 1000
    this.limiter = new ConnectionLimiter({
      maxConnections: options.maxConnections ?? 256,
      maxPerAddress: options.maxConnectionsPerAddress ?? 16,
      allowFrom: options.allowFrom,
      onRefused: (code, address) => {
        options.onRefused?.(code)
        if (Date.now() - this.lastLimitLog < 1000) return
        this.lastLimitLog = Date.now()
        options.log?.('warn', 'MLLP connection refused', { code, address })
      },
    }, '/mllp/allow_from')
  }

  status(): MllpStatus {
    const { open, refused } = this.limiter.status()
    const connections = [...this.connections]
    return {
      port: this.port, tls: this.options.tls !== undefined, client_certificates: this.options.tls?.ca !== undefined, connections: open, refused, tls_handshake_failures: this.tlsFailures,
      flow: {
        pending: connections.reduce((a, c) => a + c.pendingNow, 0), pending_max: this.flow.pendingMax, max_pending_per_connection: this.maxPending,
        paused: connections.filter((c) => c.paused).length, pauses: this.flow.pauses,
      },
    }
  }

  async start(): Promise<void> {
    const accept = (socket: Socket) => {
      const connection = new MllpConnection(socket, this.options, this)
      this.connections.add(connection)
      socket.once('close', () => this.connections.delete(connection))
    }
    // The allowlist and the caps apply to the raw TCP socket, before any TLS handshake.
    const admit = (socket: Socket) => this.limiter.admit(socket)
    const tls = this.options.tls
    if (tls) {
      this.server = createTlsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.ca !== undefined, rejectUnauthorized: tls.ca !== undefined, minVersion: 'TLSv1.2' }, accept)
      this.server.on('connection', admit)
      this.server.on('tlsClientError', (err: Error) => {
        this.tlsFailures++
        this.options.log?.('warn', 'MLLP TLS handshake failed', { err: err.message })
      })
    } else {
      this.server = createServer((socket) => {
        if (admit(socket)) accept(socket)
      })
    }
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(this.options.port, this.options.host, () => resolve())
    })
    this.port = (this.server.address() as AddressInfo).port
  }

  /** Stops accepting; lets each connection finish (and acknowledge) what it received, then closes it. */
  async stop(): Promise<void> {
    const server = this.server
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()
    await Promise.all([...this.connections].map((c) => c.close()))
    await closed
  }

  /** A new control id for an ACK's MSH-10: unique across restarts, at most 20 characters (HL7 v2.3 ST). */
  ackControlId(): string {
    return `N${Date.now().toString(36)}${(this.ackCount++).toString(36)}`.slice(0, 20)
  }

  /** Outbox full or failing: logged at most once a second (it refuses every message then). */
  refusalLog(fields: object): void {
    if (Date.now() - this.lastRefusalLog < 1000) return
    this.lastRefusalLog = Date.now()
    this.options.log?.('error', 'could not make an HL7 message durable; answering AE so that the sender resends', fields)
  }
}

class MllpConnection {
  private readonly deframer: MllpDeframer
  private readonly origin: string
  /** Device id until a message names one: the peer's address. */
  private readonly peerId: string
  /** Devices heard on this connection (a device gateway forwards several). */
  private readonly heard = new Set<string>()
  private queue: Promise<void> = Promise.resolve()
  private pending = 0
  private bytesSinceFrame = 0
  private closing = false
  paused = false

  constructor(
    private readonly socket: Socket,
    private readonly options: MllpSourceOptions,
    private readonly source: MllpSource,
  ) {
    const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024
    this.deframer = new MllpDeframer({ maxFrameBytes: maxMessageBytes })
    this.origin = `mllp:${socket.remoteAddress}:${socket.remotePort}`
    this.peerId = `mllp:${socket.remoteAddress ?? 'unknown'}`
    socket.setNoDelay(true)
    socket.setTimeout(options.idleTimeoutMs ?? 300_000)
    socket.on('timeout', () => {
      if (this.pending > 0) return // the sender waits for an ACK still in progress
      options.log?.('info', 'closing an idle MLLP connection', { origin: this.origin })
      socket.destroy()
    })
    socket.on('data', (chunk: Buffer) => this.receive(chunk, maxMessageBytes))
    socket.on('drain', () => this.resumeIfRoom())
    socket.on('error', (err) => options.log?.('warn', 'MLLP connection error', { origin: this.origin, err: err.message }))
    socket.once('close', () => {
      for (const p of this.deframer.end()) this.linkProblem(p)
      for (const id of this.heard) options.devices.connection(id, 'hl7v2', this.origin, false)
    })
  }

  private receive(chunk: Buffer, maxMessageBytes: number): void {
    if (this.closing) return
    const { messages, offsets, problems } = this.deframer.push(chunk)
    // In stream order, so that garbage is counted against the device that sent the frame before it.
    let p = 0
    messages.forEach((frame, i) => {
      for (; p < problems.length && problems[p]!.offset! < offsets[i]!; p++) this.linkProblem(problems[p]!)
      // Made durable at once (frames of one chunk share a group commit); answered in order.
      const handled = this.handle(frame)
      handled.catch(() => {}) // what it throws rejects the queue below, as before
      this.enqueue(() => handled.then((ack) => this.answer(ack)))
    })
    for (; p < problems.length; p++) this.linkProblem(problems[p]!)
    this.bytesSinceFrame = messages.length > 0 ? this.deframer.buffered : this.bytesSinceFrame + chunk.length
    if (this.bytesSinceFrame > 2 * maxMessageBytes + 16) {
      // Not an MLLP sender (a port scan, an HTTP probe): stop reading what will never be a frame.
      this.options.log?.('warn', 'closing an MLLP connection that sends no frames', { origin: this.origin, bytes: this.bytesSinceFrame })
      this.socket.destroy()
    }
    this.source.flow.pendingMax = Math.max(this.source.flow.pendingMax, this.pending)
    if (this.pending >= this.source.maxPending) this.pauseReading()
  }

  get pendingNow(): number {
    return this.pending
  }

  private pauseReading(): void {
    if (this.paused) return
    this.paused = true
    this.source.flow.pauses++
    this.socket.pause()
  }

  /** Reads again once half the bound is done and the sender has taken its ACKs. */
  private resumeIfRoom(): void {
    if (!this.paused || this.closing) return
    if (this.pending > this.source.maxPending / 2 || this.socket.writableLength > ACK_BUFFER_MAX) return
    this.paused = false
    this.socket.resume()
  }

  private enqueue(work: () => Promise<void>): void {
    this.pending++
    this.queue = this.queue.then(work).finally(() => {
      this.pending--
      this.resumeIfRoom()
    })
  }

  /** Decodes a frame and makes it durable; resolves with the ACK to send (never rejects). */
  private async handle(frame: Uint8Array): Promise<string> {
    const { options } = this
    const decoded = decodeHl7(frame, Date.now(), {
      labCodes: options.labCodes,
      defaultUtcOffsetMinutes: options.defaultUtcOffsetMinutes,
      maxMessageBytes: options.maxMessageBytes,
      fallbackDeviceId: this.peerId,
    })
    const device = decoded.deviceId ?? this.peerId
    if (!this.heard.has(device)) {
      this.heard.add(device)
      options.devices.connection(device, 'hl7v2', this.origin, true)
    }
    let ack = decoded.ack
    try {
      // Refused input goes too: the durable stage keeps it aside.
      await options.next.consume(decoded, this.origin)
    } catch (err) {
      const code = (err as { code?: string }).code ?? NOT_DURABLE.error!
      options.devices.error(device, 'hl7v2', this.origin, code, (err as Error).message)
      this.source.refusalLog({ origin: this.origin, device, code, err: (err as Error).message })
      ack = NOT_DURABLE
    }
    return buildAck(decoded.message ?? frame, ack.code, ack.text, { controlId: this.source.ackControlId(), time: Date.now(), ...(ack.error ? { error: ack.error } : {}) })
  }

  private async answer(ack: string): Promise<void> {
    if (this.socket.destroyed) return
    this.socket.write(mllpFrame(ack))
    // A sender that does not read its ACKs must not make them pile up here.
    if (this.socket.writableLength > ACK_BUFFER_MAX) this.pauseReading()
  }

  /**
   * Bytes that were not a frame: counted against the device heard on this connection before them
   * (queued behind the frames that came first), and kept aside by the durable stage.
   */
  private linkProblem(p: DecodeProblem): void {
    this.enqueue(async () => {
      const device = [...this.heard].at(-1) ?? this.peerId
      this.options.devices.error(device, 'hl7v2', this.origin, p.code, p.reason)
      this.options.log?.('warn', 'MLLP framing problem', { origin: this.origin, code: p.code, reason: p.reason })
      await this.options.next.consume({ source: 'hl7v2', observations: [], problems: [p] }, this.origin).catch(() => {})
    })
  }

  /** Stops reading, acknowledges what was already received, then closes. */
  async close(): Promise<void> {
    this.closing = true
    this.socket.pause()
    await this.queue
    if (this.socket.destroyed) return
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()))
    // Destroyed once the last ACK is flushed: a sender that never closes its side must not hold stop().
    this.socket.end(() => this.socket.destroy())
    await closed
  }
}
