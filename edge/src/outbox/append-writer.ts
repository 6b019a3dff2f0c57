// The write half of the SQLite outbox, run on its own thread (append-worker.ts): group commits,
// with their fsync, never block the gateway's event loop. One row holds the entries of one kind
// from one append (a device message's readings) and owns the sequence numbers
// first_seq … first_seq + n − 1, so ten readings cost one insert, not ten.
import Database from 'better-sqlite3'

export interface AppendRow {
  kind: 'observation' | 'triage' | 'rejected'
  priority: number
  n: number
  /** JSON array of the entries' bodies. */
  body: string
}

export interface AppendRequest {
  id: number
  rows: AppendRow[]
  /** A device message's identity: a second append with it is dropped. */
  key?: string | undefined
}

export type AppendResult =
  | { id: number; firstSeqs: number[] }
  | { id: number; duplicate: true }
  | { id: number; error: 'full' | 'failed'; message: string }

export interface AppendWriterOptions {
  path: string
  maxBytes: number
  dedupWindowMs: number
}

export class AppendWriter {
  private readonly db: Database.Database
  private readonly pageSize: number
  private nextSeq: number
  private lastPrune = 0
  full = false
  private readonly stmt

  constructor(private readonly options: AppendWriterOptions) {
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    // FULL: every commit is fsync'd, so an acknowledged reading survives power loss.
    this.db.pragma('synchronous = FULL')
    this.db.pragma('busy_timeout = 10000')
    this.pageSize = this.db.pragma('page_size', { simple: true }) as number
    // Persisted with every commit, so a sequence number is never reused, even after pruning.
    this.nextSeq = Number((this.db.prepare("SELECT value FROM meta WHERE key = 'next_seq'").get() as { value: string }).value)
    this.stmt = {
      insert: this.db.prepare('INSERT INTO items (first_seq, n, kind, priority, created_ms, body) VALUES (?, ?, ?, ?, ?, ?)'),
      saveSeq: this.db.prepare("UPDATE meta SET value = ? WHERE key = 'next_seq'"),
      seen: this.db.prepare('INSERT OR IGNORE INTO seen (key, at_ms) VALUES (?, ?)'),
      forget: this.db.prepare('DELETE FROM seen WHERE at_ms < ?'),
      pages: this.db.prepare('SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS used'),
    }
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
          this.stmt.forget.run(now - this.options.dedupWindowMs)
          this.lastPrune = now
        }
        const results = group.map((r): AppendResult => {
          if (r.key !== undefined && this.stmt.seen.run(r.key, now).changes === 0) return { id: r.id, duplicate: true }
          const firstSeqs = r.rows.map((row) => {
            const first = this.nextSeq
            this.stmt.insert.run(first, row.n, row.kind, row.priority, now, row.body)
            this.nextSeq += row.n
            return first
          })
          return { id: r.id, firstSeqs }
        })
        this.stmt.saveSeq.run(String(this.nextSeq))
        return results
      }).immediate()
    } catch (err) {
      this.nextSeq = before
      return group.map((r) => ({ id: r.id, error: 'failed', message: (err as Error).message }))
    }
  }

  close(): void {
    this.db.close()
  }
}
