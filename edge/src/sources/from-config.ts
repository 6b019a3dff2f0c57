// The sources, each built from its own section of the gateway config: the options its constructor
// takes, and the start-up warnings that belong to it. Every source hands what it decoded to `next`
// (the durable stage).
import { join } from 'node:path'
import { labCodeTable, validateOpcuaMapping, type LabCodeTable } from '@neva/firmware-adapters'
import type { GatewayConfig } from '../config.js'
import type { TopicDecoder } from '../decode.js'
import type { Log } from '../log.js'
import type { EdgeMetrics } from '../metrics.js'
import type { Outbox } from '../outbox/types.js'
import { MqttAccess } from '../security/mqtt-access.js'
import { isLoopback, readTls, warnAboutMqttAccess } from '../security/start-up.js'
import { astmProtocol } from './astm-protocol.js'
import type { LabWorklist } from '../uplink/lab-worklist.js'
import { lookupFor, ordersFor } from './astm-download.js'
import { Hl7OrderSender } from './hl7-order-sender.js'
import type { LabDeliveries } from './lab-deliveries.js'
import type { DeviceRegistry } from './devices.js'
import { MllpSource } from './mllp-source.js'
import { MqttSource } from './mqtt-source.js'
import type { OpcuaSource } from './opcua-source.js'
import { oximeterProtocol } from './oximeter-protocol.js'
import { ctgProtocol } from './ctg-protocol.js'
import type { SerialProtocolFactory } from './serial-protocol.js'
import { SerialSource } from './serial-source.js'
import type { DecodedSink } from './source.js'

export interface SourceDeps {
  next: DecodedSink
  /** MQTT's decode stage (the other sources decode in their protocol code). */
  decode: TopicDecoder
  devices: DeviceRegistry
  metrics: EdgeMetrics
  outbox: Outbox
  log: Log
  /** Lab test codes → LOINC, for HL7 and ASTM results. */
  labCodes: LabCodeTable
  /** Offset from UTC of device times sent without one. */
  defaultUtcOffsetMinutes: number
  /** The gateway's data folder (OPC UA keeps its certificates there). */
  dataDir: string
  /** The lab orders pending at this gateway's sites, for analyzers with host_query or download. */
  labWorklist?: LabWorklist | undefined
  /** What each analyzer already took of the worklist, kept across restarts. */
  labDeliveries?: LabDeliveries | undefined
}

/** What the sources share from the top of the config: lab codes, device clocks, the data folder. */
export function deviceSettings(config: GatewayConfig): Pick<SourceDeps, 'labCodes' | 'defaultUtcOffsetMinutes' | 'dataDir'> {
  return { labCodes: labCodeTable(config.lab_codes), defaultUtcOffsetMinutes: config.device_utc_offset_minutes, dataDir: config.data_dir }
}

export function mqttSource(config: GatewayConfig['mqtt'], { next, decode, metrics, log }: SourceDeps): MqttSource {
  const access = new MqttAccess({
    credentials: config.credentials,
    requireCredentials: config.require_credentials,
    onRefused: (code) => metrics.mqttRefused.inc({ code }),
    onDenied: (username, code) => metrics.mqttDenied.inc({ username, code }),
    maxWaitingChecks: config.max_pending_logins,
    maxPendingPerAddress: config.max_pending_logins_per_address,
    failedLoginsPerMinute: config.failed_logins_per_minute,
  })
  warnAboutMqttAccess(config, access, log)
  const mqttTls = config.tls ? readTls(config.tls, '/mqtt/tls') : undefined
  return new MqttSource({
    host: config.host, port: config.port, decode, next, log, access, tls: mqttTls, onRefused: () => metrics.unacknowledged.inc(),
    limits: {
      maxPacketBytes: config.max_packet_bytes, connectTimeoutMs: config.connect_timeout_ms,
      maxConnections: config.max_connections, maxConnectionsPerAddress: config.max_connections_per_address,
      maxPendingPerConnection: config.max_pending_per_connection, maxPendingTotal: config.max_pending_total,
    },
    onLimit: (code) => metrics.mqttRefused.inc({ code }),
  })
}

/** node-opcua takes about a second of CPU to load (a hundred packages): only a gateway with OPC UA devices loads it. */
export async function opcuaSources(config: GatewayConfig['opcua'], { next, devices, log, dataDir }: SourceDeps): Promise<OpcuaSource[]> {
  const mapped = validateOpcuaMapping(config)
  if (mapped.length === 0) return []
  const { OpcuaSource } = await import('./opcua-source.js')
  return mapped.map((device) => new OpcuaSource({ ...device, next, devices, pkiDir: join(dataDir, 'opcua-pki'), log }))
}

export function mllpSource(config: NonNullable<GatewayConfig['mllp']>, { next, devices, metrics, log, labCodes, defaultUtcOffsetMinutes }: SourceDeps): MllpSource {
  const mllp = new MllpSource({
    host: config.host, port: config.port, next, devices, labCodes, defaultUtcOffsetMinutes,
    maxMessageBytes: config.max_message_bytes, idleTimeoutMs: config.idle_timeout_ms, log,
    tls: config.tls ? readTls(config.tls, '/mllp/tls') : undefined,
    allowFrom: config.allow_from,
    maxConnections: config.max_connections, maxConnectionsPerAddress: config.max_connections_per_address,
    maxPendingPerConnection: config.max_pending_per_connection,
    onRefused: (code) => metrics.mllpRefused.inc({ code }),
  })
  if (!config.tls && !isLoopback(config.host)) {
    log('warn', 'HL7 over MLLP travels in clear text: the listener is beyond loopback without mllp.tls', { host: config.host, allow_from: config.allow_from.length > 0 ? config.allow_from : 'any address' })
  }
  return mllp
}

export function serialSources(config: GatewayConfig['serial'], { next, devices, outbox, log, labCodes, defaultUtcOffsetMinutes: utcOffset, labWorklist, labDeliveries }: SourceDeps): SerialSource[] {
  return config.map((port) => {
    const protocol: SerialProtocolFactory = port.protocol === 'astm'
      ? astmProtocol({
        deviceId: port.device_id, labCodes, defaultUtcOffsetMinutes: utcOffset,
        testCodeComponents: port.test_code_components, messageEndsAtEot: port.message_ends_at_eot,
        // A full outbox answers the analyzer's ENQ with NAK (busy): it keeps its results.
        receiver: { isBusy: () => outbox.stats().full },
        ...(port.host_query && labWorklist ? { hostQuery: { lookup: (specimenId: string) => lookupFor(labWorklist.lookup(specimenId), port.runs_tests) } } : {}),
        ...(port.download && labWorklist ? { download: {
          pending: () => ordersFor(labWorklist.pending(), port.runs_tests), known: () => labWorklist.loaded,
          ...(labDeliveries ? { delivered: labDeliveries.for(port.device_id) } : {}),
        } } : {}),
      })
      : port.protocol === 'ctg-lines' ? ctgProtocol({ deviceId: port.device_id, ...(port.patient_id ? { patientId: port.patient_id } : {}) })
      : oximeterProtocol({ format: port.protocol === 'oximeter-ascii' ? 'ascii' : 'binary', deviceId: port.device_id, patientId: port.patient_id!, defaultUtcOffsetMinutes: utcOffset })
    return new SerialSource({
      path: port.path, baudRate: port.baud_rate, dataBits: port.data_bits, parity: port.parity, stopBits: port.stop_bits,
      deviceId: port.device_id, protocol, next, devices, source: port.protocol === 'astm' ? 'astm' : 'serial', log,
    })
  })
}

/** HL7 order links to analyzers and middleware (hl7-order-sender.ts), fed by the lab worklist. */
export function hl7OrderSenders(config: GatewayConfig['hl7_orders'], { devices, log, labWorklist, labDeliveries }: SourceDeps): Hl7OrderSender[] {
  if (!labWorklist) return []
  return config.map((peer) => new Hl7OrderSender({
    deviceId: peer.device_id, host: peer.host, port: peer.port, message: peer.message, log,
    pending: () => ordersFor(labWorklist.pending(), peer.runs_tests), known: () => labWorklist.loaded,
    ...(labDeliveries ? { delivered: labDeliveries.for(peer.device_id) } : {}),
    loincOf: (code) => labWorklist.loincOf(code),
    error: (code, reason) => devices.error(peer.device_id, 'hl7v2', `mllp:${peer.host}:${peer.port}`, code, reason),
  }))
}
