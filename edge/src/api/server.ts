// The gateway's local API: health, status, patients with their triage, Prometheus metrics.
// HTTPS when a certificate is configured; security headers (helmet) and a per-address rate limit
// on every route. /patients carries patient data and needs the bearer token whose sha256 is
// api.token_sha256; /healthz, /status and /metrics carry none and stay open, read-only.
import { createHash, timingSafeEqual } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import type { Outbox } from '../outbox/types.js'
import type { EdgeMetrics } from '../metrics.js'
import type { TriageStage } from '../triage/triage-stage.js'
import type { TriagePool } from '../triage/pool.js'
import type { ModelSync } from '../triage/model-sync.js'
import type { RiskManifest } from '@neva/triage'
import type { Uplink } from '../uplink/uplink.js'
import type { DurableStage } from '../outbox/durable-stage.js'
import type { DeviceRegistry } from '../sources/devices.js'
import type { MqttStatus } from '../sources/mqtt-source.js'
import type { MllpStatus } from '../sources/mllp-source.js'
import { EDGE_API_ERRORS, EdgeErrorCode } from '../errors.js'

export type EdgeApiErrorCode = keyof typeof EDGE_API_ERRORS

export interface EdgeApiDeps {
  gatewayId: string
  outbox: Outbox
  uplink: Uplink
  triage: TriageStage
  pool: TriagePool | undefined
  modelSync: ModelSync | undefined
  /** The deterioration model's sync (/v1/models/risk), when the gateway follows the core. */
  riskSync?: ModelSync<RiskManifest> | undefined
  durable: DurableStage
  metrics: EdgeMetrics
  devices: DeviceRegistry
  mqtt: () => MqttStatus
  /** The HL7 listener's port, TLS, connections and refusals; absent or null without one. */
  mllp?: () => MllpStatus | null
  /** HTTPS with this certificate and key; absent: HTTP. */
  tls?: { cert: Buffer; key: Buffer }
  /** sha256 (hex) of the bearer token /patients requires; absent: /patients is refused. */
  tokenSha256?: string
  rateLimitPerMinute: number
}

export function buildEdgeApi(deps: EdgeApiDeps, logLevel: string): FastifyInstance {
  const logger = logLevel === 'silent' ? false : { level: logLevel }
  // Typed as the HTTP flavour: the routes and the pipeline use nothing that differs.
  const app = (deps.tls ? Fastify({ logger, https: { cert: deps.tls.cert, key: deps.tls.key } }) : Fastify({ logger })) as unknown as FastifyInstance
  const refuse = (reply: FastifyReply, code: EdgeApiErrorCode) => {
    deps.metrics.apiDenied.inc({ code })
    return reply.status(EDGE_API_ERRORS[code].status).send({ error: code, message: EDGE_API_ERRORS[code].message })
  }
  // A JSON API: no scripts, no frames, no sniffing; HSTS only matters over HTTPS.
  void app.register(helmet, { hsts: deps.tls !== undefined, contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } })
  void app.register(rateLimit, {
    max: deps.rateLimitPerMinute,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) => {
      deps.metrics.apiDenied.inc({ code: EdgeErrorCode.NEVA_EDGE_API_RATE_LIMITED })
      return { statusCode: 429, error: EdgeErrorCode.NEVA_EDGE_API_RATE_LIMITED, message: `${EDGE_API_ERRORS.NEVA_EDGE_API_RATE_LIMITED.message}; retry in ${context.after}` }
    },
  })
  const expected = deps.tokenSha256 === undefined ? undefined : Buffer.from(deps.tokenSha256, 'hex')
  const authorized = (request: FastifyRequest): boolean => {
    if (!expected) return false
    const m = /^Bearer ([^\s]{1,512})$/.exec(request.headers.authorization ?? '')
    // Hash first: the comparison then takes the same time whatever the token's length.
    const given = m ? createHash('sha256').update(m[1]!, 'utf8').digest() : undefined
    return given !== undefined && timingSafeEqual(given, expected)
  }
  const patientData = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!expected) return refuse(reply, EdgeErrorCode.NEVA_EDGE_API_NO_TOKEN)
    if (!authorized(request)) return refuse(reply, EdgeErrorCode.NEVA_EDGE_API_UNAUTHORIZED)
  }
  void app.after(() => {
    app.get('/healthz', async () => ({ status: 'ok', gateway_id: deps.gatewayId }))
    // Open: counts and codes only. With the API token: reasons and origins too.
    app.get('/status', async (request) => statusOf(deps, authorized(request)))
    app.get('/patients', { onRequest: patientData }, async () => ({ patients: deps.triage.snapshot() }))
    app.get('/metrics', async (_request, reply) => {
      void reply.header('content-type', deps.metrics.registry.contentType)
      return deps.metrics.registry.metrics()
    })
  })
  return app
}

function statusOf(deps: EdgeApiDeps, detail: boolean) {
  const model = deps.pool?.current()
  return {
    gateway_id: deps.gatewayId,
    /** Port, TLS, access mode, connections refused and publishes denied, by login and code. */
    mqtt: deps.mqtt(),
    mllp: deps.mllp?.() ?? null,
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
      risk_model: deps.pool?.currentRisk() ? `${deps.pool.currentRisk()!.id}@${deps.pool.currentRisk()!.version}` : null,
      risk_sync: deps.riskSync?.status() ?? null,
    },
    /** Every device heard or configured: last message, counts, errors by code, link state. */
    devices: detail ? deps.devices.snapshot() : deps.devices.snapshot().map(({ origin: _o, last_error: _e, ...counts }) => counts),
    /** The last 50 refusals: code and time; with the token, the (redacted) reason and origin too. */
    recent_rejections: detail ? deps.durable.recentRejections : deps.durable.recentRejections.map(({ code, time }) => ({ code, time })),
  }
}
