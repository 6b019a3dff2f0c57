// An outbox that keeps nothing: the baseline of `neva bench outbox`, the same pipeline with the
// durable store bypassed. Never for anything but measuring.
import type { Outbox, OutboxEntry, OutboxStats } from '@neva/edge'

export class NullOutbox implements Outbox {
  private seq = 1
  private appended = 0

  append(entries: OutboxEntry[]): Promise<number[] | null> {
    const seqs = entries.map(() => this.seq++)
    this.appended += entries.length
    // Resolve on the next turn, as the real outbox's group commit does.
    return new Promise((resolve) => setImmediate(() => resolve(seqs)))
  }
  async nextBatch() {
    return null
  }
  async ack() {}
  async deadLetter() {}
  onAppend() {}
  stats(): OutboxStats {
    return { depth: 0, oldestAgeMs: 0, bytes: 0, maxBytes: 0, full: false, appended: this.appended, acknowledged: 0, deadLettered: 0, duplicatesDropped: 0, refusedFull: 0 }
  }
  async close() {}
}
