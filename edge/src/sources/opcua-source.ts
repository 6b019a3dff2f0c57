// OPC UA source: one device (a ventilator), one node-opcua client, one session, one
// subscription, one monitored item per configured node. Each data change is decoded
// (firmware-adapters/src/opcua) and handed to the durable stage; a burst of changes (a publish
// response) goes as one batch.
//
// Security per device (opcua/N/security_mode, security_policy): SignAndEncrypt by default, None
// only when configured (a warning at start-up). The client keeps its application certificate and
// its trust list in `pkiDir/<device_id>` (node-opcua writes there, not in ~/.config); the trust
// list is rebuilt at every start from the configured trusted_certificates_dir, so removing a
// certificate there untrusts it. A server certificate not in it is refused (node-opcua puts it
// in pkiDir/<device_id>/rejected, for an operator to check and copy into the trusted dir),
// unless accept_unknown_certificates. The server must trust the gateway's certificate,
// pkiDir/<device_id>/own/certs/client_certificate.pem. The session is anonymous.
//
// States, with what moves between them:
//
//   connecting ──connected, session, subscription, items──► connected
//       ▲  (node-opcua retries the connect with bounded backoff;     │ link drops: server
//       │   a failed session or subscription is retried here)        │ restarts, network
//       │                                                            ▼
//   rebuilding ◄──node-opcua gave up, or the link went silent── reconnecting (node-opcua:
//   (client dropped, a new one after a backoff)                 new channel; the session is
//                                                               reactivated or recreated; the
//                                                               subscription transferred or
//                                                               recreated with its items)
//
// OPC UA acknowledges publish responses in the protocol, not after they are durable, so values
// received wait in memory (bounded, oldest dropped and counted) until the durable stage accepts
// them; a refusal (outbox full) is retried. A value equal to the last one received for its node,
// with the same source timestamp, is the server resending its current value after a subscription
// was recreated: it is dropped.
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  type ClientSubscription,
  type DataValue,
} from 'node-opcua'
import { decodeOpcuaValue, type Decoded, type OpcuaErrorCode, type OpcuaNodeMapping, type OpcuaSecurity } from '@neva/firmware-adapters'
import { FirmwareErrorCode } from '@neva/firmware-adapters'
import type { DeviceRegistry } from './devices.js'
import type { DecodedSink, LinkStatus, Source } from './source.js'
import type { Log } from '../log.js'

export interface OpcuaSourceOptions {
  endpointUrl: string
  deviceId: string
  patientId: string
  /** The device's nodes from validateOpcuaMapping. */
  nodes: readonly OpcuaNodeMapping[]
  /** Sampling and publishing interval asked of the server. */
  samplingIntervalMs: number
  next: DecodedSink
  devices: DeviceRegistry
  /** Folder of the clients' certificate stores (one per device beneath it), under the gateway's data dir. */
  pkiDir: string
  /** Message security and the server certificates trusted; default: None (tests of the data path). */
  security?: OpcuaSecurity
  log?: Log
  /** Reconnection backoff, first and longest delay. Defaults 1 s and 10 s. */
  backoffInitialMs?: number
  backoffMaxMs?: number
  /**
   * A connected link with no publish response (data or keep-alive) for this long is rebuilt.
   * Default: three keep-alive periods, at least 15 s.
   */
  silenceTimeoutMs?: number
  /** Values kept in memory while the durable stage refuses them. Default 10 000. */
  maxPending?: number
}

export interface OpcuaSourceStats {
  connected: boolean
  /** Data changes received (after dropping resends). */
  received: number
  /** Resends of a node's current value, dropped. */
  duplicates: number
  /** Data changes the durable stage accepted (readings, refusals and ignored values). */
  durable: number
  pending: number
  /** Data changes dropped because too many waited in memory. */
  dropped: number
  /** Times the link dropped and came back by node-opcua's reconnection. */
  reconnections: number
  /** Times the client was dropped and built anew. */
  rebuilds: number
}

const KEEP_ALIVE_COUNT = 10
const MAX_BATCH = 1000

export class OpcuaSource implements Source {
  private stopping = false
  private running: Promise<void> | undefined
  private client: OPCUAClient | undefined
  /** Ends the current link's wait: set while connected. */
  private breakLink: ((why: string) => void) | undefined
  private readonly wakers = new Set<() => void>()
  private connected = false
  private lastHeard = 0
  /** Silence after which a connected link is rebuilt; from the subscription the server revised. */
  private silenceMs = 15_000
  private readonly lastLogged = new Map<string, number>()
  private readonly lastKey: Array<string | undefined> = []
  private pending: Decoded[] = []
  private pumping: Promise<void> | undefined
  private pumpScheduled = false
  private readonly counts = { received: 0, duplicates: 0, durable: 0, dropped: 0, reconnections: 0, rebuilds: 0 }

  private readonly security: OpcuaSecurity
  /** This device's certificate store: its own certificate, its trust list, what it rejected. */
  private readonly pkiRoot: string

  get name(): string {
    return `opcua:${this.options.deviceId}`
  }

  constructor(private readonly options: OpcuaSourceOptions) {
    this.security = options.security ?? { mode: 'None', policy: 'None', acceptUnknownCertificates: false }
    this.pkiRoot = join(options.pkiDir, options.deviceId)
  }

  /** trusted/certs holds exactly the configured directory's certificates. */
  private async prepareTrustList(): Promise<void> {
    const trusted = join(this.pkiRoot, 'trusted', 'certs')
    await rm(trusted, { recursive: true, force: true })
    await mkdir(trusted, { recursive: true })
    const dir = this.security.trustedCertificatesDir
    if (!dir) return
    let files: string[]
    try {
      files = (await readdir(dir, { withFileTypes: true })).filter((f) => f.isFile() && /\.(pem|der|crt|cer)$/i.test(f.name)).map((f) => f.name)
    } catch (err) {
      throw new Error(`opcua ${this.options.deviceId}: trusted_certificates_dir: ${(err as Error).message}`, { cause: err })
    }
    if (files.length === 0) this.options.log?.('warn', 'OPC UA trusted_certificates_dir holds no certificate: every server will be refused', { device: this.options.deviceId, dir })
    for (const f of files) await copyFile(join(dir, f), join(trusted, f))
  }

  /** Starts connecting in the background: a ventilator switched off must not hold the gateway. */
  async start(): Promise<void> {
    await mkdir(this.options.pkiDir, { recursive: true })
    await this.prepareTrustList()
    const { mode, policy, acceptUnknownCertificates } = this.security
    if (mode === 'None') {
      this.options.log?.('warn', 'OPC UA without message security: the server is not authenticated and values travel in clear text (security_mode None)', { device: this.options.deviceId, endpoint: this.options.endpointUrl })
    } else if (acceptUnknownCertificates) {
      this.options.log?.('warn', 'OPC UA accepts any server certificate (accept_unknown_certificates): a server impersonating the device would be trusted', { device: this.options.deviceId, endpoint: this.options.endpointUrl })
    } else {
      this.options.log?.('info', 'OPC UA security', { device: this.options.deviceId, mode, policy, client_certificate: join(this.pkiRoot, 'own', 'certs', 'client_certificate.pem') })
    }
    this.options.devices.connection(this.options.deviceId, 'opcua', this.options.endpointUrl, false)
    this.running = this.run()
  }

  /** Closes the session and the connection (bounded wait), then stores what was received. */
  async stop(): Promise<void> {
    this.stopping = true
    for (const wake of this.wakers) wake()
    // Connected: the run loop closes the client. Connecting: disconnecting cancels the retries.
    if (this.breakLink) this.breakLink('stopping')
    else void this.client?.disconnect().catch(() => {})
    await this.running
    await this.flush(5000)
    this.setConnected(false)
  }

  status(): LinkStatus {
    return { connected: this.connected }
  }

  stats(): OpcuaSourceStats {
    return { connected: this.connected, pending: this.pending.length, ...this.counts }
  }

  private async run(): Promise<void> {
    let failures = 0
    while (!this.stopping) {
      const client = this.createClient()
      this.client = client
      let established = false
      try {
        await this.establish(client)
        established = true
        failures = 0
        const why = await this.linkBroken()
        if (!this.stopping) {
          this.counts.rebuilds++
          this.error(FirmwareErrorCode.NEVA_OPCUA_CONNECTION_LOST, `${why}; building a new client`)
        }
      } catch (err) {
        if (!this.stopping) this.error(FirmwareErrorCode.NEVA_OPCUA_CONNECT_FAILED, (err as Error).message)
      }
      this.setConnected(false)
      await this.close(client)
      if (this.stopping) break
      if (!established) failures++
      await this.sleep(backoff(failures, this.options.backoffInitialMs ?? 1000, this.options.backoffMaxMs ?? 10_000))
    }
  }

  private createClient(): OPCUAClient {
    const { backoffInitialMs = 1000, backoffMaxMs = 10_000 } = this.options
    const client = OPCUAClient.create({
      applicationName: 'Neva gateway',
      clientName: this.options.deviceId,
      endpointMustExist: false,
      securityMode: MessageSecurityMode[this.security.mode],
      securityPolicy: SecurityPolicy[this.security.policy],
      // One store per client: a client disposes of its store when it disconnects. With mode None
      // no server certificate is checked, so there is nothing to accept or refuse.
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: this.pkiRoot, automaticallyAcceptUnknownCertificate: this.security.mode === 'None' || this.security.acceptUnknownCertificates }),
      connectionStrategy: { initialDelay: backoffInitialMs, maxDelay: backoffMaxMs, maxRetry: -1 },
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
    })
    client.on('backoff', (retry: number, delay: number) => {
      if (!this.stopping) this.error(FirmwareErrorCode.NEVA_OPCUA_CONNECT_FAILED, `cannot reach ${this.options.endpointUrl} (attempt ${retry + 1}); next in ${delay} ms`)
    })
    client.on('connection_lost', () => {
      if (this.stopping) return
      this.setConnected(false)
      this.error(FirmwareErrorCode.NEVA_OPCUA_CONNECTION_LOST, `connection to ${this.options.endpointUrl} lost; reconnecting`)
    })
    client.on('connection_reestablished', () => {
      if (this.stopping) return
      this.counts.reconnections++
      this.lastHeard = Date.now()
      this.setConnected(true)
    })
    // node-opcua closes the client by itself only when it gave up reconnecting.
    client.on('close', (err?: Error | null) => {
      if (err && !this.stopping) this.breakLink?.(`node-opcua stopped reconnecting: ${err.message}`)
    })
    return client
  }

  private async establish(client: OPCUAClient): Promise<void> {
    const { endpointUrl, nodes, samplingIntervalMs } = this.options
    await client.connect(endpointUrl)
    if (this.stopping) return
    const session = await client.createSession()
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: samplingIntervalMs,
      requestedMaxKeepAliveCount: KEEP_ALIVE_COUNT,
      requestedLifetimeCount: 6 * KEEP_ALIVE_COUNT,
      maxNotificationsPerPublish: MAX_BATCH,
      publishingEnabled: true,
      priority: 10,
    })
    // The server may revise the interval and the keep-alive count: judge silence by its values.
    this.silenceMs = this.options.silenceTimeoutMs ?? Math.max(15_000, 3 * subscription.maxKeepAliveCount * subscription.publishingInterval)
    const heard = () => {
      this.lastHeard = Date.now()
    }
    subscription.on('keepalive', heard)
    subscription.on('received_notifications', heard)
    const group = ClientMonitoredItemGroup.create(
      subscription,
      nodes.map((n) => ({ nodeId: n.nodeId, attributeId: AttributeIds.Value })),
      // A queue per item keeps changes sampled faster than they are published.
      { samplingInterval: samplingIntervalMs, queueSize: 10, discardOldest: true },
      TimestampsToReturn.Both,
    )
    group.on('changed', (_item, dataValue: DataValue, index: number) => this.received(index, dataValue))
    await initialized(group)
    this.reportRefusedItems(group, subscription)
    if (this.stopping) return
    this.lastHeard = Date.now()
    this.setConnected(true)
  }

  /** The server refused some items (unknown node id, not readable): named, the others flow. */
  private reportRefusedItems(group: ClientMonitoredItemGroup, subscription: ClientSubscription): void {
    group.monitoredItems.forEach((item, i) => {
      if (item.statusCode.isNotGood()) {
        this.error(FirmwareErrorCode.NEVA_OPCUA_MONITOR_FAILED, `${this.options.nodes[i]!.nodeId}: ${item.statusCode.name} (subscription ${subscription.subscriptionId})`)
      }
    })
  }

  /** Resolves, with why, when the link must be rebuilt: node-opcua gave up, or it went silent. */
  private linkBroken(): Promise<string> {
    const silence = this.silenceMs
    return new Promise<string>((resolve) => {
      const watchdog = setInterval(() => {
        // Only while connected: during node-opcua's reconnection silence is expected.
        if (this.connected && Date.now() - this.lastHeard > silence) done(`no publish response for ${silence} ms`)
      }, Math.min(1000, silence / 2))
      const done = (why: string) => {
        clearInterval(watchdog)
        this.breakLink = undefined
        resolve(why)
      }
      this.breakLink = done
      if (this.stopping) done('stopping')
    })
  }

  private async close(client: OPCUAClient): Promise<void> {
    // disconnect() closes the session (deleting its subscription) when the server is there, and
    // cancels reconnection when it is not; bounded, so that stop() stays quick.
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 3000)))
    await Promise.race([client.disconnect().catch(() => {}), timeout])
    clearTimeout(timer)
    if (this.client === client) this.client = undefined
  }

  private received(index: number, dv: DataValue): void {
    const node = this.options.nodes[index]
    if (!node) return
    this.lastHeard = Date.now()
    const value = dv.value?.value as unknown
    const key = dv.sourceTimestamp
      ? `${dv.sourceTimestamp.getTime()}|${dv.statusCode.value}|${typeof value === 'number' || typeof value === 'bigint' ? String(value) : typeof value}`
      : undefined
    if (key !== undefined && this.lastKey[index] === key) {
      this.counts.duplicates++
      return
    }
    this.lastKey[index] = key
    this.counts.received++
    const decoded = decodeOpcuaValue(node, { value, sourceTimestamp: dv.sourceTimestamp, serverTimestamp: dv.serverTimestamp, statusCode: dv.statusCode.value }, Date.now())
    this.pending.push(decoded)
    const max = this.options.maxPending ?? 10_000
    if (this.pending.length > max) {
      const dropped = this.pending.splice(0, this.pending.length - max).length
      this.counts.dropped += dropped
      this.error(FirmwareErrorCode.NEVA_OPCUA_DROPPED, `${dropped} value(s) dropped: ${max} already waited to be made durable`)
    }
    // After the whole publish response: its changes go as one batch.
    if (!this.pumpScheduled && !this.pumping) {
      this.pumpScheduled = true
      setImmediate(() => {
        this.pumpScheduled = false
        this.pumping ??= this.pump().finally(() => (this.pumping = undefined))
      })
    }
  }

  private async pump(): Promise<void> {
    let failures = 0
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, MAX_BATCH)
      try {
        await this.options.next.consume(merge(batch, this.options), this.options.endpointUrl)
      } catch (err) {
        failures++
        this.error(FirmwareErrorCode.NEVA_OPCUA_NOT_DURABLE, `${this.pending.length} value(s) wait: ${(err as Error).message}`)
        if (this.stopping && failures >= 3) return
        await this.sleep(backoff(failures, 100, 5000))
        continue
      }
      failures = 0
      // Drop what was stored; the front may have been trimmed by the memory bound meanwhile.
      const stored = this.pending.indexOf(batch[batch.length - 1]!)
      this.pending.splice(0, stored + 1)
      this.counts.durable += batch.length
      // The durable stage notes each batch as a message, which marks the device connected.
      if (!this.connected) this.options.devices.connection(this.options.deviceId, 'opcua', this.options.endpointUrl, false)
    }
  }

  /** Waits for what is pending to be durable, at most `timeoutMs`. */
  private async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while ((this.pending.length > 0 || this.pumping || this.pumpScheduled) && Date.now() < deadline) {
      if (!this.pumping && !this.pumpScheduled) this.pumping = this.pump().finally(() => (this.pumping = undefined))
      await new Promise((r) => setTimeout(r, 20))
    }
    if (this.pending.length > 0) {
      this.options.log?.('error', 'OPC UA values not made durable at shutdown', { device_id: this.options.deviceId, values: this.pending.length })
    }
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return
    this.connected = connected
    const { deviceId, endpointUrl } = this.options
    this.options.devices.connection(deviceId, 'opcua', endpointUrl, connected)
    this.options.log?.('info', connected ? 'OPC UA device connected' : 'OPC UA device disconnected', { device_id: deviceId, endpoint: endpointUrl })
  }

  /** Counted every time; logged at most once a minute per code (a ventilator left off retries all day). */
  private error(code: OpcuaErrorCode, reason: string): void {
    const { deviceId, endpointUrl } = this.options
    this.options.devices.error(deviceId, 'opcua', endpointUrl, code, reason)
    const now = Date.now()
    // Each refused node is worth a line of its own.
    const key = code === FirmwareErrorCode.NEVA_OPCUA_MONITOR_FAILED ? reason : code
    if (now - (this.lastLogged.get(key) ?? -Infinity) < 60_000) return
    this.lastLogged.set(key, now)
    this.options.log?.('warn', reason, { code, device_id: deviceId, endpoint: endpointUrl })
  }

  /** A delay that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.wakers.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.wakers.add(done)
    })
  }
}

function initialized(group: ClientMonitoredItemGroup): Promise<void> {
  return new Promise((resolve, reject) => {
    group.once('initialized', () => resolve())
    group.once('err', (message: string) => reject(new Error(`creating the monitored items failed: ${message}`)))
  })
}

/** One decoded batch from single-value decodes of one device. */
function merge(parts: readonly Decoded[], device: Pick<OpcuaSourceOptions, 'deviceId' | 'patientId'>): Decoded {
  const out: Decoded = { source: 'opcua', deviceId: device.deviceId, patientId: device.patientId, observations: [], problems: [], ignored: [] }
  for (const p of parts) {
    out.observations.push(...p.observations)
    out.problems.push(...p.problems)
    out.ignored!.push(...(p.ignored ?? []))
  }
  return out
}

/** Exponential, bounded; failure 1 waits `initial`. */
function backoff(failures: number, initial: number, max: number): number {
  return Math.min(max, initial * 2 ** Math.max(0, Math.min(failures - 1, 20)))
}
