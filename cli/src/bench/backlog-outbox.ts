// An outbox that already holds a backlog of batches, in memory: what a gateway coming back from an
// outage has to send, for `neva bench ingest`'s flush phase. Hands the same batch until the core
// acknowledges it (as the real outbox does), counting attempts. Never for anything but measuring.
import { KIND_CAMEL_FIELDS, KIND_NAMES, type IngestBatch } from '@neva/contracts'
import type { Outbox, OutboxBatch, OutboxStats } from '@neva/edge'

export class BacklogOutbox implements Outbox {
  private readonly waiting: OutboxBatch[]
  private acked = 0

  constructor(batches: IngestBatch[]) {
    this.waiting = batches.map((b) => {
      const batch = { id: b.batch_id, gatewayId: b.gateway_id, attempts: 0 } as OutboxBatch
      for (const kind of KIND_NAMES) (batch as unknown as Record<string, unknown>)[KIND_CAMEL_FIELDS[kind]] = []
      batch.observations = b.observations
      return batch
    })
  }

  async append(): Promise<number[] | null> {
    throw new Error('a backlog outbox takes no new entries')
  }
  async nextBatch(): Promise<OutboxBatch | null> {
    const next = this.waiting[0]
    if (!next) return null
    next.attempts++
    return next
  }
  async ack(batchId: string): Promise<void> {
    if (this.waiting[0]?.id === batchId) {
      this.acked += this.waiting.shift()!.observations.length
    }
  }
  async deadLetter(batchId: string, reason: string): Promise<void> {
    throw new Error(`batch ${batchId} refused: ${reason}`)
  }
  onAppend(): void {}
  stats(): OutboxStats {
    const depth = this.waiting.reduce((a, b) => a + b.observations.length, 0)
    return { depth, oldestAgeMs: 0, bytes: 0, maxBytes: 0, full: false, appended: 0, acknowledged: this.acked, deadLettered: 0, duplicatesDropped: 0, refusedFull: 0 }
  }
  async close(): Promise<void> {}
}
