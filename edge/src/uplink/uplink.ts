// Uplink: sends outbox batches to the core and prunes them only after the core's commit.
// Failures are classified: transient (5xx, 429, network, timeout; also 401/403, which an operator
// fixes) → retry the same batch with exponential backoff and full jitter; permanent (other 4xx:
// the core will never accept this batch) → dead letter, so the rest keeps flowing. A 429 or 503
// with Retry-After (the core at its ingest limits while many gateways flush) waits that long plus
// up to as much again at random, so gateways told the same do not come back together.
import { Agent, request } from 'undici'
import { KIND_CAMEL_FIELDS, KIND_NAMES, RECORD_KINDS } from '@neva/contracts'
import type { Outbox, OutboxBatch } from '../outbox/types.js'
import type { EdgeMetrics } from '../metrics.js'
import type { Log } from '../log.js'
import { retryAfterMs } from './retry-after.js'

export interface UplinkOptions {
  url: string
  token: string
  /** CA (PEM) the core's https certificate must chain to. */
  ca?: Buffer
  batchMax: number
  batchMaxBytes: number
  lingerMs: number
  timeoutMs: number
  backoffBaseMs: number
  backoffMaxMs: number
  /** After the uplink recovers, what was appended in this last stretch before still counts as live. */
  liveWindowMs: number
  log?: Log
  /** Told after the core committed a batch (benchmarks measure delivery latency with it). */
  onDelivered?: (batch: OutboxBatch) => void
}

export class Uplink {
  private running = false
  private loop: Promise<void> | undefined
  private wake: (() => void) | undefined
  private readonly stopController = new AbortController()
  private readonly agent: Agent
  private failures = 0
  /** What the core's last Retry-After asked for (ms), for the next pause. */
  private askedWaitMs: number | undefined
  /** Entries appended since go before the backlog: set at start and whenever the uplink recovers. */
  private liveSince = 0
  lastError: string | undefined
  lastSuccessMs: number | undefined
  /** Delivered batches and rows, failed sends that will be retried, and of those the core's 429s. */
  readonly totals = { batches: 0, rows: 0, retries: 0, busy: 0 }
  /** Rows delivered in each of the last ten seconds, for the send rate. */
  private readonly recent: Array<{ second: number; rows: number }> = []

  /** Rows the core committed per second, over the last ten seconds. */
  sendRate(): number {
    const now = Math.floor(Date.now() / 1000)
    return this.recent.filter((r) => r.second > now - 10 && r.second < now).reduce((a, r) => a + r.rows, 0) / 9
  }

  private delivered(rows: number): void {
    const second = Math.floor(Date.now() / 1000)
    const last = this.recent.at(-1)
    if (last?.second === second) last.rows += rows
    else this.recent.push({ second, rows })
    while (this.recent.length > 11) this.recent.shift()
    this.totals.batches++
    this.totals.rows += rows
  }

  constructor(
    private readonly outbox: Outbox,
    private readonly options: UplinkOptions,
    private readonly metrics?: EdgeMetrics,
  ) {
    this.agent = new Agent({ headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connections: 2, ...(options.ca ? { connect: { ca: options.ca } } : {}) })
    outbox.onAppend(() => this.wake?.())
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.liveSince = Date.now() - this.options.liveWindowMs
    this.loop = this.run()
  }

  /** Stops after the request in flight, if any, is aborted; the batch stays for the next start. */
  async stop(): Promise<void> {
    this.running = false
    this.stopController.abort()
    this.wake?.()
    await this.loop
    await this.agent.close()
  }

  /** Resolves when the outbox is empty, or rejects after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.outbox.stats().depth > 0) {
      if (Date.now() > deadline) throw new Error(`uplink: ${this.outbox.stats().depth} entries still unsent after ${timeoutMs} ms (last error: ${this.lastError ?? 'none'})`)
      await sleep(20)
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let batch
      try {
        // Bounded, so that a core slower than the devices still lets urgent entries through.
        batch = await this.outbox.nextBatch(this.options.batchMax, this.options.batchMaxBytes, Math.max(this.liveSince, Date.now() - LIVE_HORIZON_MS))
      } catch (err) {
        // The outbox could not be read (e.g. the disk): keep the loop alive and try again.
        this.lastError = `outbox: ${(err as Error).message}`
        this.options.log?.('error', 'could not read the outbox; will retry', { error: this.lastError })
        await this.pause(this.options.backoffMaxMs)
        continue
      }
      if (!batch) {
        await this.pause()
        // Let a trickle of readings gather into one batch, without delaying live data by much.
        if (this.options.lingerMs > 0) await this.pause(this.options.lingerMs)
        continue
      }
      const outcome = await this.send(batch)
      if (outcome === 'acked') {
        // Recovered: what queued during the outage is backlog; what arrives from now on is live.
        if (this.failures > 0) this.liveSince = Date.now() - this.options.liveWindowMs
        this.failures = 0
        continue
      }
      if (outcome === 'dead') continue
      this.failures++
      this.totals.retries++
      this.metrics?.uplinkRetries.inc()
      const asked = this.askedWaitMs
      this.askedWaitMs = undefined
      if (asked !== undefined) {
        await this.pause(asked + Math.random() * asked)
        continue
      }
      const cap = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** Math.min(this.failures - 1, 20))
      await this.pause(Math.random() * cap)
    }
  }

  /** Without `ms`: waits for new entries or stop. With `ms`: sleeps, cut short only by stop. */
  private pause(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.wake = undefined
        resolve()
      }
      const timer = ms === undefined ? undefined : setTimeout(done, ms)
      this.wake = ms === undefined ? done : () => { if (!this.running) done() }
      if (!this.running) done()
    })
  }

  private async send(batch: OutboxBatch): Promise<'acked' | 'dead' | 'retry'> {
    const message: Record<string, unknown> = { gateway_id: batch.gatewayId, batch_id: batch.id, sent_time: Date.now() }
    let rows = 0
    for (const kind of KIND_NAMES) {
      const records = batch[KIND_CAMEL_FIELDS[kind]] as unknown[]
      rows += records.length
      // The kinds added since the first gateways only when there are some: a core older than
      // them refuses unknown fields.
      if (records.length > 0 || !RECORD_KINDS[kind].optionalInBatch) message[RECORD_KINDS[kind].field] = records
    }
    const body = JSON.stringify(message)
    try {
      const res = await request(new URL('/v1/ingest', this.options.url), {
        method: 'POST',
        dispatcher: this.agent,
        // attempts is counted durably before each send: 1 tells the core to skip its ledger lookup.
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}`, 'neva-batch-attempt': String(batch.attempts) },
        body,
        signal: this.stopController.signal,
      })
      const text = await res.body.text()
      if (res.statusCode === 200) {
        await this.outbox.ack(batch.id)
        this.options.onDelivered?.(batch)
        this.lastSuccessMs = Date.now()
        this.lastError = undefined
        this.delivered(rows)
        this.metrics?.uplinkBatches.inc({ outcome: 'acked' })
        this.metrics?.uplinkRows.inc(rows)
        return 'acked'
      }
      this.lastError = `core answered ${res.statusCode}: ${text.slice(0, 300)}`
      const permanent = res.statusCode >= 400 && res.statusCode < 500 && ![401, 403, 408, 429].includes(res.statusCode)
      if (permanent) {
        await this.outbox.deadLetter(batch.id, this.lastError)
        this.metrics?.uplinkBatches.inc({ outcome: 'dead_letter' })
        this.metrics?.deadLetters.inc(rows)
        this.options.log?.('error', 'core refused a batch permanently; kept as dead letter', { batch_id: batch.id, rows, error: this.lastError })
        return 'dead'
      }
      this.metrics?.uplinkBatches.inc({ outcome: `http_${res.statusCode}` })
      if (res.statusCode === 429 || res.statusCode === 503) {
        this.askedWaitMs = retryAfterMs(res.headers['retry-after'], Date.now(), this.options.backoffMaxMs)
        // A busy core is expected while gateways flush together: counted, not logged each time.
        if (res.statusCode === 429 && this.askedWaitMs !== undefined) {
          this.totals.busy++
          return 'retry'
        }
      }
      this.options.log?.(res.statusCode === 401 || res.statusCode === 403 ? 'error' : 'warn', 'batch not accepted; will retry', { batch_id: batch.id, error: this.lastError })
      return 'retry'
    } catch (err) {
      if (!this.running) return 'retry'
      this.lastError = `${(err as Error).name}: ${(err as Error).message}`
      this.metrics?.uplinkBatches.inc({ outcome: 'network_error' })
      this.options.log?.('warn', 'core unreachable; will retry', { batch_id: batch.id, attempts: batch.attempts, error: this.lastError })
      return 'retry'
    }
  }
}

const LIVE_HORIZON_MS = 30_000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
