// GET /v1/patients/:id/latest: the latest value of each vital sign and the latest triage.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Identifier } from '@neva/contracts'
import type { TelemetryStore } from '@neva/analytics'
import { CoreError } from '../errors.js'

export const patientsPlugin: FastifyPluginAsyncTypebox<{ store: TelemetryStore }> = async (app, { store }) => {
  app.get('/v1/patients/:id/latest', { schema: { params: Type.Object({ id: Identifier }) } }, async (request) => {
    let latest
    try {
      latest = await store.latest(request.params.id)
    } catch (cause) {
      throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', undefined, { cause })
    }
    if (!latest) throw new CoreError('NEVA_CORE_NOT_FOUND', request.params.id)
    return latest
  })
}
