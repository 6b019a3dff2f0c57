// Decision support for the hospital systems (their NEVA_EMR_TOKENS): the three most likely
// preliminary diagnoses for a complaint, and a second opinion on a final diagnosis from the
// patient's record. The newest model in dx_models is used; every answer is stored in
// dx_suggestions before it is returned, so agreement with the clinicians is measurable.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { FinalCheckAnswer, FinalCheckRequest, PreliminaryAnswer, PreliminaryRequest, orderSetFor } from '@neva/contracts'
import { checkFinalDiagnosis, DxModelStore, DxSuggestionStore, predictDx, type ClickHouse, type DxModel } from '@neva/analytics'
import { CoreError } from '../errors.js'
import { gatewayAuthenticator } from './auth.js'

export interface DecisionSupportOptions {
  clickhouse: ClickHouse
  /** system name → sha256 (hex) of its bearer token (the same systems that send record events). */
  systems: Record<string, string>
  /** How often to look for a newer model, ms. */
  refreshMs?: number
}

/** The newest stored model, looked up again at most every `refreshMs`. */
function currentModel(store: DxModelStore, refreshMs: number) {
  let model: DxModel | null = null
  let checked = -Infinity
  return async (): Promise<DxModel> => {
    if (performance.now() - checked >= refreshMs || !model) {
      model = (await store.latest()) ?? model
      checked = performance.now()
    }
    if (!model) throw new CoreError('NEVA_CORE_DX_NO_MODEL')
    return model
  }
}

export const decisionSupportPlugin: FastifyPluginAsyncTypebox<DecisionSupportOptions> = async (app, { clickhouse, systems, refreshMs = 30_000 }) => {
  const authenticate = gatewayAuthenticator(systems)
  const model = currentModel(new DxModelStore(clickhouse), refreshMs)
  const suggestions = new DxSuggestionStore(clickhouse)
  const onRequest = async (request: { dxSystem?: string } & Parameters<typeof authenticate>[0]) => {
    request.dxSystem = authenticate(request)
  }
  const storage = (cause: unknown): never => {
    if (cause instanceof CoreError) throw cause
    throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', undefined, { cause })
  }

  app.post('/v1/decision-support/preliminary', { schema: { body: PreliminaryRequest, response: { 200: PreliminaryAnswer } }, onRequest }, async (request) => {
    const q = request.body
    const m = await model().catch(storage)
    const top3 = predictDx(m, { texts: q.complaints.map((c) => c.text), codes: q.complaints.flatMap((c) => c.codes ?? []), age: q.age, sex: q.sex })
    const id = await suggestions.record({
      kind: 'preliminary', encounter_id: q.encounter_id, patient_id: q.patient_id, model: m, suggestions: top3, source: request.dxSystem!, time: Date.now(),
    }).catch(storage)
    return { suggestion_id: id, model: { id: m.id, version: m.version }, suggestions: top3, order_set: orderSetFor(top3.map((c) => c.icd10)) }
  })

  app.post('/v1/decision-support/final-check', { schema: { body: FinalCheckRequest, response: { 200: FinalCheckAnswer } }, onRequest }, async (request) => {
    const q = request.body
    const m = await model().catch(storage)
    const check = await checkFinalDiagnosis(clickhouse, m, q).catch(storage)
    if (!check) throw new CoreError('NEVA_CORE_DX_UNKNOWN_PATIENT', q.patient_id)
    if (check.input.texts.length === 0) throw new CoreError('NEVA_CORE_DX_NO_COMPLAINT', q.encounter_id)
    const id = await suggestions.record({
      kind: 'final_check', encounter_id: q.encounter_id, patient_id: q.patient_id, model: m, suggestions: check.top3,
      physician_icd10: q.icd10, verdict: check.verdict.verdict, source: request.dxSystem!, time: Date.now(),
    }).catch(storage)
    return { suggestion_id: id, model: { id: m.id, version: m.version }, ...check.verdict }
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    dxSystem?: string
  }
}
