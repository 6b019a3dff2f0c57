// Outbox on SQLite (better-sqlite3, WAL, synchronous=FULL). Appends are committed in groups on
// a writer thread (append-writer.ts), so that an fsync never stalls the broker; batches are
// formed and pruned here, on this thread's own connection, which SQLite serializes with it.
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { AppendRequest, AppendResult, AppendRow, AppendWriterOptions } from './append-writer.js'
import { OutboxFullError, PRIORITY, type Outbox, type OutboxBatch, type OutboxEntry, type OutboxStats } from './types.js'

interface Pending {
  entries: OutboxEntry[]
  rows: AppendRow[]
  resolve: (seqs: number[] | null) => void
  reject: (err: Error) => void
}

const KINDS = ['observation', 'triage', 'rejected'] as const

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
}

type Row = { first_seq: number; n: number; len: number }

export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database
  private readonly epoch: string
  private readonly gatewayId: string
  private readonly maxBytes: number
  private readonly dedupWindowMs: number
  private readonly liveWindowMs: number
  private readonly pageSize: number
  private depth: number
  private writer: Worker | undefined
  private nextId = 1
  private readonly inFlight = new Map<number, Pending>()
  private outgoing: AppendRequest[] = []
  private closed = false
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
    this.db.pragma('busy_timeout = 10000')
    this.db.exec(SCHEMA)
    this.pageSize = this.db.pragma('page_size', { simple: true }) as number
    const meta = this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)')
    meta.run('epoch', randomBytes(6).toString('hex'))
    meta.run('next_seq', '1')
    const read = this.db.prepare('SELECT value FROM meta WHERE key = ?')
    this.epoch = (read.get('epoch') as { value: string }).value
    this.depth = (this.db.prepare('SELECT coalesce(sum(n), 0) AS n FROM items').get() as { n: number }).n
    this.stmt = {
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
    this.path = options.path
  }

  private readonly path: string

  private startWriter(): Worker {
    const workerData: AppendWriterOptions = { path: this.path, maxBytes: this.maxBytes, dedupWindowMs: this.dedupWindowMs }
    const writer = new Worker(new URL('./append-worker.ts', import.meta.url), { workerData })
    writer.on('message', (msg: { type: string; results?: AppendResult[]; full?: boolean }) => {
      if (msg.type === 'committed') this.committed(msg.results!, msg.full!)
    })
    const fail = (err: Error) => {
      if (this.writer !== writer) return
      this.writer = undefined
      // Whatever was not confirmed was not acknowledged either: the devices will resend it.
      for (const p of this.inFlight.values()) p.reject(new Error('outbox writer stopped', { cause: err }))
      this.inFlight.clear()
    }
    writer.on('error', fail)
    writer.on('exit', (code) => fail(new Error(`outbox writer exited with code ${code}`)))
    return writer
  }

  private committed(results: AppendResult[], full: boolean): void {
    this.full = full
    let any = false
    for (const r of results) {
      const p = this.inFlight.get(r.id)
      if (!p) continue
      this.inFlight.delete(r.id)
      if ('error' in r) {
        if (r.error === 'full') {
          this.counters.refusedFull += p.entries.length
          p.reject(new OutboxFullError(this.maxBytes))
        } else {
          p.reject(new Error(`outbox write failed: ${r.message}`))
        }
      } else if ('duplicate' in r) {
        this.counters.duplicatesDropped++
        p.resolve(null)
      } else {
        // Map each entry to its row's range: entries of one kind are consecutive in their row.
        const next = new Map(p.rows.map((row, i) => [row.kind, r.firstSeqs[i]!]))
        const seqs = p.entries.map((e) => {
          const seq = next.get(e.kind)!
          next.set(e.kind, seq + 1)
          return seq
        })
        this.depth += p.entries.length
        this.counters.appended += p.entries.length
        any = true
        p.resolve(seqs)
      }
    }
    if (any) for (const listener of this.listeners) listener()
  }

  private usedBytes(): number {
    return (this.stmt.pages.get() as { used: number }).used * this.pageSize
  }

  append(entries: OutboxEntry[], key?: string): Promise<number[] | null> {
    if (this.closed) return Promise.reject(new Error('outbox is closed'))
    if (entries.length === 0) return Promise.resolve([])
    const rows: AppendRow[] = []
    for (const kind of KINDS) {
      const bodies = entries.filter((e) => e.kind === kind).map((e) => e.body)
      if (bodies.length > 0) rows.push({ kind, priority: PRIORITY[kind], n: bodies.length, body: JSON.stringify(bodies) })
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      this.inFlight.set(id, { entries, rows, resolve, reject })
      this.outgoing.push({ id, rows, key })
      // One message to the writer per turn of the event loop.
      if (this.outgoing.length === 1) setImmediate(() => this.post())
    })
  }

  private post(): void {
    const requests = this.outgoing
    this.outgoing = []
    if (requests.length === 0) return
    this.writer ??= this.startWriter()
    this.writer.postMessage({ type: 'append', requests })
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
    // IMMEDIATE: take the write lock up front, waiting for the writer thread if it holds it.
    const found = tx.immediate()
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
    }).immediate()
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
    }).immediate()
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
    this.post()
    const writer = this.writer
    if (writer) {
      // The writer commits what it holds, then closes its connection.
      await new Promise<void>((resolve) => {
        writer.on('message', (msg: { type: string }) => { if (msg.type === 'closed') resolve() })
        writer.once('exit', () => resolve())
        writer.postMessage({ type: 'close' })
      })
      this.writer = undefined
      await writer.terminate()
    }
    this.db.close()
  }
}
