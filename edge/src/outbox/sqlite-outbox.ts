// Outbox on SQLite (better-sqlite3, WAL, synchronous=FULL). Every write happens on the outbox's
// writer thread (writer.ts), so an fsync never stalls the broker; this side keeps the counters,
// reads stats on its own read-only use of the database, and turns stored rows into batches.
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { AppendRequest, AppendResult, AppendRow, BatchRows, WriterOptions } from './writer.js'
import type { WriterCall } from './writer-thread.js'
import { KIND_CAMEL_FIELDS, KIND_NAMES } from '@neva/contracts'
import { OutboxFullError, PRIORITY, type MessageKey, type Outbox, type OutboxBatch, type OutboxEntry, type OutboxStats } from './types.js'
import { trackWorker } from '../worker-heaps.js'

interface Pending {
  entries: OutboxEntry[]
  rows: AppendRow[]
  resolve: (seqs: number[] | null) => void
  reject: (err: Error) => void
}

/** Rows of one append go in registry order (so do their sequence numbers). */
const KINDS = KIND_NAMES

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  first_seq INTEGER PRIMARY KEY,
  n INTEGER NOT NULL,
  kind TEXT NOT NULL,
  priority INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  batch INTEGER,
  -- bytes of body, so that forming a batch never reads the bodies it does not take
  len INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_pending ON items (priority DESC, first_seq) WHERE batch IS NULL;
CREATE INDEX IF NOT EXISTS items_pending_age ON items (created_ms) WHERE batch IS NULL;
CREATE INDEX IF NOT EXISTS items_batch ON items (batch) WHERE batch IS NOT NULL;
-- Refused input has its own budget; its size is summed over this at start-up.
CREATE INDEX IF NOT EXISTS items_rejected ON items (kind) WHERE kind = 'rejected';
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
-- Identities of recent device messages, to store a resent message once. Keyed by device time
-- first, so that inserting stays at the end of the index (random keys made every group commit
-- rewrite pages all over it); pruned by t and at_ms together.
CREATE TABLE IF NOT EXISTS seen (
  t INTEGER NOT NULL,
  device TEXT NOT NULL,
  hash TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (t, device, hash)
) WITHOUT ROWID;
`

/** Well under the core's body limit, and quick to resend. */
export const DEFAULT_BATCH_BYTES = 4 * 1024 * 1024

export interface SqliteOutboxOptions {
  path: string
  gatewayId: string
  /** Disk budget: past it, appends are refused (never shed) until the uplink drains. */
  maxBytes?: number
  /**
   * Budget of refused input within maxBytes: past it new refusals are dropped and counted, the
   * readings around them stored. Default: an eighth of maxBytes, at most 64 MiB.
   */
  rejectedMaxBytes?: number
  /** How long a message's identity is remembered to drop a device's resend. */
  dedupWindowMs?: number
  /** Entries younger than this go out before the backlog. */
  liveWindowMs?: number
}

export class SqliteOutbox implements Outbox {
  /** Reads only (stats); the writer thread does every write. */
  private readonly db: Database.Database
  private readonly epoch: string
  private readonly gatewayId: string
  private readonly writerOptions: WriterOptions
  private readonly pageSize: number
  private depth: number
  private writer: Worker | undefined
  private nextId = 1
  private readonly appends = new Map<number, Pending>()
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private outgoing: AppendRequest[] = []
  private closed = false
  private full = false
  private readonly listeners: Array<() => void> = []
  private counters = { appended: 0, acknowledged: 0, deadLettered: 0, duplicatesDropped: 0, refusedFull: 0, rejectedDropped: 0 }
  private readonly stmt

  constructor(options: SqliteOutboxOptions) {
    mkdirSync(dirname(options.path), { recursive: true })
    this.gatewayId = options.gatewayId
    const maxBytes = options.maxBytes ?? 2 * 1024 ** 3
    this.writerOptions = {
      path: options.path,
      maxBytes,
      rejectedMaxBytes: options.rejectedMaxBytes ?? defaultRejectedMaxBytes(maxBytes),
      dedupWindowMs: options.dedupWindowMs ?? 3600_000,
      liveWindowMs: options.liveWindowMs ?? 1000,
    }
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('busy_timeout = 10000')
    // The first layout of `seen` (random keys): its identities are dropped, which only weakens
    // deduplication of resends that straddle the upgrade.
    const seenColumns = (this.db.prepare('SELECT name FROM pragma_table_info(?)').all('seen') as Array<{ name: string }>).map((c) => c.name)
    if (seenColumns.includes('key')) this.db.exec('DROP TABLE seen')
    this.db.exec(SCHEMA)
    const columns = (this.db.prepare('SELECT name FROM pragma_table_info(?)').all('items') as Array<{ name: string }>).map((c) => c.name)
    if (!columns.includes('first_seq') || !columns.includes('len')) {
      this.db.close()
      throw new Error(`${options.path}: an outbox of an older layout; let its gateway version drain it, or move it aside`)
    }
    this.pageSize = this.db.pragma('page_size', { simple: true }) as number
    const meta = this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)')
    meta.run('epoch', randomBytes(6).toString('hex'))
    meta.run('next_seq', '1')
    this.epoch = (this.db.prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string }).value
    this.depth = (this.db.prepare('SELECT coalesce(sum(n), 0) AS n FROM items').get() as { n: number }).n
    this.stmt = {
      oldest: this.db.prepare('SELECT created_ms FROM items ORDER BY first_seq LIMIT 1'),
      pages: this.db.prepare('SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()) AS used'),
    }
    this.full = this.usedBytes() >= this.writerOptions.maxBytes
  }

  private usedBytes(): number {
    return (this.stmt.pages.get() as { used: number }).used * this.pageSize
  }

  private startWriter(): Worker {
    const writer = new Worker(new URL('./writer-thread.ts', import.meta.url), { workerData: this.writerOptions })
    trackWorker('outbox-writer', writer)
    writer.on('message', (msg: { type: string; results?: AppendResult[]; full?: boolean; id?: number; value?: unknown; error?: string }) => {
      if (msg.type === 'committed') this.committed(msg.results!, msg.full!)
      else if (msg.type === 'reply') {
        const call = this.calls.get(msg.id!)
        this.calls.delete(msg.id!)
        if (msg.error !== undefined) call?.reject(new Error(`outbox: ${msg.error}`))
        else call?.resolve(msg.value)
      }
    })
    const fail = (err: Error) => {
      if (this.writer !== writer) return
      this.writer = undefined
      // Whatever was not confirmed was not acknowledged either: the devices will resend it.
      for (const p of this.appends.values()) p.reject(new Error('outbox writer stopped', { cause: err }))
      for (const c of this.calls.values()) c.reject(new Error('outbox writer stopped', { cause: err }))
      this.appends.clear()
      this.calls.clear()
    }
    writer.on('error', fail)
    writer.on('exit', (code) => fail(new Error(`outbox writer exited with code ${code}`)))
    return writer
  }

  private send(message: WriterCall): void {
    this.writer ??= this.startWriter()
    this.writer.postMessage(message)
  }

  private call<T>(op: 'nextBatch' | 'ack' | 'deadLetter', args: unknown[]): Promise<T> {
    if (this.closed) return Promise.reject(new Error('outbox is closed'))
    this.post()
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.send({ type: 'call', id, op, args } as WriterCall)
    })
  }

  append(entries: OutboxEntry[], key?: MessageKey): Promise<number[] | null> {
    if (this.closed) return Promise.reject(new Error('outbox is closed'))
    if (entries.length === 0) return Promise.resolve([])
    const rows: AppendRow[] = []
    const first = entries[0]!.kind
    if (entries.every((e) => e.kind === first)) {
      // A device message is mostly of one kind: one row, without a pass over every kind.
      rows.push({ kind: first, priority: PRIORITY[first], n: entries.length, body: JSON.stringify(entries.length === 1 ? [entries[0]!.body] : entries.map((e) => e.body)) })
    } else {
      for (const kind of KINDS) {
        const bodies = entries.filter((e) => e.kind === kind).map((e) => e.body)
        if (bodies.length > 0) rows.push({ kind, priority: PRIORITY[kind], n: bodies.length, body: JSON.stringify(bodies) })
      }
    }
    return new Promise((resolve, reject) => {
      const id = this.nextId++
      this.appends.set(id, { entries, rows, resolve, reject })
      this.outgoing.push({ id, rows, key })
      // One message to the writer per turn of the event loop.
      if (this.outgoing.length === 1) setImmediate(() => this.post())
    })
  }

  private post(): void {
    const requests = this.outgoing
    this.outgoing = []
    if (requests.length > 0) this.send({ type: 'append', requests })
  }

  private committed(results: AppendResult[], full: boolean): void {
    this.full = full
    let any = false
    for (const r of results) {
      const p = this.appends.get(r.id)
      if (!p) continue
      this.appends.delete(r.id)
      if ('error' in r) {
        if (r.error === 'full') {
          this.counters.refusedFull += p.entries.length
          p.reject(new OutboxFullError(this.writerOptions.maxBytes))
        } else {
          p.reject(new Error(`outbox write failed: ${r.message}`))
        }
      } else if ('duplicate' in r) {
        this.counters.duplicatesDropped++
        p.resolve(null)
      } else {
        // Entries of one kind are consecutive in their row's range.
        let seqs: number[]
        if (p.rows.length === 1) {
          const first = r.firstSeqs[0]!
          seqs = p.entries.map((_, i) => (first < 0 ? -1 : first + i))
        } else {
          const next = new Map(p.rows.map((row, i) => [row.kind, r.firstSeqs[i]!]))
          seqs = p.entries.map((e) => {
            const seq = next.get(e.kind)!
            if (seq < 0) return -1 // a refusal dropped at its budget
            next.set(e.kind, seq + 1)
            return seq
          })
        }
        const stored = p.entries.length - (r.dropped ?? 0)
        this.depth += stored
        this.counters.appended += stored
        this.counters.rejectedDropped += r.dropped ?? 0
        any = true
        p.resolve(seqs)
      }
    }
    if (any) for (const listener of this.listeners) listener()
  }

  async nextBatch(max: number, maxBytes = DEFAULT_BATCH_BYTES, liveSince?: number): Promise<OutboxBatch | null> {
    const found = await this.call<BatchRows | null>('nextBatch', [max, maxBytes, liveSince ?? null])
    if (!found) return null
    const out = { id: `${this.epoch}-${found.id}`, gatewayId: this.gatewayId } as Record<string, unknown>
    const targets = {} as Record<OutboxEntry['kind'], object[]>
    for (const kind of KINDS) out[KIND_CAMEL_FIELDS[kind]] = targets[kind] = []
    out.attempts = found.attempts
    const gateway_id = this.gatewayId
    for (const row of found.rows) {
      const target = targets[row.kind as OutboxEntry['kind']]
      if (!target) throw new Error(`outbox: row of unknown kind ${row.kind}`)
      ;(JSON.parse(row.body) as object[]).forEach((body, i) => target.push({ gateway_id, seq: row.first_seq + i, ...body }))
    }
    return out as unknown as OutboxBatch
  }

  private batchNumber(name: string): number {
    const [epoch, id] = name.split('-')
    if (epoch !== this.epoch || !id) throw new Error(`outbox: batch ${name} is not from this outbox`)
    return Number(id)
  }

  async ack(batchId: string): Promise<void> {
    const n = await this.call<number>('ack', [this.batchNumber(batchId)])
    this.depth -= n
    this.counters.acknowledged += n
  }

  async deadLetter(batchId: string, reason: string): Promise<void> {
    const n = await this.call<number>('deadLetter', [this.batchNumber(batchId), batchId, reason])
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
      maxBytes: this.writerOptions.maxBytes,
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
        writer.postMessage({ type: 'close' } satisfies WriterCall)
      })
      this.writer = undefined
      await writer.terminate()
    }
    this.db.close()
  }
}

/** Refused input's default budget: an eighth of the outbox's, at most 64 MiB. */
export function defaultRejectedMaxBytes(maxBytes: number): number {
  return Math.min(64 * 1024 * 1024, Math.floor(maxBytes / 8))
}
