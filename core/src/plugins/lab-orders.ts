// Laboratory orders (docs/lab.md): placed by a hospital system (its NEVA_EMR_TOKENS token) or by a
// clinician granted the patient's ward or site; read by them and by nurses so granted (each read of
// a patient's orders written to the record-view audit); moved along the states of LabOrder, each
// change a row; served to gateways as the worklist of the sites they are bound to.
import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import {
  canSee, Identifier, LAB_PENDING_STATES, LabOrder, labTransitionAllowed, LabStateChange, loincCheckDigitOk, NewLabOrder, orderSetFor,
  type LabOrderState, type Role,
} from '@neva/contracts'
import type { BoardStore, LabMatchStore, LabOrderSetStore, LabOrderStore } from '@neva/analytics'
import { CoreError, stored } from '../errors.js'
import type { KeyedMutex } from '../keyed-mutex.js'
import type { BoardAccess } from '../live/access.js'
import type { LiveBus } from '../live/bus.js'
import { bearerToken, gatewayAuthenticator, type GatewayCredentials } from './auth.js'

export interface LabOrdersOptions {
  access: BoardAccess
  boards: Pick<BoardStore, 'encounter'>
  orders: LabOrderStore
  orderSets: LabOrderSetStore
  matches: LabMatchStore
  /** Hospital systems: name → sha256 (hex) of the token (CoreConfig.emrSystems). */
  systems: Record<string, string>
  gateways: GatewayCredentials
  /** gateway id → the sites it serves (CoreConfig.gatewaySites): its worklist. */
  gatewaySites: Readonly<Record<string, readonly string[]>>
  /** Per order id: the state route and the matcher change an order one at a time. */
  orderLocks: KeyedMutex
  /** Tells the patient's open page that a lab order changed (no data on the bus). */
  bus?: Pick<LiveBus, 'publishLabOrder'>
}

const FINAL: readonly LabOrderState[] = ['verified', 'cancelled']

export const labOrdersPlugin: FastifyPluginAsyncTypebox<LabOrdersOptions> = async (app, { access, boards, orders: store, orderSets, matches, systems, gateways, gatewaySites, orderLocks, bus }) => {
  // Every stored change of an order is heard by the patient's page.
  const orders = {
    get: store.get.bind(store), forPatient: store.forPatient.bind(store), bySpecimen: store.bySpecimen.bind(store), inStates: store.inStates.bind(store),
    record: async (order: LabOrder) => {
      await store.record(order)
      bus?.publishLabOrder(order.patient_id)
    },
    recordIfUnchanged: async (order: LabOrder, previous: { state: LabOrderState; updated_time: number }) => {
      const written = await store.recordIfUnchanged(order, previous)
      if (written) bus?.publishLabOrder(order.patient_id)
      return written
    },
  }
  const systemAuth = gatewayAuthenticator(systems)
  const gatewayAuth = gatewayAuthenticator(gateways)

  /** A hospital system's token, else a logged-in person holding one of `roles`. */
  const systemOr = (...roles: Role[]) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (bearerToken(request) !== undefined && Object.keys(systems).length > 0) {
      try {
        request.labSystem = systemAuth(request)
        return
      } catch {
        // not a system's token: perhaps a person's (OIDC)
      }
    }
    return access.require(...roles)(request, reply)
  }
  const who = (request: FastifyRequest): string => (request.labSystem !== undefined ? `system:${request.labSystem}` : `user:${access.user(request).id}`)

  /** People see an order where they are granted the place it was ordered from; systems see all. */
  async function visible(request: FastifyRequest, order: LabOrder): Promise<void> {
    if (request.labSystem !== undefined) return
    const user = access.user(request)
    if (!access.canSee(user, { site: order.site, ward: order.ward })) throw new CoreError('NEVA_CORE_NOT_GRANTED', `${order.site}/${order.ward ?? '-'}`)
    await access.auditView(request, { patient_id: order.patient_id, what: 'lab_order' })
  }

  app.post(
    '/v1/lab/orders',
    { schema: { body: NewLabOrder, response: { 201: LabOrder } }, preHandler: systemOr('clinician') },
    async (request, reply) => {
      const body = request.body
      const system = request.labSystem
      if (system === undefined && body.ordered_by !== undefined) throw new CoreError('NEVA_CORE_LAB_ORDERED_BY')
      for (const t of body.tests) if (!loincCheckDigitOk(t.loinc)) throw new CoreError('NEVA_CORE_LAB_BAD_LOINC', t.loinc)
      const keys = new Set(body.tests.map((t) => t.lab_code))
      if (keys.size !== body.tests.length || new Set(body.tests.map((t) => t.loinc)).size !== body.tests.length) throw new CoreError('NEVA_CORE_LAB_DUPLICATE_TEST')
      const encounter = await stored(() => boards.encounter(body.encounter_id))
      if (!encounter || encounter.patient_id !== body.patient_id || encounter.end_time !== null) throw new CoreError('NEVA_CORE_ENCOUNTER_NOT_FOUND', body.encounter_id)
      if (system === undefined && !access.canSee(access.user(request), { site: encounter.site, ward: encounter.ward })) {
        throw new CoreError('NEVA_CORE_NOT_GRANTED', `${encounter.site}/${encounter.ward ?? '-'}`)
      }
      const sameTube = await stored(() => orders.bySpecimen(body.specimen_id))
      if (sameTube.some((o) => !FINAL.includes(o.state))) throw new CoreError('NEVA_CORE_LAB_SPECIMEN_IN_USE', body.specimen_id)
      const now = Date.now()
      const by = who(request)
      const order: LabOrder = {
        order_id: randomUUID(), patient_id: body.patient_id, encounter_id: body.encounter_id, site: encounter.site, ward: encounter.ward,
        specimen_id: body.specimen_id, tests: body.tests, priority: body.priority,
        diagnosis_code: body.diagnosis?.code ?? '', diagnosis_text: body.diagnosis?.text ?? '',
        ordered_by: system !== undefined ? `system:${system}${body.ordered_by ? `/${body.ordered_by}` : ''}` : by,
        state: 'ordered', placed_time: now, updated_time: now, history: [{ state: 'ordered', by, time: now }],
      }
      if (body.order_set) {
        // The suggestion must be this encounter's: an order set is offered for one encounter.
        const suggestion = await stored(() => orderSets.suggestion(body.order_set!.suggestion_id))
        if (!suggestion || suggestion.encounter_id !== body.encounter_id) throw new CoreError('NEVA_CORE_LAB_ORDER_SET', body.order_set.suggestion_id)
        await stored(() => orders.record(order))
        await stored(() => orderSets.recordUse({
          suggestion_id: body.order_set!.suggestion_id, order_id: order.order_id, encounter_id: body.encounter_id,
          offered: orderSetFor(suggestion.suggested_icd10).tests.map((t) => t.loinc), ordered: body.tests.map((t) => t.loinc), time: now,
        }))
        return reply.status(201).send(order)
      }
      await stored(() => orders.record(order))
      return reply.status(201).send(order)
    },
  )

  app.get(
    '/v1/lab/orders/:id',
    { schema: { params: Type.Object({ id: Identifier }), response: { 200: LabOrder } }, preHandler: systemOr('clinician', 'nurse') },
    async (request) => {
      const order = await stored(() => orders.get(request.params.id))
      if (!order) throw new CoreError('NEVA_CORE_LAB_ORDER_NOT_FOUND', request.params.id)
      await visible(request, order)
      return order
    },
  )

  app.get(
    '/v1/lab/orders',
    { schema: { querystring: Type.Object({ patient_id: Identifier }, { additionalProperties: false }), response: { 200: Type.Object({ orders: Type.Array(LabOrder) }) } }, preHandler: systemOr('clinician', 'nurse') },
    async (request) => {
      const patient = request.query.patient_id
      if (request.labSystem === undefined) {
        // Refused alike whether or not Neva knows the patient: the answer does not say who is in hospital.
        const place = await stored(() => app.people.placeOf(patient))
        if (!place || !canSee(access.user(request), place)) throw new CoreError('NEVA_CORE_NOT_GRANTED', patient)
        await access.auditView(request, { patient_id: patient, what: 'lab_orders' })
      }
      return { orders: await stored(() => orders.forPatient(patient)) }
    },
  )

  app.post(
    '/v1/lab/orders/:id/state',
    { schema: { params: Type.Object({ id: Identifier }), body: LabStateChange, response: { 200: LabOrder } }, preHandler: systemOr('clinician', 'nurse') },
    // Read, judge and write as one step per order: queued behind any other change of it in this
    // core, and written only if the order is still as read (another core's change refuses it).
    async (request) => orderLocks.run(request.params.id, async () => {
      const current = await stored(() => orders.get(request.params.id))
      if (!current) throw new CoreError('NEVA_CORE_LAB_ORDER_NOT_FOUND', request.params.id)
      await visible(request, current)
      const state = request.body.state
      if (!labTransitionAllowed(current.state, state)) throw new CoreError('NEVA_CORE_LAB_TRANSITION', `${current.state} → ${state}`)
      // Strictly later than the change it follows, so the latest wins even within one millisecond.
      const time = Math.max(Date.now(), current.updated_time + 1)
      const order: LabOrder = { ...current, state, updated_time: time, history: [...current.history, { state, by: who(request), time }] }
      if (!(await stored(() => orders.recordIfUnchanged(order, current)))) throw new CoreError('NEVA_CORE_LAB_TRANSITION', `${current.state} → ${state}: the order changed meanwhile`)
      return order
    }),
  )

  app.get(
    '/v1/lab/worklist',
    {
      onRequest: async (request) => {
        request.labGateway = gatewayAuth(request)
      },
    },
    async (request) => {
      const gateway = request.labGateway!
      const sites = Object.hasOwn(gatewaySites, gateway) ? gatewaySites[gateway]! : []
      if (sites.length === 0) throw new CoreError('NEVA_CORE_LAB_NO_SITE', gateway)
      const pending = await stored(() => orders.inStates(sites, LAB_PENDING_STATES))
      return {
        gateway_id: gateway,
        generated_time: Date.now(),
        orders: pending.map(({ order_id, patient_id, specimen_id, tests, priority, state, placed_time }) => ({ order_id, patient_id, specimen_id, tests, priority, state, placed_time })),
      }
    },
  )

  // Results no order claimed, and those for cancelled orders: for the lab's desk and the
  // hospital system. No patient is named beyond the analyzer's specimen id, so it is not audited.
  app.get(
    '/v1/lab/results/unmatched',
    { schema: { querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) }, { additionalProperties: false }) }, preHandler: systemOr('clinician') },
    async (request) => ({ results: await stored(() => matches.unmatched(request.query.limit ?? 500)) }),
  )
}

declare module 'fastify' {
  interface FastifyRequest {
    labSystem?: string
    labGateway?: string
  }
}
