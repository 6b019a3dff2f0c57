// The gateway's local API: health, status, patients with their triage, Prometheus metrics.
import Fastify, { type FastifyInstance } from 'fastify'
import type { Outbox } from '../outbox/types.js'
import type { EdgeMetrics } from '../metrics.js'
import type { TriageStage } from '../triage/triage-stage.js'
import type { TriagePool } from '../triage/pool.js'
import type { ModelSync } from '../triage/model-sync.js'
import type { Uplink } from '../uplink/uplink.js'
import type { DurableStage } from '../ingest.js'
import type { DeviceRegistry } from '../sources/devices.js'

export interface EdgeApiDeps {
  gatewayId: string
  outbox: Outbox
  uplink: Uplink
  triage: TriageStage
  pool: TriagePool | undefined
  modelSync: ModelSync | undefined
  durable: DurableStage
  metrics: EdgeMetrics
  devices: DeviceRegistry
  mqttPort: () => number
}

export function buildEdgeApi(deps: EdgeApiDeps, logLevel: string): FastifyInstance {
  const app = Fastify({ logger: logLevel === 'silent' ? false : { level: logLevel } })
  app.get('/healthz', async () => ({ status: 'ok', gateway_id: deps.gatewayId }))
  app.get('/status', async () => statusOf(deps))
  app.get('/patients', async () => ({ patients: deps.triage.snapshot() }))
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', deps.metrics.registry.contentType)
    return deps.metrics.registry.metrics()
  })
  return app
}

function statusOf(deps: EdgeApiDeps) {
  const model = deps.pool?.current()
  return {
    gateway_id: deps.gatewayId,
    mqtt: { port: deps.mqttPort() },
    outbox: deps.outbox.stats(),
    uplink: {
      last_success_ms: deps.uplink.lastSuccessMs ?? null,
      last_error: deps.uplink.lastError ?? null,
      rows_per_s: Math.round(deps.uplink.sendRate()),
      ...deps.uplink.totals,
    },
    triage: {
      model: model ? `${model.id}@${model.version}` : null,
      threads: deps.pool?.threads() ?? 0,
      ...(deps.pool ? { ...deps.pool.counters, last_error: deps.pool.lastError ?? null } : {}),
      sync: deps.modelSync?.status() ?? null,
    },
    /** Every device heard or configured: last message, counts, errors by code, link state. */
    devices: deps.devices.snapshot(),
    recent_rejections: deps.durable.recentRejections,
  }
}
