// The gateway, wired as the data path reads; each stage is built from its own config section.
//
//   sources ──► decode ──► durable stage ──► outbox (SQLite) ──► uplink ──► core
//   MQTT, MLLP,  MQTT: topic   appends, then the     ▲        polls the outbox: readings,
//   serial,      → decoder;    device is acked       │        verdicts, refusals alike
//   OPC UA       the others in      │                │
//                their protocol     └──► triage ─────┘ appends a verdict when a patient's
//                            (readings once durable)   assessment changes (NEWS2 + model pool)
//
// The local API reads the outbox, the stages and the sources for /status and /metrics. MQTT and
// MLLP listen before the API does (a failure there stops start-up); serial and OPC UA devices
// connect in the background. Stopping runs the path in order: sources, triage, uplink, outbox.
import type { GatewayConfig } from './config.js'
import type { Gateway, GatewayHooks } from './gateway.js'
import { edgeApi, listenApi } from './api/from-config.js'
import { decodeMqtt } from './decode.js'
import { consoleLog, type Log } from './log.js'
import { createEdgeMetrics } from './metrics.js'
import { DurableStage } from './outbox/durable-stage.js'
import { sqliteOutbox } from './outbox/from-config.js'
import { DeviceRegistry } from './sources/devices.js'
import { DeviceSupervisor } from './sources/supervisor.js'
import { LabDeliveries } from './sources/lab-deliveries.js'
import { deviceSettings, mllpSource, mqttSource, opcuaSources, serialSources, hl7OrderSenders } from './sources/from-config.js'
import { modelSync, riskModelSync, triagePool, triageStage } from './triage/from-config.js'
import { coreLink, uplinkStage } from './uplink/from-config.js'
import { LAB_WORKLIST_POLL_MS, LabWorklist } from './uplink/lab-worklist.js'
import { CtgStage } from './ctg/live.js'

export { consoleLog, type Log }
export type { Gateway, GatewayHooks }

/** How often the risk histories are saved besides at stop. */
const RISK_PERSIST_MS = 10 * 60_000

export async function startGateway(config: GatewayConfig, log: Log = consoleLog(config.log_level), hooks: GatewayHooks = {}): Promise<Gateway> {
  const outbox = hooks.outbox ?? sqliteOutbox(config.outbox, { dataDir: config.data_dir, gatewayId: config.gateway_id })
  const metrics = createEdgeMetrics(outbox)
  const core = coreLink(config.core, log)
  const uplink = uplinkStage(config.core, { core, outbox, metrics, log, liveWindowMs: config.outbox.live_window_ms, onDelivered: hooks.onDelivered })
  const pool = await triagePool(config.triage, log)
  const sync = modelSync(config.triage, config.models, { core, pool, dataDir: config.data_dir, log })
  const riskSync = riskModelSync(config.triage, config.models, { core, pool, dataDir: config.data_dir, log })
  const triage = triageStage({ outbox, pool, metrics, log, dataDir: config.data_dir })
  const devices = new DeviceRegistry()
  const ctg = new CtgStage({ outbox, log })
  const durable = new DurableStage(outbox, triage, metrics, log, devices, ctg)
  // Only when an analyzer answers host queries: the gateway then polls its sites' lab orders.
  const labWorklist = config.serial.some((p) => p.host_query || p.download) || config.hl7_orders.length > 0 ? new LabWorklist({ coreUrl: core.url, token: core.token, ca: core.ca, timeoutMs: core.timeoutMs, log }) : undefined
  // What the analyzers already took, kept across restarts (sources/lab-deliveries.ts).
  const labDeliveries = labWorklist ? LabDeliveries.open(config.data_dir) : undefined
  const deps = { next: durable, decode: decodeMqtt, devices, metrics, outbox, log, labWorklist, labDeliveries, ...deviceSettings(config) }
  const supervisor = new DeviceSupervisor({
    devices, next: durable, log, silenceMs: config.supervision.silence_ms, deviceSilenceMs: config.supervision.devices,
    checkIntervalMs: config.supervision.check_interval_ms, priority: config.supervision.priority,
  })
  const mqtt = mqttSource(config.mqtt, deps)
  const opcua = await opcuaSources(config.opcua, deps)
  const mllp = config.mllp ? mllpSource(config.mllp, deps) : undefined
  const serial = serialSources(config.serial, deps)
  const hl7Orders = hl7OrderSenders(config.hl7_orders, deps)
  const listeners = mllp ? [mqtt, mllp] : [mqtt]
  const api = edgeApi(config.api, { gatewayId: config.gateway_id, outbox, uplink, triage, pool, modelSync: sync, riskSync, durable, metrics, devices, mqtt, mllp }, config.log_level)
  let apiUrl: string
  try {
    for (const source of listeners) await source.start()
    apiUrl = await listenApi(api, config.api)
  } catch (err) {
    for (const source of listeners) await source.stop().catch(() => {})
    await api.close().catch(() => {})
    await pool?.close()
    await outbox.close()
    labDeliveries?.close()
    throw err
  }
  uplink.start()
  sync?.start()
  riskSync?.start()
  labWorklist?.start(LAB_WORKLIST_POLL_MS)
  for (const sender of hl7Orders) sender.start()
  supervisor.start()
  // Patients' hourly histories are saved every 10 minutes too: a crash loses at most that much.
  const persisting = setInterval(() => triage.persist(), RISK_PERSIST_MS).unref()
  // An analyzer unplugged or a ventilator switched off must not stop the gateway.
  for (const source of [...serial, ...opcua]) await source.start()
  return {
    mqttPort: mqtt.port,
    mllpPort: mllp ? mllp.port : null,
    apiUrl, outbox, uplink, triage, pool, supervisor, ctg,
    async drain(timeoutMs) {
      await durable.settle()
      await uplink.drain(timeoutMs)
    },
    async stop() {
      await supervisor.stop()
      for (const source of listeners) await source.stop()
      await Promise.all([...serial, ...opcua].map((source) => source.stop()))
      await sync?.stop()
      await riskSync?.stop()
      for (const sender of hl7Orders) sender.stop()
      labWorklist?.stop()
      labDeliveries?.close()
      await durable.settle()
      clearInterval(persisting)
      triage.persist()
      await pool?.close()
      await uplink.stop()
      await api.close()
      await outbox.close()
    },
  }
}
