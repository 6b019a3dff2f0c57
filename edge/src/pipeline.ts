// The gateway, wired as the data path reads: source → decode → outbox → triage → uplink.
import { join } from 'node:path'
import type { GatewayConfig } from './config.js'
import { buildEdgeApi } from './api/server.js'
import { DurableStage } from './outbox/durable-stage.js'
import { decodeMqtt } from './decode.js'
import { createEdgeMetrics } from './metrics.js'
import { SqliteOutbox } from './outbox/sqlite-outbox.js'
import { MqttSource } from './sources/mqtt-source.js'
import { MqttAccess } from './security/mqtt-access.js'
import { isLoopback, readPem, readTls, warnAboutMqttAccess } from './security/start-up.js'
import { DeviceRegistry } from './sources/devices.js'
import { OpcuaSource } from './sources/opcua-source.js'
import { MllpSource } from './sources/mllp-source.js'
import { SerialSource } from './sources/serial-source.js'
import { astmProtocol } from './sources/astm-protocol.js'
import { oximeterProtocol } from './sources/oximeter-protocol.js'
import type { SerialProtocolFactory } from './sources/serial-protocol.js'
import { labCodeTable, validateOpcuaMapping } from '@neva/firmware-adapters'
import { TriageStage } from './triage/triage-stage.js'
import { FEATURES, FEATURE_SET } from '@neva/triage'
import { ModelTriage } from './triage/model-triage.js'
import { DEFAULT_MODEL_MANIFEST, readModelFiles } from './triage/model-files.js'
import { TriagePool } from './triage/pool.js'
import { ModelSync } from './triage/model-sync.js'
import { parsePublicKey } from './triage/model-signature.js'
import { Uplink } from './uplink/uplink.js'
import type { Outbox, OutboxBatch } from './outbox/types.js'
import type { Log } from './log.js'

export type { Log }

export interface Gateway {
  mqttPort: number
  /** The HL7/MLLP listener's port; null when the gateway does not listen for HL7. */
  mllpPort: number | null
  apiUrl: string
  outbox: Outbox
  uplink: Uplink
  triage: TriageStage
  /** The model's worker pool; undefined when the gateway runs NEWS2 alone. */
  pool: TriagePool | undefined
  /** Waits until the core has every entry, or throws after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>
  stop(): Promise<void>
}

export interface GatewayHooks {
  onDelivered?: (batch: OutboxBatch) => void
  /** Another outbox than SQLite: benchmarks measure the pipeline with the outbox bypassed. */
  outbox?: Outbox
}

export async function startGateway(config: GatewayConfig, log: Log = consoleLog(config.log_level), hooks: GatewayHooks = {}): Promise<Gateway> {
  const outbox = hooks.outbox ?? new SqliteOutbox({
    path: join(config.data_dir, 'outbox.db'),
    gatewayId: config.gateway_id,
    maxBytes: config.outbox.max_bytes,
    ...(config.outbox.rejected_max_bytes !== null ? { rejectedMaxBytes: config.outbox.rejected_max_bytes } : {}),
    dedupWindowMs: config.outbox.dedup_window_ms,
    liveWindowMs: config.outbox.live_window_ms,
  })
  const metrics = createEdgeMetrics(outbox)
  const coreCa = config.core.ca_file ? readPem(config.core.ca_file, '/core/ca_file') : undefined
  if (config.core.url.startsWith('http:') && config.core.allow_insecure_http) {
    log('warn', 'the core is reached over plain http (core.allow_insecure_http): readings, the core token and models travel in clear text', { url: config.core.url })
  }
  const uplink = new Uplink(outbox, {
    url: config.core.url,
    token: config.core.token,
    ca: coreCa,
    batchMax: config.core.batch_max,
    batchMaxBytes: config.core.batch_max_bytes,
    lingerMs: config.core.linger_ms,
    timeoutMs: config.core.timeout_ms,
    backoffBaseMs: config.core.backoff_base_ms,
    backoffMaxMs: config.core.backoff_max_ms,
    liveWindowMs: config.outbox.live_window_ms,
    log,
    onDelivered: hooks.onDelivered,
  }, metrics)
  const pool = config.triage.model === null ? undefined : await startTriagePool(config, log)
  // A model the core publishes (or the one it published last, cached on disk) replaces the
  // configured one; a model that does not fit is refused and the running one stays.
  const modelSync = pool && config.triage.sync_interval_ms > 0
    ? new ModelSync({ url: config.core.url, token: config.core.token, ca: coreCa, trustedKeys: config.models.trusted_keys.map(parsePublicKey), dataDir: config.data_dir, intervalMs: config.triage.sync_interval_ms, timeoutMs: config.core.timeout_ms, install: (m, b) => pool.install(m, b), log })
    : undefined
  const triage = new TriageStage({
    outbox,
    model: pool && new ModelTriage(pool),
    onResult: (r) => metrics.triage.inc({ level: r.level }),
    log,
  })
  const devices = new DeviceRegistry()
  const durable = new DurableStage(outbox, triage, metrics, log, devices)
  const access = new MqttAccess({
    credentials: config.mqtt.credentials,
    requireCredentials: config.mqtt.require_credentials,
    onRefused: (code) => metrics.mqttRefused.inc({ code }),
    onDenied: (username, code) => metrics.mqttDenied.inc({ username, code }),
    maxWaitingChecks: config.mqtt.max_pending_logins,
    maxPendingPerAddress: config.mqtt.max_pending_logins_per_address,
    failedLoginsPerMinute: config.mqtt.failed_logins_per_minute,
  })
  warnAboutMqttAccess(config, access, log)
  const mqttTls = config.mqtt.tls ? readTls(config.mqtt.tls, '/mqtt/tls') : undefined
  const mqtt = new MqttSource({
    host: config.mqtt.host, port: config.mqtt.port, decode: decodeMqtt, next: durable, log, access, tls: mqttTls, onRefused: () => metrics.unacknowledged.inc(),
    limits: {
      maxPacketBytes: config.mqtt.max_packet_bytes, connectTimeoutMs: config.mqtt.connect_timeout_ms,
      maxConnections: config.mqtt.max_connections, maxConnectionsPerAddress: config.mqtt.max_connections_per_address,
    },
    onLimit: (code) => metrics.mqttRefused.inc({ code }),
  })
  const opcua = validateOpcuaMapping(config.opcua).map((device) =>
    new OpcuaSource({ ...device, next: durable, devices, pkiDir: join(config.data_dir, 'opcua-pki'), log }))
  const labCodes = labCodeTable(config.lab_codes)
  const utcOffset = config.device_utc_offset_minutes
  const mllp = config.mllp && new MllpSource({
    host: config.mllp.host, port: config.mllp.port, next: durable, devices, labCodes, defaultUtcOffsetMinutes: utcOffset,
    maxMessageBytes: config.mllp.max_message_bytes, idleTimeoutMs: config.mllp.idle_timeout_ms, log,
    tls: config.mllp.tls ? readTls(config.mllp.tls, '/mllp/tls') : undefined,
    allowFrom: config.mllp.allow_from,
    maxConnections: config.mllp.max_connections, maxConnectionsPerAddress: config.mllp.max_connections_per_address,
    onRefused: (code) => metrics.mllpRefused.inc({ code }),
  })
  if (config.mllp && !config.mllp.tls && !isLoopback(config.mllp.host)) {
    log('warn', 'HL7 over MLLP travels in clear text: the listener is beyond loopback without mllp.tls', { host: config.mllp.host, allow_from: config.mllp.allow_from.length > 0 ? config.mllp.allow_from : 'any address' })
  }
  const serial = config.serial.map((port) => {
    const protocol: SerialProtocolFactory = port.protocol === 'astm'
      ? astmProtocol({
        deviceId: port.device_id, labCodes, defaultUtcOffsetMinutes: utcOffset,
        testCodeComponents: port.test_code_components, messageEndsAtEot: port.message_ends_at_eot,
        // A full outbox answers the analyzer's ENQ with NAK (busy): it keeps its results.
        receiver: { isBusy: () => outbox.stats().full },
      })
      : oximeterProtocol({ format: port.protocol === 'oximeter-ascii' ? 'ascii' : 'binary', deviceId: port.device_id, patientId: port.patient_id!, defaultUtcOffsetMinutes: utcOffset })
    return new SerialSource({
      path: port.path, baudRate: port.baud_rate, dataBits: port.data_bits, parity: port.parity, stopBits: port.stop_bits,
      deviceId: port.device_id, protocol, next: durable, devices, source: port.protocol === 'astm' ? 'astm' : 'serial', log,
    })
  })

  const api = buildEdgeApi({
    gatewayId: config.gateway_id, outbox, uplink, triage, pool, modelSync, durable, metrics, devices, mqtt: () => mqtt.status(),
    mllp: () => mllp ? mllp.status() : null,
    tls: config.api.tls ? readTls(config.api.tls, '/api/tls') : undefined,
    tokenSha256: config.api.token_sha256,
    rateLimitPerMinute: config.api.rate_limit_per_minute,
  }, config.log_level)
  try {
    await mqtt.start()
    await mllp?.start()
    await api.listen({ host: config.api.host, port: config.api.port })
  } catch (err) {
    await mqtt.stop().catch(() => {})
    await mllp?.stop().catch(() => {})
    await api.close().catch(() => {})
    await pool?.close()
    await outbox.close()
    throw err
  }
  uplink.start()
  modelSync?.start()
  // Serial and OPC UA devices connect in the background: an analyzer unplugged or a ventilator
  // switched off must not stop the gateway.
  for (const source of [...serial, ...opcua]) await source.start()
  const address = api.server.address()
  const apiPort = typeof address === 'object' && address ? address.port : config.api.port
  return {
    mqttPort: mqtt.port,
    mllpPort: mllp ? mllp.port : null,
    apiUrl: `${config.api.tls ? 'https' : 'http'}://${config.api.host}:${apiPort}`,
    outbox,
    uplink,
    triage,
    pool,
    async drain(timeoutMs) {
      await durable.settle()
      await uplink.drain(timeoutMs)
    },
    async stop() {
      await mqtt.stop()
      await mllp?.stop()
      await Promise.all([...serial, ...opcua].map((source) => source.stop()))
      await modelSync?.stop()
      await durable.settle()
      await pool?.close()
      await uplink.stop()
      await api.close()
      await outbox.close()
    },
  }
}

/** A pool with the configured model; a model that cannot be installed leaves NEWS2 alone, loudly. */
async function startTriagePool(config: GatewayConfig, log: Log): Promise<TriagePool> {
  const pool = new TriagePool({ threads: config.triage.threads, spec: { featureSet: FEATURE_SET, features: FEATURES } })
  const path = config.triage.model === 'builtin' ? DEFAULT_MODEL_MANIFEST : config.triage.model!
  try {
    const { manifest, bytes } = await readModelFiles(path)
    const installed = await pool.install(manifest, bytes)
    log('info', 'triage model installed', { model: `${installed.id}@${installed.version}`, threads: config.triage.threads })
  } catch (err) {
    log('error', 'triage model refused; scoring with NEWS2 alone until a valid model arrives', { path, err: (err as Error).message })
  }
  return pool
}

const LEVELS = { error: 0, warn: 1, info: 2 } as const

export function consoleLog(level: string): Log {
  const max = level === 'silent' ? -1 : (LEVELS[level as keyof typeof LEVELS] ?? 2)
  return (l, message, fields) => {
    if (LEVELS[l] > max) return
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: l, component: 'edge', msg: message, ...fields })}\n`)
  }
}
