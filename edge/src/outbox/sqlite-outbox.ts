// Outbox on SQLite (better-sqlite3, WAL, synchronous=FULL) with group commit.
// One row holds the entries of one kind from one append (a device message's readings), and owns
// the sequence numbers first_seq … first_seq + n - 1: ten readings cost one insert, not ten.
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { OutboxFullError, PRIORITY, type Outbox, type OutboxBatch, type OutboxEntry, type OutboxStats } from './types.js'

interface Pending {
  entries: OutboxEntry[]
  key: string | undefined
  resolve: (seqs: number[] | null) => void
  reject: (err: Error) => void
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  first_seq INTEGER PRIMARY KEY,
  n INTEGER NOT NULL,
  kind TEXT NOT NULL,
  priority INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  batch INTEGER,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_pending ON items (priority DESC, first_seq) WHERE batch IS NULL;
CREATE INDEX IF NOT EXISTS items_pending_age ON items (created_ms) WHERE batch IS NULL;
CREATE INDEX IF NOT EXISTS items_batch ON items (batch) WHERE batch IS NOT NULL;
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dead_letters (
  first_seq INTEGER PRIMARY KEY,
  n INTEGER NOT NULL,
  kind TEXT NOT NULL,
  batch TEXT NOT NULL,
  reason TEXT NOT NULL,
  dead_ms INTEGER NOT NULL,
  body TEXT NOT NULL
);
-- Identities of recent device messages, to store a resent message once.
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
  /** How long a message's identity is remembered to drop a device's resend. */
  dedupWindowMs?: number
  /** Entries younger than this go out before the backlog. */
  liveWindowMs?: number
  /**
   * Least time between two commits while appends keep coming: under load more appends share
   * one fsync; an append after a quiet spell commits at once.
   */
  commitIntervalMs?: number
}

type Row = { first_seq: number; n: number; len: number }

export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database
  private readonly epoch: string
  private readonly gatewayId: string
  private readonly maxBytes: number
  private readonly dedupWindowMs: number
  private readonly liveWindowMs: number
  private readonly commitIntervalMs: number
  private readonly pageSize: number
  private nextSeq: number
  private depth: number
  private pending: Pending[] = []
  private flushTimer: NodeJS.Immediate | NodeJS.Timeout | undefined
  private lastCommit = 0
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
    this.commitIntervalMs = options.commitIntervalMs ?? 2
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    // FULL: every commit is fsync'd, so an acknowledged reading survives power loss.
    this.db.pragma('synchronous = FULL')
    this.db.exec(SCHEMA)
    this.pageSize = this.db.pragma('page_size', { simple: true }) as number
    const meta = this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)')
    meta.run('epoch', randomBytes(6).toString('hex'))
    meta.run('next_seq', '1')
    const read = this.db.prepare('SELECT value FROM meta WHERE key = ?')
    this.epoch = (read.get('epoch') as { value: string }).value
    // Persisted with every commit, so a sequence number is never reused, even after pruning.
    this.nextSeq = Number((read.get('next_seq') as { value: string }).value)
    this.depth = (this.db.prepare('SELECT coalesce(sum(n), 0) AS n FROM items').get() as { n: number }).n
    this.stmt = {
      insert: this.db.prepare('INSERT INTO items (first_seq, n, kind, priority, created_ms, body) VALUES (?, ?, ?, ?, ?, ?)'),
      saveSeq: this.db.prepare("UPDATE meta SET value = ? WHERE key = 'next_seq'"),
      seen: this.db.prepare('INSERT OR IGNORE INTO seen (key, at_ms) VALUES (?, ?)'),
      forget: this.db.prepare('DELETE FROM seen WHERE at_ms < ?'),
      inFlight: this.db.prepare('SELECT id, attempts FROM batches ORDER BY id LIMIT 1'),
      newBatch: this.db.prepare('INSERT INTO batches (created_ms) VALUES (?)'),
      urgent: this.db.prepare('SELECT first_seq, n, length(body) AS len FROM items WHERE batch IS NULL AND priority > 0 ORDER BY priority DESC, first_seq LIMIT ?'),
      live: this.db.prepare('SELECT first_seq, n, length(body) AS len FROM items WHERE batch IS NULL AND created_ms >= ? ORDER BY first_seq LIMIT ?'),
      backlog: this.db.prepare('SELECT first_seq, n, length(body) AS len FROM items WHERE batch IS NULL ORDER BY priority DESC, first_seq LIMIT ?'),
      assign: this.db.prepare('UPDATE items SET batch = ? WHERE first_seq = ?'),
      batchItems: this.db.prepare('SELECT first_seq, kind, body FROM items WHERE batch = ? ORDER BY first_seq'),
      attempt: this.db.prepare('UPDATE batches SET attempts = attempts + 1 WHERE id = ?'),
      batchSize: this.db.prepare('SELECT coalesce(sum(n), 0) AS n FROM items WHERE batch = ?'),
      deleteItems: this.db.prepare('DELETE FROM items WHERE batch = ?'),
      deleteBatch: this.db.prepare('DELETE FROM batches WHERE id = ?'),
      deadLetter: this.db.prepare(
        'INSERT INTO dead_letters (first_seq, n, kind, batch, reason, dead_ms, body) SELECT first_seq, n, kind, ?, ?, ?, body FROM items WHERE batch = ?',
      ),
      oldest: this.db.prepare('SELECT created_ms FROM items ORDER BY first_seq LIMIT 1'),
      pages: this.db.prepare('SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS used'),
    }
    this.full = this.usedBytes() >= this.maxBytes
  }

  private usedBytes(): number {
    return (this.stmt.pages.get() as { used: number }).used * this.pageSize
  }

  append(entries: OutboxEntry[], key?: string): Promise<number[] | null> {
    if (this.closed) return Promise.reject(new Error('outbox is closed'))
    if (entries.length === 0) return Promise.resolve([])
    return new Promise((resolve, reject) => {
      this.pending.push({ entries, key, resolve, reject })
      if (this.flushTimer) return
      const wait = this.lastCommit + this.commitIntervalMs - performance.now()
      // Group commit: what is appended meanwhile shares the next fsync.
      this.flushTimer = wait > 0 ? setTimeout(() => this.flush(), wait) : setImmediate(() => this.flush())
    })
  }

  private flush(): void {
    this.flushTimer = undefined
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
    let added = 0
    let results: Array<number[] | null>
    const seqBefore = this.nextSeq
    try {
      results = this.db.transaction(() => {
        if (now - this.lastPrune > 60_000) {
          this.stmt.forget.run(now - this.dedupWindowMs)
          this.lastPrune = now
        }
        const out = group.map((p) => {
          if (p.key !== undefined && this.stmt.seen.run(p.key, now).changes === 0) return null
          const seqs = new Array<number>(p.entries.length)
          for (const kind of ['observation', 'triage', 'rejected'] as const) {
            const bodies: object[] = []
            p.entries.forEach((e, i) => {
              if (e.kind !== kind) return
              seqs[i] = this.nextSeq + bodies.length
              bodies.push(e.body)
            })
            if (bodies.length === 0) continue
            this.stmt.insert.run(this.nextSeq, bodies.length, kind, PRIORITY[kind], now, JSON.stringify(bodies))
            this.nextSeq += bodies.length
            added += bodies.length
          }
          return seqs
        })
        this.stmt.saveSeq.run(String(this.nextSeq))
        return out
      })()
    } catch (err) {
      this.nextSeq = seqBefore
      for (const p of group) p.reject(new Error('outbox write failed', { cause: err }))
      return
    }
    this.lastCommit = performance.now()
    this.depth += added
    group.forEach((p, i) => {
      const seqs = results[i]!
      if (seqs === null) this.counters.duplicatesDropped++
      else this.counters.appended += p.entries.length
      p.resolve(seqs)
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
      return { id: batch.id, attempts: batch.attempts + 1, rows: this.stmt.batchItems.all(batch.id) as Array<{ first_seq: number; kind: OutboxEntry['kind']; body: string }> }
    })
    const found = tx()
    if (!found) return null
    const out: OutboxBatch = { id: this.batchName(found.id), gatewayId: this.gatewayId, observations: [], triage: [], rejected: [], attempts: found.attempts }
    const gateway_id = this.gatewayId
    for (const row of found.rows) {
      const target = row.kind === 'observation' ? out.observations : row.kind === 'triage' ? out.triage : out.rejected
      ;(JSON.parse(row.body) as object[]).forEach((body, i) => (target as object[]).push({ gateway_id, seq: row.first_seq + i, ...body }))
    }
    return out
  }

  /**
   * Fills a new batch: urgent entries (triage results, refusals) first, then live readings (so
   * that a draining backlog never delays them by more than a batch), then the oldest backlog;
   * at most about `max` entries within `maxBytes`, and always at least one row.
   */
  private assign(batchId: number, max: number, maxBytes: number): number {
    let count = 0
    let bytes = 0
    let rows = 0
    const take = (candidates: Row[]): boolean => {
      for (const r of candidates) {
        if (rows > 0 && (count + r.n > max || bytes + r.len > maxBytes)) return false
        this.stmt.assign.run(batchId, r.first_seq)
        rows++
        count += r.n
        bytes += r.len
      }
      return true
    }
    if (take(this.stmt.urgent.all(max) as Row[]) && take(this.stmt.live.all(Date.now() - this.liveWindowMs, max) as Row[])) {
      take(this.stmt.backlog.all(max) as Row[])
    }
    return rows
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
      const size = (this.stmt.batchSize.get(id) as { n: number }).n
      this.stmt.deleteItems.run(id)
      this.stmt.deleteBatch.run(id)
      return size
    })()
    this.depth -= n
    this.counters.acknowledged += n
  }

  deadLetter(batchId: string, reason: string): void {
    const id = this.batchNumber(batchId)
    const n = this.db.transaction(() => {
      const size = (this.stmt.batchSize.get(id) as { n: number }).n
      this.stmt.deadLetter.run(batchId, reason, Date.now(), id)
      this.stmt.deleteItems.run(id)
      this.stmt.deleteBatch.run(id)
      return size
    })()
    this.depth -= n
    this.counters.deadLettered += n
  }

  onAppend(listener: () => void): void {
    this.listeners.push(listener)
  }

  stats(): OutboxStats {
    const oldest = this.depth > 0 ? (this.stmt.oldest.get() as { created_ms: number } | undefined)?.created_ms : undefined
    return {
      depth: this.depth,
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest),
      bytes: this.usedBytes(),
      maxBytes: this.maxBytes,
      full: this.full,
      ...this.counters,
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.flushTimer) {
      clearTimeout(this.flushTimer as NodeJS.Timeout)
      clearImmediate(this.flushTimer as NodeJS.Immediate)
    }
    this.flush()
    this.db.close()
  }
}
