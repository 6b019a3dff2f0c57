// The gateway, wired as the data path reads: source → decode → outbox → triage → uplink.
import { join } from 'node:path'
import type { GatewayConfig } from './config.js'
import { buildEdgeApi } from './api/server.js'
import { DurableStage } from './ingest.js'
import { createEdgeMetrics } from './metrics.js'
import { SqliteOutbox } from './outbox/sqlite-outbox.js'
import { MqttSource } from './sources/mqtt-source.js'
import { TriageStage } from './triage/triage-stage.js'
import { Uplink } from './uplink/uplink.js'
import type { Outbox, OutboxBatch } from './outbox/types.js'

export type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void

export interface Gateway {
  mqttPort: number
  apiUrl: string
  outbox: Outbox
  uplink: Uplink
  triage: TriageStage
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
    dedupWindowMs: config.outbox.dedup_window_ms,
    liveWindowMs: config.outbox.live_window_ms,
  })
  const metrics = createEdgeMetrics(outbox)
  const uplink = new Uplink(outbox, {
    url: config.core.url,
    token: config.core.token,
    batchMax: config.core.batch_max,
    batchMaxBytes: config.core.batch_max_bytes,
    lingerMs: config.core.linger_ms,
    timeoutMs: config.core.timeout_ms,
    backoffBaseMs: config.core.backoff_base_ms,
    backoffMaxMs: config.core.backoff_max_ms,
    log,
    onDelivered: hooks.onDelivered,
  }, metrics)
  const triage = new TriageStage({ outbox, onResult: (r) => metrics.triage.inc({ level: r.level }) })
  const durable = new DurableStage(outbox, triage, metrics, log)
  const mqtt = new MqttSource({ host: config.mqtt.host, port: config.mqtt.port, next: durable, log, onRefused: () => metrics.unacknowledged.inc() })

  const api = buildEdgeApi({ gatewayId: config.gateway_id, outbox, uplink, triage, durable, metrics, mqttPort: () => mqtt.port }, config.log_level)
  try {
    await mqtt.start()
    await api.listen({ host: config.api.host, port: config.api.port })
  } catch (err) {
    await mqtt.stop().catch(() => {})
    await api.close().catch(() => {})
    await outbox.close()
    throw err
  }
  uplink.start()
  const address = api.server.address()
  const apiPort = typeof address === 'object' && address ? address.port : config.api.port
  return {
    mqttPort: mqtt.port,
    apiUrl: `http://${config.api.host}:${apiPort}`,
    outbox,
    uplink,
    triage,
    async drain(timeoutMs) {
      await durable.settle()
      await uplink.drain(timeoutMs)
    },
    async stop() {
      await mqtt.stop()
      await durable.settle()
      await uplink.stop()
      await api.close()
      await outbox.close()
    },
  }
}

const LEVELS = { error: 0, warn: 1, info: 2 } as const

export function consoleLog(level: string): Log {
  const max = level === 'silent' ? -1 : (LEVELS[level as keyof typeof LEVELS] ?? 2)
  return (l, message, fields) => {
    if (LEVELS[l] > max) return
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: l, component: 'edge', msg: message, ...fields })}\n`)
  }
}
