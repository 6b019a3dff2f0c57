// The record kinds: everything a gateway stores, uplinks and the core keeps, one entry each.
// Every layer loops over this registry (the decoders' result, the outbox, the uplink, the ingest
// batch and its ack, the core's ingest, the store); what a layer cannot learn from here (a
// ClickHouse row, a metric) it declares in a map keyed by KindName that must name every kind.
//
// Adding a kind: an entry here (its order is its place on the wire and in the outbox), its
// decoder, its ClickHouse migration, and its row mapper in analytics (ROW_MAPPERS).
import type { Static, TObject } from '@sinclair/typebox'
import { Observation } from './observation.js'
import { TriageResult } from './triage.js'
import { RejectedReading } from './rejected.js'
import { LabResult } from './lab-result.js'
import { WaveformChunk } from './waveform.js'
import { Alarm } from './alarm.js'
import { Transport } from './transport.js'
import { InfusionEvent } from './infusion-event.js'
import { CtgVerdict } from './ctg-verdict.js'

export interface KindSpec {
  /** One record, as it travels in an ingest batch (with gateway_id and seq). */
  schema: TObject
  /** Its array's name in IngestBatch and its count's in IngestAck (and the ledger's column). */
  field: string
  /** May be absent from a batch: gateways older than the kind do not send it (nor an empty one). */
  optionalInBatch: boolean
  /** May be absent from an ack: cores older than the kind do not count it. */
  optionalInAck: boolean
  /** Outbox order: higher goes first when the uplink has to catch up. */
  priority: number
  /** A decoder produces drafts of it (Decoded[camelField]); the others the gateway makes itself. */
  decoded: boolean
  /** The ClickHouse table it is stored in: one row per record (a waveform chunk is one lead). */
  table: string
}

/**
 * Priorities: alarms and triage results are small and matter most, then refusals, lab results
 * and transports (an ED waits for the ETA); waveforms are bulky and matter least when the uplink
 * has to catch up.
 */
export const RECORD_KINDS = {
  observation: { schema: Observation, field: 'observations', optionalInBatch: false, optionalInAck: false, priority: 0, decoded: true, table: 'observations' },
  triage: { schema: TriageResult, field: 'triage', optionalInBatch: false, optionalInAck: false, priority: 2, decoded: false, table: 'triage_results' },
  rejected: { schema: RejectedReading, field: 'rejected', optionalInBatch: false, optionalInAck: false, priority: 1, decoded: false, table: 'rejected_readings' },
  /** Absent from gateways older than the lab and waveform sources. */
  lab_result: { schema: LabResult, field: 'lab_results', optionalInBatch: true, optionalInAck: false, priority: 1, decoded: true, table: 'lab_results' },
  waveform: { schema: WaveformChunk, field: 'waveforms', optionalInBatch: true, optionalInAck: false, priority: 0, decoded: true, table: 'waveforms' },
  /** Absent from gateways and cores older than alarms. */
  alarm: { schema: Alarm, field: 'alarms', optionalInBatch: true, optionalInAck: true, priority: 2, decoded: true, table: 'alarms' },
  /** Absent from gateways and cores older than the crews' transport messages. */
  transport: { schema: Transport, field: 'transports', optionalInBatch: true, optionalInAck: true, priority: 1, decoded: true, table: 'transports' },
  /** Absent from gateways and cores older than infusion pumps (IHE PCD-10). */
  infusion_event: { schema: InfusionEvent, field: 'infusion_events', optionalInBatch: true, optionalInAck: true, priority: 1, decoded: true, table: 'infusion_events' },
  /** Absent from gateways and cores older than CTG classification at the edge. */
  ctg_verdict: { schema: CtgVerdict, field: 'ctg_verdicts', optionalInBatch: true, optionalInAck: true, priority: 2, decoded: false, table: 'ctg_verdicts' },
} as const satisfies Record<string, KindSpec>

type Registry = typeof RECORD_KINDS
export type KindName = keyof Registry
/** Every kind, in registry order (the order of the wire's fields and of the outbox's rows). */
export const KIND_NAMES = Object.keys(RECORD_KINDS) as KindName[]

/** A kind's field in IngestBatch/IngestAck, e.g. 'lab_results'. */
export type KindField<K extends KindName = KindName> = Registry[K]['field']
/** A kind's ClickHouse table. */
export type KindTable<K extends KindName = KindName> = Registry[K]['table']
/** One record of a kind, as stored. */
export type KindRecord<K extends KindName> = Static<Registry[K]['schema']>
/** A record before the gateway gives it an identity (gateway_id, seq). */
export type KindDraft<K extends KindName> = Omit<KindRecord<K>, 'gateway_id' | 'seq'>
/** Kinds a decoder produces. */
export type DecodedKindName = { [K in KindName]: Registry[K]['decoded'] extends true ? K : never }[KindName]
export const DECODED_KIND_NAMES = KIND_NAMES.filter((k) => RECORD_KINDS[k].decoded) as DecodedKindName[]

/** snake_case → camelCase, for the in-process names of batch fields (lab_results → labResults). */
export type CamelCase<S extends string> = S extends `${infer A}_${infer B}` ? `${A}${Capitalize<CamelCase<B>>}` : S
/** A kind's field as the TypeScript side names it (Decoded, OutboxBatch): 'labResults'. */
export type KindCamelField<K extends KindName = KindName> = CamelCase<KindField<K>>
const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
/** kind → its field camelCased ('lab_result' → 'labResults'). */
export const KIND_CAMEL_FIELDS = Object.fromEntries(KIND_NAMES.map((k) => [k, camel(RECORD_KINDS[k].field)])) as { [K in KindName]: KindCamelField<K> }

