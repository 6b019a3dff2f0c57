// POST /v1/emr/events: the hospital systems' record events (patients, encounters, complaints,
// diagnoses), validated against the contracts and stored after the commit. Each system has its
// own token (NEVA_EMR_TOKENS); its name is stored as the rows' `source`.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { EmrAck, EmrBatch, type Encounter } from '@neva/contracts'
import type { EmrStore } from '@neva/analytics'
import { CoreError } from '../errors.js'
import { gatewayAuthenticator } from './auth.js'
import type { LiveBus } from '../live/bus.js'

export interface EmrOptions {
  store: EmrStore
  /** system name → sha256 (hex) of its bearer token. */
  systems: Record<string, string>
  /** Told of the encounters stored, after the commit (the boards' live stream). */
  live?: LiveBus
}

export const emrPlugin: FastifyPluginAsyncTypebox<EmrOptions> = async (app, { store, systems, live }) => {
  const authenticate = gatewayAuthenticator(systems)
  app.post(
    '/v1/emr/events',
    {
      schema: { body: EmrBatch, response: { 200: EmrAck } },
      onRequest: async (request) => {
        request.emrSystem = authenticate(request)
      },
    },
    async (request) => {
      let ack
      try {
        ack = await store.store(request.body.events, request.emrSystem!)
      } catch (cause) {
        request.log.error({ err: cause }, 'ClickHouse insert failed')
        throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', undefined, { cause })
      }
      live?.publishEncounters(request.body.events.filter((e): e is Encounter => e.type === 'encounter'))
      return ack
    },
  )
}

declare module 'fastify' {
  interface FastifyRequest {
    emrSystem?: string
  }
}
