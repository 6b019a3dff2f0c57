// Order: a physician's order for a patient (a drug, a test, a procedure) and where it stands.
// Clinicians place orders; clinicians and nurses move them along:
//
//   placed ──► in_progress ──► done
//      │            │
//      └────────────┴──► cancelled
//
// done and cancelled are final. Every change is a new row; the latest updated_time wins.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, literals } from './observation.js'
import { OptionalCode } from './ids.js'

export const ORDER_STATUSES = ['placed', 'in_progress', 'done', 'cancelled'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/** The changes allowed from each status. */
export const ORDER_TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  placed: ['in_progress', 'done', 'cancelled'],
  in_progress: ['done', 'cancelled'],
  done: [],
  cancelled: [],
}

export const Order = Type.Object(
  {
    order_id: Identifier,
    patient_id: Identifier,
    encounter_id: Identifier,
    /** The clinician who placed it (a user id). */
    ordered_by: Identifier,
    /** A code where the hospital has one (e.g. a local drug or procedure code); '' when none. */
    code: OptionalCode(64),
    text: Type.String({ minLength: 1, maxLength: 2000 }),
    status: literals(ORDER_STATUSES),
    /** Who made the latest change. */
    updated_by: Identifier,
    placed_time: EpochMs,
    updated_time: EpochMs,
  },
  { additionalProperties: false },
)
export type Order = Static<typeof Order>

/** POST /v1/orders */
export const NewOrder = Type.Object(
  {
    patient_id: Identifier,
    encounter_id: Identifier,
    code: Type.Optional(OptionalCode(64)),
    text: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
)
export type NewOrder = Static<typeof NewOrder>

/** POST /v1/orders/:id/status */
export const OrderStatusChange = Type.Object(
  { status: literals(ORDER_STATUSES) },
  { additionalProperties: false },
)
export type OrderStatusChange = Static<typeof OrderStatusChange>
