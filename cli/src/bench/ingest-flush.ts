// `neva bench ingest`'s flush phase: many gateways come back with backlogs at once (after an
// outage or a core restart). Baseline in the same run: one gateway flushing its backlog alone.
// Both through the gateway's real Uplink on their own thread; the core bounds what it takes at
// once and answers the rest 429 with Retry-After (docs/store-and-forward.md#many-gateways-at-once).
import { Worker } from 'node:worker_threads'
import type { Core } from '@neva/core'
import type { FlushJob, FlushResult } from './flush-gateways.js'

export interface FlushFigures {
  flush_gateways: number
  one_gateway_flush_rows_per_s: number
  flush_rows_per_s: number
  /** All at once ÷ one alone: ≥ 1 when the core's group commit shares the work. */
  flush_ratio: number
  /** 429s the gateways were given (and waited out). */
  flush_busy_answers: number
  /** Timeouts, resets or 5xx seen by the gateways: 0 is the point. */
  flush_errors: number
  flush_rss_mb_max: number
  /** The last failure the gateways logged, if any (what the errors were). */
  flush_last_error?: string
}

export const flushGatewayIds = (n: number) => ['flush-one', ...Array.from({ length: n }, (_, i) => `flush-${i}`)]

async function flush(job: FlushJob): Promise<FlushResult> {
  const worker = new Worker(new URL('./flush-gateways.ts', import.meta.url), { workerData: job })
  try {
    await new Promise<void>((resolve, reject) => worker.once('error', reject).once('message', () => resolve()))
    return await new Promise<FlushResult>((resolve, reject) => {
      worker.once('error', reject).once('message', (m: FlushResult & { error?: string }) => m.error ? reject(new Error(m.error)) : resolve(m))
      worker.postMessage('go')
    })
  } finally {
    await worker.terminate()
  }
}

export async function runFlushPhase(core: Core, o: { gateways: number; batches: number; size: number; start: number }): Promise<FlushFigures> {
  const common = { url: core.url, batches: o.batches, batchSize: o.size, start: o.start, timeoutMs: 15_000 }
  const one = await flush({ ...common, gateways: ['flush-one'] })
  let rssMax = process.memoryUsage().rss
  const sampler = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage().rss) }, 100)
  let many: FlushResult
  try {
    many = await flush({ ...common, gateways: flushGatewayIds(o.gateways).slice(1) })
  } finally {
    clearInterval(sampler)
  }
  // Every reading stored once.
  for (const g of flushGatewayIds(o.gateways)) {
    const rs = await core.clickhouse.client.query({ query: 'SELECT count() AS n, uniqExact(seq) AS u FROM observations WHERE gateway_id = {g:String}', query_params: { g }, format: 'JSONEachRow' })
    const [row] = await rs.json<{ n: string; u: string }>()
    if (Number(row?.n) !== o.batches * o.size || Number(row?.u) !== o.batches * o.size) throw new Error(`flush: gateway ${g} stored ${row?.n} rows (${row?.u} distinct) of ${o.batches * o.size}`)
  }
  const perS = (r: FlushResult) => Math.round(r.rows / (r.ms / 1000))
  const figures: FlushFigures = {
    flush_gateways: o.gateways,
    one_gateway_flush_rows_per_s: perS(one),
    flush_rows_per_s: perS(many),
    flush_ratio: Number((perS(many) / perS(one)).toFixed(3)),
    flush_busy_answers: many.busy,
    flush_errors: one.errors + many.errors,
    flush_rss_mb_max: Math.round(rssMax / 1024 / 1024),
    ...(many.lastError ?? one.lastError ? { flush_last_error: (many.lastError ?? one.lastError)!.slice(0, 300) } : {}),
  }
  return figures
}
