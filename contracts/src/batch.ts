// What a gateway sends the core, and what it keeps aside when a reading is refused.
// The kinds' arrays and counts come from the registry (kinds.ts), in its order.
import { Type, type Static, type TArray, type TInteger, type TOptional, type TSchema } from '@sinclair/typebox'
import { EpochMs, Identifier } from './observation.js'
import { KIND_NAMES, RECORD_KINDS, type KindField, type KindName } from './kinds.js'

export { RejectedReading } from './rejected.js'

export const MAX_BATCH_ITEMS = 10_000

type Registry = typeof RECORD_KINDS
type MaybeOptional<T extends TSchema, Optional extends boolean> = Optional extends true ? TOptional<T> : T
type BatchArrays = { [K in KindName as KindField<K>]: MaybeOptional<TArray<Registry[K]['schema']>, Registry[K]['optionalInBatch']> }
type AckCounts = { [K in KindName as KindField<K>]: MaybeOptional<TInteger, Registry[K]['optionalInAck']> }

function perKind(make: (kind: KindName) => TSchema, optional: (kind: KindName) => boolean): Record<string, TSchema> {
  const out: Record<string, TSchema> = {}
  for (const kind of KIND_NAMES) out[RECORD_KINDS[kind].field] = optional(kind) ? Type.Optional(make(kind)) : make(kind)
  return out
}

export const IngestBatch = Type.Object(
  {
    gateway_id: Identifier,
    /** Stable across retries: the core stores a batch once however often it arrives. */
    batch_id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
    sent_time: EpochMs,
    // observations, triage, rejected; the kinds added since are absent from older gateways.
    ...(perKind((k) => Type.Array(RECORD_KINDS[k].schema, { maxItems: MAX_BATCH_ITEMS }), (k) => RECORD_KINDS[k].optionalInBatch) as BatchArrays),
  },
  { additionalProperties: false },
)
export type IngestBatch = Static<typeof IngestBatch>

export const IngestAck = Type.Object({
  batch_id: Type.String(),
  /** false when this batch had already been stored: nothing was written again. */
  stored: Type.Boolean(),
  // Records stored per kind; the kinds added since transports are absent from older cores.
  ...(perKind(() => Type.Integer(), (k) => RECORD_KINDS[k].optionalInAck) as AckCounts),
})
export type IngestAck = Static<typeof IngestAck>
