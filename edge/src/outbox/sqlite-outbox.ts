// Outbox on SQLite (better-sqlite3, WAL, synchronous=FULL) with group commit.
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Observation, RejectedReading, TriageResult } from '@neva/contracts'
import { OutboxFullError, PRIORITY, type Outbox, type OutboxBatch, type OutboxEntry, type OutboxStats } from './types.js'

interface Pending {
  entries: OutboxEntry[]
  resolve: (seqs: Array<number | null>) => void
  reject: (err: Error) => void
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- AUTOINCREMENT: a seq is never reused, even after the rows before it were pruned.
CREATE TABLE IF NOT EXISTS items (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  priority INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  batch INTEGER,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_pending ON items (priority DESC, seq) WHERE batch IS NULL;
CREATE INDEX IF NOT EXISTS items_pending_age ON items (created_ms) WHERE batch IS NULL;
CREATE INDEX IF NOT EXISTS items_batch ON items (batch) WHERE batch IS NOT NULL;
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  batch TEXT NOT NULL,
  reason TEXT NOT NULL,
  dead_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
-- Identities of recent device-stamped readings, to store a resent reading once.
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_age ON seen (at_ms);
`

/** Well under the core's body limit, and quick to resend. */
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024

export interface SqliteOutboxOptions {
  path: string
  gatewayId: string
  /** Disk budget: past it, appends are refused (never shed) until the uplink drains. */
  maxBytes?: number
  /** How long a reading's identity is remembered to drop a device's resend. */
  dedupWindowMs?: number
  /** Entries younger than this go out before the backlog. */
  liveWindowMs?: number
}

type Row = { seq: number; len: number }

export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database
  private readonly epoch: string
  private readonly gatewayId: string
  private readonly maxBytes: number
  private readonly dedupWindowMs: number
  private readonly liveWindowMs: number
  private readonly pageSize: number
  private pending: Pending[] = []
  private flushScheduled = false
  private closed = false
  private lastPrune = 0
  private full = false
  private readonly listeners: Array<() => void> = []
  private counters = { appended: 0, acknowledged: 0, deadLettered: 0, duplicatesDropped: 0, refusedFull: 0 }
  private readonly stmt

  constructor(options: SqliteOutboxOptions) {
    mkdirSync(dirname(options.path), { recursive: true })
    this.gatewayId = options.gatewayId
    this.maxBytes = options.maxBytes ?? 2 * 1024 ** 3
    this.dedupWindowMs = options.dedupWindowMs ?? 3600_000
    this.liveWindowMs = options.liveWindowMs ?? 1000
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    // FULL: every commit is fsync'd, so an acknowledged reading survives power loss.
    this.db.pragma('synchronous = FULL')
    this.db.exec(SCHEMA)
    this.pageSize = this.db.pragma('page_size', { simple: true }) as number
    this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('epoch', randomBytes(6).toString('hex'))
    this.epoch = (this.db.prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string }).value
    this.stmt = {
      insert: this.db.prepare('INSERT INTO items (kind, priority, created_ms, body) VALUES (?, ?, ?, ?)'),
      seen: this.db.prepare('INSERT OR IGNORE INTO seen (key, at_ms) VALUES (?, ?)'),
      forget: this.db.prepare('DELETE FROM seen WHERE at_ms < ?'),
      inFlight: this.db.prepare('SELECT id, attempts FROM batches ORDER BY id LIMIT 1'),
      newBatch: this.db.prepare('INSERT INTO batches (created_ms) VALUES (?)'),
      urgent: this.db.prepare('SELECT seq, length(body) AS len FROM items WHERE batch IS NULL AND priority > 0 ORDER BY priority DESC, seq LIMIT ?'),
      live: this.db.prepare('SELECT seq, length(body) AS len FROM items WHERE batch IS NULL AND created_ms >= ? ORDER BY seq LIMIT ?'),
      backlog: this.db.prepare('SELECT seq, length(body) AS len FROM items WHERE batch IS NULL ORDER BY priority DESC, seq LIMIT ?'),
      assign: this.db.prepare('UPDATE items SET batch = ? WHERE seq = ?'),
      batchItems: this.db.prepare('SELECT seq, kind, body FROM items WHERE batch = ? ORDER BY seq'),
      attempt: this.db.prepare('UPDATE batches SET attempts = attempts + 1 WHERE id = ?'),
      deleteItems: this.db.prepare('DELETE FROM items WHERE batch = ?'),
      deleteBatch: this.db.prepare('DELETE FROM batches WHERE id = ?'),
      deadLetter: this.db.prepare(
        'INSERT INTO dead_letters (seq, kind, batch, reason, dead_ms, body) SELECT seq, kind, ?, ?, ?, body FROM items WHERE batch = ?',
      ),
      depth: this.db.prepare('SELECT count(*) AS n, min(created_ms) AS oldest FROM items'),
      pages: this.db.prepare('SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS used'),
    }
    this.full = this.usedBytes() >= this.maxBytes
  }

  private usedBytes(): number {
    return (this.stmt.pages.get() as { used: number }).used * this.pageSize
  }

  append(entries: OutboxEntry[]): Promise<Array<number | null>> {
    if (this.closed) return Promise.reject(new Error('outbox is closed'))
    if (entries.length === 0) return Promise.resolve([])
    return new Promise((resolve, reject) => {
      this.pending.push({ entries, resolve, reject })
      if (!this.flushScheduled) {
        this.flushScheduled = true
        // Group commit: everything appended during this turn of the event loop shares one fsync.
        setImmediate(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.flushScheduled = false
    const group = this.pending
    this.pending = []
    if (group.length === 0) return
    const now = Date.now()
    this.full = this.usedBytes() >= this.maxBytes
    if (this.full) {
      // Nothing is shed: the devices are not acknowledged and keep their own buffers.
      for (const p of group) {
        this.counters.refusedFull += p.entries.length
        p.reject(new OutboxFullError(this.maxBytes))
      }
      return
    }
    let duplicates = 0
    let results: Array<Array<number | null>>
    try {
      results = this.db.transaction(() => {
        if (now - this.lastPrune > 60_000) {
          this.stmt.forget.run(now - this.dedupWindowMs)
          this.lastPrune = now
        }
        return group.map((p) =>
          p.entries.map((e) => {
            if (e.kind === 'observation' && e.key !== undefined && this.stmt.seen.run(e.key, now).changes === 0) {
              duplicates++
              return null
            }
            return Number(this.stmt.insert.run(e.kind, PRIORITY[e.kind], now, JSON.stringify(e.body)).lastInsertRowid)
          }),
        )
      })()
    } catch (err) {
      for (const p of group) p.reject(new Error('outbox write failed', { cause: err }))
      return
    }
    this.counters.duplicatesDropped += duplicates
    group.forEach((p, i) => {
      this.counters.appended += p.entries.length
      p.resolve(results[i]!)
    })
    for (const listener of this.listeners) listener()
  }

  nextBatch(max: number, maxBytes = DEFAULT_BATCH_BYTES): OutboxBatch | null {
    const tx = this.db.transaction(() => {
      let batch = this.stmt.inFlight.get() as { id: number; attempts: number } | undefined
      if (!batch) {
        const id = Number(this.stmt.newBatch.run(Date.now()).lastInsertRowid)
        if (this.assign(id, max, maxBytes) === 0) {
          this.stmt.deleteBatch.run(id)
          return null
        }
        batch = { id, attempts: 0 }
      }
      this.stmt.attempt.run(batch.id)
      return { id: batch.id, attempts: batch.attempts + 1, rows: this.stmt.batchItems.all(batch.id) as Array<{ seq: number; kind: OutboxEntry['kind']; body: string }> }
    })
    const found = tx()
    if (!found) return null
    const out: OutboxBatch = { id: this.batchName(found.id), gatewayId: this.gatewayId, observations: [], triage: [], rejected: [], attempts: found.attempts }
    const gateway_id = this.gatewayId
    for (const row of found.rows) {
      const body = JSON.parse(row.body) as object
      switch (row.kind) {
        case 'observation':
          out.observations.push({ gateway_id, seq: row.seq, ...body } as Observation)
          break
        case 'triage':
          out.triage.push({ gateway_id, seq: row.seq, ...body } as TriageResult)
          break
        case 'rejected':
          out.rejected.push({ gateway_id, seq: row.seq, ...body } as RejectedReading)
          break
        default:
          throw new Error(`outbox: unknown kind ${String(row.kind satisfies never)}`)
      }
    }
    return out
  }

  /**
   * Fills a new batch: urgent entries (triage results, refusals) first, then live readings (so
   * that a draining backlog never delays them by more than a batch), then the oldest backlog;
   * at most `max` entries within `maxBytes`, and always at least one.
   */
  private assign(batchId: number, max: number, maxBytes: number): number {
    let count = 0
    let bytes = 0
    const take = (rows: Row[]): boolean => {
      for (const r of rows) {
        if (count >= max || (count > 0 && bytes + r.len > maxBytes)) return false
        this.stmt.assign.run(batchId, r.seq)
        count++
        bytes += r.len
      }
      return true
    }
    if (take(this.stmt.urgent.all(max) as Row[]) && take(this.stmt.live.all(Date.now() - this.liveWindowMs, max) as Row[])) {
      take(this.stmt.backlog.all(max - count) as Row[])
    }
    return count
  }

  private batchName(id: number): string {
    return `${this.epoch}-${id}`
  }

  private batchNumber(name: string): number {
    const [epoch, id] = name.split('-')
    if (epoch !== this.epoch || !id) throw new Error(`outbox: batch ${name} is not from this outbox`)
    return Number(id)
  }

  ack(batchId: string): void {
    const id = this.batchNumber(batchId)
    const n = this.db.transaction(() => {
      const changes = this.stmt.deleteItems.run(id).changes
      this.stmt.deleteBatch.run(id)
      return changes
    })()
    this.counters.acknowledged += n
  }

  deadLetter(batchId: string, reason: string): void {
    const id = this.batchNumber(batchId)
    const n = this.db.transaction(() => {
      this.stmt.deadLetter.run(batchId, reason, Date.now(), id)
      const changes = this.stmt.deleteItems.run(id).changes
      this.stmt.deleteBatch.run(id)
      return changes
    })()
    this.counters.deadLettered += n
  }

  onAppend(listener: () => void): void {
    this.listeners.push(listener)
  }

  stats(): OutboxStats {
    const row = this.stmt.depth.get() as { n: number; oldest: number | null }
    return {
      depth: row.n,
      oldestAgeMs: row.oldest === null ? 0 : Math.max(0, Date.now() - row.oldest),
      bytes: this.usedBytes(),
      maxBytes: this.maxBytes,
      full: this.full,
      ...this.counters,
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.flush()
    this.db.close()
  }
}
