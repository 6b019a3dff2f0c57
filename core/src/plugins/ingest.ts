// POST /v1/ingest: a gateway's batch, validated, stored once, answered after the commit.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { IngestAck, IngestBatch, KIND_NAMES, RECORD_KINDS, type RejectedReading } from '@neva/contracts'
import { recordsOf, type TelemetryStore } from '@neva/analytics'
import { CoreError, type CORE_REJECTIONS } from '../errors.js'
import type { CoreMetrics } from '../metrics.js'
import { gatewayAuthenticator, type GatewayCredentials } from './auth.js'
import type { LiveBus } from '../live/bus.js'
import { contentLength, IngestAdmission, type IngestLimits, type Ticket } from './ingest-admission.js'
import { keepAsideValueless } from './observation-values.js'
import { keepAsideCoreAlarms } from './core-alarm-ids.js'

export interface IngestOptions {
  store: TelemetryStore
  gateways: GatewayCredentials
  metrics: CoreMetrics
  /** Told of every batch stored, after the commit (the boards' live stream). */
  live?: LiveBus
  /** gateway id → the sites whose ED board its transports may name (CoreConfig.gatewaySites). */
  gatewaySites?: Readonly<Record<string, readonly string[]>>
  /** Batches and bytes handled at once (CoreConfig.ingest); beyond them, 429 with Retry-After. */
  limits?: IngestLimits
  /** The largest body accepted: what a body without Content-Length counts as. */
  bodyLimit?: number
}

/**
 * The batch with every transport whose destination its gateway is not bound to taken out and kept
 * aside as a rejected reading (the same seq: one identity, one row). A gateway without sites (an
 * unknown ambulance network, an open-mode MQTT broker) puts no one on any ED board.
 */
export function bindTransports(batch: IngestBatch, sites: readonly string[] | undefined): { batch: IngestBatch; refused: number } {
  const transports = batch.transports ?? []
  if (transports.length === 0) return { batch, refused: 0 }
  const allowed = new Set(sites ?? [])
  const kept = transports.filter((t) => allowed.has(t.destination_site))
  if (kept.length === transports.length) return { batch, refused: 0 }
  const refused: RejectedReading[] = transports.filter((t) => !allowed.has(t.destination_site)).map((t) => ({
    gateway_id: t.gateway_id, seq: t.seq, source: 'mqtt', origin: `transport ${t.unit}`, received_time: t.received_time, code: 'NEVA_CORE_TRANSPORT_SITE_NOT_BOUND' satisfies keyof typeof CORE_REJECTIONS,
    reason: `gateway ${t.gateway_id} is not bound to site ${JSON.stringify(t.destination_site)} (bound: ${[...allowed].map((s) => JSON.stringify(s)).join(', ') || 'none'}): patient ${t.patient_id} is not put on its ED board`,
    payload: JSON.stringify(t),
  }))
  return { batch: { ...batch, transports: kept, rejected: [...batch.rejected, ...refused] }, refused: refused.length }
}

export const ingestPlugin: FastifyPluginAsyncTypebox<IngestOptions> = async (app, { store, gateways, metrics, live, gatewaySites = {}, limits, bodyLimit = 32 * 1024 * 1024 }) => {
  const authenticate = gatewayAuthenticator(gateways)
  const admission = new IngestAdmission(limits ?? { maxInFlightBatches: 8, maxInFlightBytes: 64 * 1024 * 1024, retryAfterS: 1 }, bodyLimit)
  // One batch at a time per gateway: a retry racing its own original waits and finds it stored.
  const lanes = new Map<string, Promise<unknown>>()

  app.addHook('onError', async (request, _reply, error) => {
    if (request.routeOptions.url !== '/v1/ingest') return
    const code = (error as { code?: string }).code
    metrics.batches.inc({
      outcome: code === 'FST_ERR_VALIDATION' ? 'invalid'
        : code === 'NEVA_CORE_UNAUTHORIZED' || code === 'NEVA_CORE_GATEWAY_MISMATCH' ? 'unauthorized'
        : code === 'NEVA_CORE_STORAGE_UNAVAILABLE' ? 'unavailable'
        : code === 'NEVA_CORE_INGEST_BUSY' ? 'busy'
        : 'error',
    })
  })

  app.post(
    '/v1/ingest',
    {
      schema: { body: IngestBatch, response: { 200: IngestAck } },
      // Authenticate, then admit, before the body is read, parsed and validated.
      onRequest: async (request, reply) => {
        request.gatewayId = authenticate(request)
        const ticket = admission.admit(contentLength(request.headers['content-length']))
        if (!ticket) {
          void reply.header('retry-after', String(admission.retryAfterS))
          throw new CoreError('NEVA_CORE_INGEST_BUSY', `${admission.inFlight().batches} batches in flight; retry after ${admission.retryAfterS} s`)
        }
        request.ingestTicket = ticket
        // A body that never reaches the handler (invalid, cut off) frees its place when the answer ends.
        reply.raw.once('close', () => { if (!ticket.handling) ticket.release() })
      },
    },
    async (request) => {
      const ticket = request.ingestTicket!
      ticket.handling = true
      try {
        return await handle(request.gatewayId!, request.body, request)
      } finally {
        ticket.release()
      }
    },
  )

  async function handle(gatewayId: string, body: IngestBatch, request: FastifyRequest) {
    let foreign: { gateway_id: string } | undefined = body.gateway_id === gatewayId ? undefined : body
    for (const kind of KIND_NAMES) foreign ??= recordsOf(body, kind).find((r) => r.gateway_id !== gatewayId)
    if (foreign) throw new CoreError('NEVA_CORE_GATEWAY_MISMATCH', `token of ${gatewayId}, row of ${foreign.gateway_id}`)
    // A transport may only put its patient on the ED board of a site its gateway serves.
    const bound = bindTransports(body, Object.hasOwn(gatewaySites, gatewayId) ? gatewaySites[gatewayId] : undefined)
    // A reading is a number or words, never neither: one that is not is kept aside, not stored.
    // Only the core writes its gateway silence alarms; a gateway's row claiming one is kept aside.
    const claimed = keepAsideCoreAlarms(bound.batch)
    if (claimed.refused > 0) request.log.warn({ gateway_id: gatewayId, batch_id: body.batch_id, refused: claimed.refused }, "alarms claiming the core's silence alarm ids kept aside")
    const valued = keepAsideValueless(claimed.batch)
    const batch = valued.batch
    if (valued.refused > 0) request.log.warn({ gateway_id: gatewayId, batch_id: batch.batch_id, refused: valued.refused }, 'observations without a well-formed value kept aside')
    if (bound.refused > 0) {
      metrics.transportsRefused.inc({ gateway: gatewayId }, bound.refused)
      request.log.warn({ gateway_id: gatewayId, batch_id: batch.batch_id, refused: bound.refused }, 'transports to sites the gateway is not bound to kept aside')
    }

    // The gateway counts each hand-over to its uplink durably before sending, so attempt 1
    // has never been sent before and needs no ledger lookup; a header, so older cores ignore it.
    const attempt = request.headers['neva-batch-attempt']
    if (attempt !== undefined && (typeof attempt !== 'string' || !/^[1-9][0-9]{0,9}$/.test(attempt))) {
      throw new CoreError('NEVA_CORE_BAD_ATTEMPT', `neva-batch-attempt: ${JSON.stringify(attempt)} is not a positive integer`)
    }
    const firstAttempt = attempt === '1'

    const started = performance.now()
    const previous = lanes.get(gatewayId) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(() => store.storeBatch(batch, { firstAttempt }))
    lanes.set(gatewayId, run)
    let result
    try {
      result = await run
    } catch (cause) {
      request.log.error({ err: cause, batch_id: batch.batch_id }, 'ClickHouse insert failed')
      throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', undefined, { cause })
    } finally {
      if (lanes.get(gatewayId) === run) lanes.delete(gatewayId)
    }
    metrics.ingestSeconds.observe((performance.now() - started) / 1000)
    metrics.batches.inc({ outcome: result.stored ? 'stored' : 'duplicate' })
    if (result.stored) {
      // Every kind, transports included, labelled by its batch field.
      for (const kind of KIND_NAMES) metrics.rows.inc({ kind: RECORD_KINDS[kind].field }, result[RECORD_KINDS[kind].field])
      live?.publishBatch(batch)
    }
    return { batch_id: batch.batch_id, ...result }
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    gatewayId?: string
    ingestTicket?: Ticket
  }
}
