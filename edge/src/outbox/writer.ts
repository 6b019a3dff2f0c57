// Every write to the SQLite outbox, run on the outbox's own thread (writer-thread.ts): group
// commits with their fsync, forming batches, pruning them. One connection does all writing, so
// nothing ever waits for a lock, and the gateway's event loop never waits for the disk.
//
// One row holds entries of one kind from the appends of one group commit (many device messages'
// readings) and owns the sequence numbers first_seq … first_seq + n − 1: a group of sixty
// messages costs one insert, not six hundred. Rows stay small enough to batch finely.
import Database from 'better-sqlite3'
import type { MessageKey } from '@neva/firmware-adapters'
import type { OutboxEntry } from './types.js'

export interface AppendRow {
  kind: OutboxEntry['kind']
  priority: number
  n: number
  /** JSON array of the entries' bodies. */
  body: string
}

export interface AppendRequest {
  id: number
  rows: AppendRow[]
  /** A device message's identity: a second append with it is dropped. */
  key?: MessageKey | undefined
}

export type AppendResult =
  /** firstSeqs[i] is -1 for a rejected row dropped at the refusals' budget; `dropped` counts its entries. */
  | { id: number; firstSeqs: number[]; dropped?: number }
  | { id: number; duplicate: true }
  | { id: number; error: 'full' | 'failed'; message: string }

export interface WriterOptions {
  path: string
  maxBytes: number
  /**
   * Budget of refused input (kind 'rejected') within maxBytes: past it, new refusals are dropped
   * (counted), so that a device sending garbage cannot fill the outbox and block good readings.
   */
  rejectedMaxBytes: number
  dedupWindowMs: number
  liveWindowMs: number
}

export interface BatchRows {
  id: number
  attempts: number
  rows: Array<{ first_seq: number; kind: AppendRow['kind']; body: string }>
}

/** A row is never larger than this, so that batches of a few thousand entries stay fine-grained. */
const ROW_MAX_ENTRIES = 500
const ROW_MAX_BYTES = 256 * 1024

type Candidate = { first_seq: number; n: number; len: number }

/** Every statement the writer runs; a test checks that none scans the whole items table. */
export const SQL = {
  insert: 'INSERT INTO items (first_seq, n, kind, priority, created_ms, len, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
  saveSeq: "UPDATE meta SET value = ? WHERE key = 'next_seq'",
  seen: 'INSERT OR IGNORE INTO seen (t, device, hash, at_ms) VALUES (?, ?, ?, ?)',
  // A row goes once it is older than the window by both clocks: t bounds the scan, at_ms keeps
  // the identity of a message a device sent late (buffered readings) for the whole window.
  forget: 'DELETE FROM seen WHERE t < ? AND at_ms < ?',
  saveCutoff: "INSERT OR REPLACE INTO meta (key, value) VALUES ('dedup_cutoff', ?)",
  pages: 'SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS used',
  inFlight: 'SELECT id, attempts FROM batches ORDER BY id LIMIT 1',
  newBatch: 'INSERT INTO batches (created_ms) VALUES (?)',
  urgent: 'SELECT first_seq, n, len FROM items WHERE batch IS NULL AND priority > 0 ORDER BY priority DESC, first_seq LIMIT ?',
  // In the age index's order: ORDER BY first_seq alone made the planner scan the whole table.
  live: 'SELECT first_seq, n, len FROM items WHERE batch IS NULL AND created_ms >= ? ORDER BY created_ms, first_seq LIMIT ?',
  liveUrgent: 'SELECT first_seq, n, len FROM items WHERE batch IS NULL AND created_ms >= ? AND priority > 0 ORDER BY created_ms, first_seq LIMIT ?',
  backlog: 'SELECT first_seq, n, len FROM items WHERE batch IS NULL ORDER BY priority DESC, first_seq LIMIT ?',
  assign: 'UPDATE items SET batch = ? WHERE first_seq = ?',
  batchItems: 'SELECT first_seq, kind, body FROM items WHERE batch = ? ORDER BY first_seq',
  attempt: 'UPDATE batches SET attempts = attempts + 1 WHERE id = ?',
  batchSize: 'SELECT coalesce(sum(n), 0) AS n FROM items WHERE batch = ?',
  batchRejectedBytes: "SELECT coalesce(sum(len), 0) AS b FROM items WHERE batch = ? AND kind = 'rejected'",
  deleteItems: 'DELETE FROM items WHERE batch = ?',
  deleteBatch: 'DELETE FROM batches WHERE id = ?',
  deadLetter: 'INSERT INTO dead_letters (first_seq, n, kind, batch, reason, dead_ms, body) SELECT first_seq, n, kind, ?, ?, ?, body FROM items WHERE batch = ?',
} as const

export class OutboxWriter {
  private readonly db: Database.Database
  private readonly pageSize: number
  private nextSeq: number
  private lastPrune = 0
  /** The last cutoff of forget (persisted), and when it was taken by the monotonic clock. */
  private cutoff: number | undefined
  private cutoffMono = performance.now()
  /** Bytes of bodies of refused input waiting in items (against rejectedMaxBytes). */
  rejectedBytes: number
  full = false
  private readonly stmt: Record<keyof typeof SQL, Database.Statement>

  constructor(private readonly options: WriterOptions) {
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    // FULL: every commit is fsync'd, so an acknowledged reading survives power loss.
    this.db.pragma('synchronous = FULL')
    this.db.pragma('busy_timeout = 10000')
    this.pageSize = this.db.pragma('page_size', { simple: true }) as number
    // Persisted with every commit, so a sequence number is never reused, even after pruning.
    this.nextSeq = Number((this.db.prepare("SELECT value FROM meta WHERE key = 'next_seq'").get() as { value: string }).value)
    const saved = this.db.prepare("SELECT value FROM meta WHERE key = 'dedup_cutoff'").get() as { value: string } | undefined
    this.cutoff = saved ? Number(saved.value) : undefined
    this.stmt = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, this.db.prepare(sql)])) as Record<keyof typeof SQL, Database.Statement>
    // Once at start-up, over the partial index of refusals only.
    this.rejectedBytes = (this.db.prepare("SELECT coalesce(sum(len), 0) AS b FROM items INDEXED BY items_rejected WHERE kind = 'rejected'").get() as { b: number }).b
  }

  /**
   * Identities older than this are forgotten. A wall clock that jumps ahead (a wrong RTC, an NTP
   * step) would forget a whole window at once, and a device resending right after the jump would
   * be stored twice (neva sim faults found it): the cutoff moves at most twice as fast as the
   * monotonic clock since the last prune (restarts included, through meta), so it catches up with
   * a jump, or a long downtime, over as long again instead of at once.
   */
  private dedupCutoff(now: number): number {
    const mono = performance.now()
    const wanted = now - this.options.dedupWindowMs
    const cutoff = this.cutoff === undefined || !Number.isFinite(this.cutoff) ? wanted : Math.min(wanted, this.cutoff + 2 * (mono - this.cutoffMono))
    this.cutoff = cutoff
    this.cutoffMono = mono
    return cutoff
  }

  usedBytes(): number {
    return (this.stmt.pages.get() as { used: number }).used * this.pageSize
  }

  /** Commits a group of appends in one transaction (one fsync). */
  commit(group: AppendRequest[]): AppendResult[] {
    const now = Date.now()
    this.full = this.usedBytes() >= this.options.maxBytes
    if (this.full) {
      // Nothing is shed: the devices are not acknowledged and keep their own buffers.
      return group.map((r) => ({ id: r.id, error: 'full', message: `outbox is at its disk budget (${this.options.maxBytes} bytes)` }))
    }
    const before = this.nextSeq
    try {
      return this.db.transaction(() => {
        if (now - this.lastPrune > 60_000) {
          const cutoff = this.dedupCutoff(now)
          this.stmt.forget.run(cutoff, cutoff)
          this.stmt.saveCutoff.run(String(cutoff))
          this.lastPrune = now
        }
        const results: AppendResult[] = []
        // Entries of one kind from the whole group share rows: one insert for many messages.
        const pieces = new Map<AppendRow['kind'], Array<{ row: AppendRow; seqs: number[]; at: number }>>()
        let rejected = this.rejectedBytes
        for (const r of group) {
          if (r.key !== undefined && this.stmt.seen.run(r.key.time, r.key.device, r.key.hash, now).changes === 0) {
            results.push({ id: r.id, duplicate: true })
            continue
          }
          const firstSeqs = new Array<number>(r.rows.length)
          const result: { id: number; firstSeqs: number[]; dropped?: number } = { id: r.id, firstSeqs }
          r.rows.forEach((row, at) => {
            if (row.kind === 'rejected') {
              if (rejected + row.body.length > this.options.rejectedMaxBytes) {
                // Refusals over their budget are dropped, the rest of the message is stored.
                firstSeqs[at] = -1
                result.dropped = (result.dropped ?? 0) + row.n
                return
              }
              rejected += row.body.length
            }
            const list = pieces.get(row.kind) ?? []
            list.push({ row, seqs: firstSeqs, at })
            pieces.set(row.kind, list)
          })
          results.push(result)
        }
        let insertedRejected = 0
        for (const list of pieces.values()) {
          let start = 0
          while (start < list.length) {
            let end = start
            let n = 0
            let len = 0
            do {
              n += list[end]!.row.n
              len += list[end]!.row.body.length
              end++
            } while (end < list.length && n + list[end]!.row.n <= ROW_MAX_ENTRIES && len + list[end]!.row.body.length <= ROW_MAX_BYTES)
            const first = this.nextSeq
            let seq = first
            const parts: string[] = []
            for (let i = start; i < end; i++) {
              const piece = list[i]!
              piece.seqs[piece.at] = seq
              seq += piece.row.n
              parts.push(piece.row.body.slice(1, -1))
            }
            const body = end - start === 1 ? list[start]!.row.body : `[${parts.join(',')}]`
            this.stmt.insert.run(first, n, list[start]!.row.kind, list[start]!.row.priority, now, body.length, body)
            if (list[start]!.row.kind === 'rejected') insertedRejected += body.length
            this.nextSeq += n
            start = end
          }
        }
        this.stmt.saveSeq.run(String(this.nextSeq))
        this.rejectedBytes += insertedRejected
        return results
      }).immediate()
    } catch (err) {
      this.nextSeq = before
      return group.map((r) => ({ id: r.id, error: 'failed', message: (err as Error).message }))
    }
  }

  /** The batch in flight if there is one, else a new one; null when nothing waits. */
  nextBatch(max: number, maxBytes: number, liveSince: number | null = null): BatchRows | null {
    return this.db.transaction(() => {
      let batch = this.stmt.inFlight.get() as { id: number; attempts: number } | undefined
      if (!batch) {
        const id = Number(this.stmt.newBatch.run(Date.now()).lastInsertRowid)
        if (this.assign(id, max, maxBytes, liveSince ?? Date.now() - this.options.liveWindowMs) === 0) {
          this.stmt.deleteBatch.run(id)
          return null
        }
        batch = { id, attempts: 0 }
      }
      this.stmt.attempt.run(batch.id)
      return { id: batch.id, attempts: batch.attempts + 1, rows: this.stmt.batchItems.all(batch.id) as BatchRows['rows'] }
    }).immediate()
  }

  /**
   * Fills a new batch: live entries first (appended since `liveSince`: urgent ones, then the
   * rest in arrival order, so that a draining backlog never delays them by more than a batch),
   * then the backlog's urgent entries (triage results, refusals), then its oldest readings; at
   * most about `max` entries within `maxBytes`, and always at least one row.
   */
  private assign(batchId: number, max: number, maxBytes: number, liveSince: number): number {
    let count = 0
    let bytes = 0
    let rows = 0
    // Candidates are read lazily and scanning stops at the first row that does not fit; the
    // picks are marked after each scan (a connection cannot write while it iterates).
    const take = (candidates: Iterable<Candidate>): boolean => {
      const picked: number[] = []
      let room = true
      for (const r of candidates) {
        if (rows > 0 && (count + r.n > max || bytes + r.len > maxBytes)) {
          room = false
          break
        }
        picked.push(r.first_seq)
        rows++
        count += r.n
        bytes += r.len
      }
      for (const seq of picked) this.stmt.assign.run(batchId, seq)
      return room
    }
    const steps = [
      () => this.stmt.liveUrgent.iterate(liveSince, max),
      () => this.stmt.live.iterate(liveSince, max),
      () => this.stmt.urgent.iterate(max),
      () => this.stmt.backlog.iterate(max),
    ]
    for (const step of steps) if (!take(step() as Iterable<Candidate>)) break
    return rows
  }

  /** Prunes an acknowledged batch; returns how many entries it held. */
  ack(batchId: number): number {
    return this.db.transaction(() => {
      const size = (this.stmt.batchSize.get(batchId) as { n: number }).n
      this.rejectedBytes -= (this.stmt.batchRejectedBytes.get(batchId) as { b: number }).b
      this.stmt.deleteItems.run(batchId)
      this.stmt.deleteBatch.run(batchId)
      return size
    }).immediate()
  }

  /** Moves a batch the core refused permanently to dead_letters; returns how many entries. */
  deadLetter(batchId: number, batchName: string, reason: string): number {
    return this.db.transaction(() => {
      const size = (this.stmt.batchSize.get(batchId) as { n: number }).n
      this.rejectedBytes -= (this.stmt.batchRejectedBytes.get(batchId) as { b: number }).b
      this.stmt.deadLetter.run(batchName, reason, Date.now(), batchId)
      this.stmt.deleteItems.run(batchId)
      this.stmt.deleteBatch.run(batchId)
      return size
    }).immediate()
  }

  close(): void {
    this.db.close()
  }
}
