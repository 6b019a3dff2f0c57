// Physician orders: POST /v1/orders (clinicians) and POST /v1/orders/:id/status (clinicians and
// nurses), only for patients on a ward or site granted to the user; every change is stored, then
// published live (the ICU board shows it to everyone on that ward).
import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { NewOrder, Order, ORDER_TRANSITIONS, OrderStatusChange } from '@neva/contracts'
import type { BoardStores } from '../live/snapshot.js'
import { CoreError } from '../errors.js'
import type { BoardAccess, BoardUser } from '../live/access.js'
import type { LiveBus } from '../live/bus.js'

export interface OrdersOptions {
  access: BoardAccess
  bus: LiveBus
  stores: Pick<BoardStores, 'boards' | 'orders'>
}

export const ordersPlugin: FastifyPluginAsyncTypebox<OrdersOptions> = async (app, { access, bus, stores }) => {
  /** The encounter, when it is the patient's and the user may see where it is. */
  async function grantedEncounter(user: BoardUser, patientId: string, encounterId: string) {
    const encounter = await stores.boards.encounter(encounterId)
    if (!encounter || encounter.patient_id !== patientId) throw new CoreError('NEVA_CORE_ENCOUNTER_NOT_FOUND', encounterId)
    if (!access.canSee(user, { site: encounter.site, ward: encounter.ward })) throw new CoreError('NEVA_CORE_NOT_GRANTED', `${encounter.site}/${encounter.ward ?? '-'}`)
    return encounter
  }

  app.post(
    '/v1/orders',
    { schema: { body: NewOrder, response: { 201: Order } }, preHandler: access.require('clinician') },
    async (request, reply) => {
      const user = access.user(request)
      const { patient_id, encounter_id, text, code } = request.body
      const encounter = await grantedEncounter(user, patient_id, encounter_id)
      if (encounter.end_time !== null) throw new CoreError('NEVA_CORE_ENCOUNTER_NOT_FOUND', `${encounter_id} has ended`)
      const now = Date.now()
      const order: Order = { order_id: randomUUID(), patient_id, encounter_id, ordered_by: user.id, code: code ?? '', text, status: 'placed', updated_by: user.id, placed_time: now, updated_time: now }
      await stores.orders.put(order)
      bus.publishOrder(order)
      return reply.status(201).send(order)
    },
  )

  app.post(
    '/v1/orders/:id/status',
    { schema: { params: Type.Object({ id: Type.String({ maxLength: 128 }) }), body: OrderStatusChange, response: { 200: Order } }, preHandler: access.require('clinician', 'nurse') },
    async (request) => {
      const user = access.user(request)
      const current = await stores.orders.get(request.params.id)
      if (!current) throw new CoreError('NEVA_CORE_ORDER_NOT_FOUND', request.params.id)
      await grantedEncounter(user, current.patient_id, current.encounter_id)
      const status = request.body.status
      if (!ORDER_TRANSITIONS[current.status].includes(status)) throw new CoreError('NEVA_CORE_ORDER_TRANSITION', `${current.status} → ${status}`)
      // Strictly later than the row it replaces, so the latest wins even within one millisecond.
      const order: Order = { ...current, status, updated_by: user.id, updated_time: Math.max(Date.now(), current.updated_time + 1) }
      await stores.orders.put(order)
      bus.publishOrder(order)
      return order
    },
  )
}
