// The edge outbox: where every reading waits, durably, until the core has committed it.
//
//   received ──append()──► durable ──nextBatch()──► sent ──ack()──► acknowledged → pruned
//   (in memory,            (row in items,           (row assigned     (rows deleted in the
//    not yet acked          batch_id NULL;           to a batch row;   same transaction as
//    to the device)         device acked now)        resent as the     the ack)
//                                                    same batch until
//                                                    acked)
//      │                               └──deadLetter()──► dead letter (core refused the batch
//      │                                                   permanently; kept in dead_letters)
//      ├──► dropped as duplicate: same identity (device and the hash of its stamped message) as
//      │    a message stored within the dedup window; the device is acknowledged again
//      └──► refused: the outbox is at its disk budget; the device is NOT acknowledged and keeps
//           the reading (nothing is ever shed silently)
//
// Invariant: append() resolves only after the rows are committed (WAL, synchronous=FULL, one
// fsync per group commit), and a device is acknowledged only after append() resolved. A batch's
// content and id never change once assigned, so a batch retried after a crash or a lost answer is
// the same batch, which the core stores once.
// Refused input (bad JSON, impossible values) is appended as kind 'rejected' and travels the same
// way to the core's rejected_readings table.
import { KIND_NAMES, RECORD_KINDS, type KindCamelField, type KindDraft, type KindName, type KindRecord } from '@neva/contracts'
import type { MessageKey } from '@neva/firmware-adapters'
import { EdgeErrorCode } from '../errors.js'

export type { MessageKey }

/** What the outbox holds; gateway_id and seq are given by the outbox. */
/** One entry per record kind of the registry (contracts/src/kinds.ts); the kind's name is its outbox kind. */
export type OutboxEntry = { [K in KindName]: { kind: K; body: KindDraft<K> } }[KindName]

/**
 * Higher goes first (the registry's priorities): alarms and triage results are small and matter
 * most, then refusals, lab results and transports (an ED waits for the ETA); waveforms are bulky
 * and matter least when the uplink has to catch up.
 */
export const PRIORITY = Object.fromEntries(KIND_NAMES.map((k) => [k, RECORD_KINDS[k].priority])) as Record<KindName, number>

/** A batch's records of every kind, by the kind's field camelCased (observations, labResults, …). */
export type OutboxBatchRecords = { [K in KindName as KindCamelField<K>]: KindRecord<K>[] }

export interface OutboxBatch extends OutboxBatchRecords {
  /** Stable across retries and restarts. */
  id: string
  gatewayId: string
  attempts: number
}

export interface OutboxStats {
  /** Rows not yet acknowledged by the core. */
  depth: number
  /** Age of the oldest unacknowledged row, ms; 0 when empty. */
  oldestAgeMs: number
  /** Bytes the database uses, against its budget. */
  bytes: number
  maxBytes: number
  /** At the budget: appends are refused and devices are not acknowledged. */
  full: boolean
  appended: number
  acknowledged: number
  deadLettered: number
  /** Messages a device sent again (same identity) and that were stored only once. */
  duplicatesDropped: number
  /** Entries refused because the outbox was full. */
  refusedFull: number
  /**
   * Refusals (kind 'rejected') not kept because refused input was at its own budget; the device
   * was acknowledged and the readings around them stored. Optional: other outboxes do not shed.
   */
  rejectedDropped?: number
}

export class OutboxFullError extends Error {
  readonly code = EdgeErrorCode.NEVA_EDGE_OUTBOX_FULL
  constructor(maxBytes: number) {
    super(`outbox is at its disk budget (${maxBytes} bytes): not acknowledging until the uplink drains it`)
  }
}

export interface Outbox {
  /**
   * Resolves once the entries are durable, with their sequence numbers; with null when `key`
   * (a device message's identity) was already stored within the dedup window, in which case
   * nothing is stored again. Rejects with OutboxFullError at the budget.
   */
  append(entries: OutboxEntry[], key?: MessageKey): Promise<number[] | null>
  /**
   * The batch in flight if there is one, else a new batch of at most `max` entries whose bodies
   * stay within `maxBytes` (at least one entry), or null when nothing waits. Entries appended at
   * or after `liveSince` (ms) go first, in arrival order, then urgent ones, then the oldest;
   * without it, the last `live_window_ms` count as live.
   */
  nextBatch(max: number, maxBytes?: number, liveSince?: number): Promise<OutboxBatch | null>
  /** The core committed the batch: prune it. */
  ack(batchId: string): Promise<void>
  /** The core refused the batch permanently: keep it aside, out of the way of the rest. */
  deadLetter(batchId: string, reason: string): Promise<void>
  /** Notified after each commit (so the uplink need not poll). */
  onAppend(listener: () => void): void
  stats(): OutboxStats
  close(): Promise<void>
}
