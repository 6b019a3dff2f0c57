// GET /v1/patients/:id/latest: the latest value of each vital sign and the latest triage, for a
// clinician or nurse granted the ward or site of the patient's open encounter; every answer is
// written to the record-view audit first. A refused request reads no patient data and is not a
// view (so not audited as one); a patient outside the grants is refused whether or not Neva has
// data on them, so the answer does not reveal who is in hospital.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { canSee, Identifier } from '@neva/contracts'
import type { TelemetryStore } from '@neva/analytics'
import { CoreError } from '../errors.js'

export const patientsPlugin: FastifyPluginAsyncTypebox<{ store: TelemetryStore }> = async (app, { store }) => {
  app.get('/v1/patients/:id/latest', { onRequest: app.requireUser('clinician', 'nurse'), schema: { params: Type.Object({ id: Identifier }) } }, async (request) => {
    const id = request.params.id
    let place
    try {
      place = await app.people.placeOf(id)
    } catch (cause) {
      throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', undefined, { cause })
    }
    if (!place || !canSee(request.user, place)) {
      throw new CoreError('NEVA_CORE_FORBIDDEN', `${id} is not on a ward or site granted to ${request.user!.id} (or has no open encounter)`)
    }
    let latest
    try {
      latest = await store.latest(id)
    } catch (cause) {
      throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', undefined, { cause })
    }
    if (!latest) throw new CoreError('NEVA_CORE_NOT_FOUND', id)
    await app.auditView(request, { patient_id: id, what: 'latest' })
    return latest
  })
}
