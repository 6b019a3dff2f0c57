// Gateways flushing backlogs for `neva bench ingest`, on their own thread (real gateways are other
// machines): each a real Uplink (the gateway's, with its Retry-After handling and backoff) over an
// in-memory backlog. Told to go, they all start at once; the answer is what they saw.
import { parentPort, workerData } from 'node:worker_threads'
import { Uplink } from '@neva/edge'
import { makeBatches } from '../commands/bench.js'
import { BacklogOutbox } from './backlog-outbox.js'

export interface FlushJob {
  url: string
  gateways: string[]
  batches: number
  batchSize: number
  start: number
  timeoutMs: number
}

export interface FlushResult {
  ms: number
  rows: number
  busy: number
  /** Sends that failed other than by a 429: timeouts, resets, 5xx. */
  errors: number
  lastError?: string
}

const job = workerData as FlushJob

parentPort!.once('message', () => {
  void (async () => {
    let errors = 0
    let lastError: string | undefined
    const uplinks = job.gateways.map((g) => new Uplink(new BacklogOutbox(makeBatches(g, job.batches, job.batchSize, job.start)), {
      url: job.url, token: `token-${g}`, batchMax: job.batchSize, batchMaxBytes: 64 * 1024 * 1024, lingerMs: 0,
      timeoutMs: job.timeoutMs, backoffBaseMs: 200, backoffMaxMs: 30_000, liveWindowMs: 1000,
      log: (level, message, fields) => { if (level !== 'info') { errors++; lastError = `${message} ${JSON.stringify(fields)}` } },
    }))
    const t0 = performance.now()
    for (const u of uplinks) u.start()
    await Promise.all(uplinks.map((u) => u.drain(600_000)))
    const ms = performance.now() - t0
    await Promise.all(uplinks.map((u) => u.stop()))
    const result: FlushResult = {
      ms, rows: uplinks.reduce((a, u) => a + u.totals.rows, 0), busy: uplinks.reduce((a, u) => a + u.totals.busy, 0), errors, ...(lastError ? { lastError } : {}),
    }
    parentPort!.postMessage(result)
  })().catch((err: Error) => parentPort!.postMessage({ error: err.message }))
})
parentPort!.postMessage('ready')
