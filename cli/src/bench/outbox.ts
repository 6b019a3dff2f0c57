// neva bench outbox: what durability costs at the gateway, and how a backlog drains.
//
//   durable vs bypass  QoS 1 publishers at full speed against the gateway, with every reading
//                      committed to the outbox before its PUBACK, and against the same gateway
//                      (broker, decoder, triage) with the outbox bypassed; interleaved rounds,
//                      uplink paused, so the two differ only in durability.
//   ack latency        PUBACK p99 at a steady 2,000 readings/s, uplink live.
//   drain              2,000 readings/s live; the uplink is cut for --outage-s; then the backlog
//                      drains while live readings keep coming: drain rate, and how long live
//                      readings take from the gateway to the core's commit meanwhile.
// Publishers run on a worker thread; the core runs as its own process, as in production.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { parseGatewayConfig, startGateway, type Gateway, type GatewayHooks } from '@neva/edge'
import { NullOutbox } from './null-outbox.js'
import { startNeva, stop } from '../faults/processes.js'
import { startUplinkProxy } from '../faults/proxy.js'
import type { PublisherJob, PublisherResult } from './publisher-worker.js'

export interface OutboxBenchOptions {
  roundSeconds: number
  outageS: number
  liveReadingsPerS: number
  log: (line: string) => void
}

const READINGS_PER_MESSAGE = 10
const DEVICES = 20
const GATEWAY = 'bench-gw'
const TOKEN = 'bench-token'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function publishers(job: PublisherJob) {
  const worker = new Worker(new URL('./publisher-worker.ts', import.meta.url), { workerData: job })
  const result = new Promise<PublisherResult>((resolve, reject) => {
    worker.once('message', (r: PublisherResult) => {
      void worker.terminate()
      resolve(r)
    })
    worker.once('error', reject)
  })
  return { result, stop: () => worker.postMessage('stop') }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

export async function runOutboxBench(o: OutboxBenchOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'neva-bench-outbox-'))
  const core = await startNeva(['core', '--port', '0', '--data', join(dir, 'core')], { NEVA_GATEWAY_TOKENS: `${GATEWAY}=${TOKEN}`, NEVA_LOG_LEVEL: 'warn', CLICKHOUSE_URL: '' }, join(dir, 'core.log'), /listening on http:\/\/127\.0\.0\.1:(\d+)/)
  const proxy = await startUplinkProxy(() => Number(core.ready[1]))
  let round = 0
  const gateway = (hooks: GatewayHooks = {}) => startGateway(parseGatewayConfig({
    gateway_id: GATEWAY,
    data_dir: join(dir, `edge-${round++}`),
    mqtt: { port: 0 },
    api: { port: 0 },
    core: { url: proxy.url, token: TOKEN, linger_ms: 20, backoff_base_ms: 50, backoff_max_ms: 500, batch_max: 5000 },
    log_level: 'error',
  }), undefined, hooks)

  try {
    // 1. Durable against bypassed, interleaved.
    const totals = { durable: { readings: 0, ms: 0 }, bypass: { readings: 0, ms: 0 } }
    // The first round warms the JIT and is not counted.
    for (const [i, mode] of (['durable', 'durable', 'bypass', 'durable', 'bypass'] as const).entries()) {
      proxy.setCut(true)
      const g = await gateway({ outbox: mode === 'bypass' ? new NullOutbox() : undefined })
      const r = await publishers({ brokerUrl: `mqtt://127.0.0.1:${g.mqttPort}`, devices: DEVICES, readingsPerMessage: READINGS_PER_MESSAGE, mode: 'saturate', window: 8, seconds: o.roundSeconds }).result
      await g.stop()
      if (i === 0) continue
      totals[mode].readings += r.readings
      totals[mode].ms += r.elapsedMs
      o.log(`  ${mode.padEnd(7)} ${Math.round(r.readings / (r.elapsedMs / 1000)).toLocaleString('en')} readings/s acknowledged (PUBACK p99 ${percentile(r.latencies, 99).toFixed(1)} ms)`)
    }
    proxy.setCut(false)
    const durablePerS = totals.durable.readings / (totals.durable.ms / 1000)
    const bypassPerS = totals.bypass.readings / (totals.bypass.ms / 1000)

    // 2 and 3. Steady live load on a gateway whose uplink works, then an outage and the drain.
    let drainFrom = Infinity
    const liveLatencies: number[] = []
    const g: Gateway = await gateway({
      onDelivered: (batch) => {
        const now = Date.now()
        for (const obs of batch.observations) if (obs.received_time >= drainFrom) liveLatencies.push(now - obs.received_time)
      },
    })
    const messagesPerSecond = o.liveReadingsPerS / READINGS_PER_MESSAGE
    const steady = await publishers({ brokerUrl: `mqtt://127.0.0.1:${g.mqttPort}`, devices: DEVICES, readingsPerMessage: READINGS_PER_MESSAGE, mode: 'rate', messagesPerSecond, seconds: o.roundSeconds }).result
    const ackP99 = percentile(steady.latencies, 99)
    o.log(`  steady  ${Math.round(steady.readings / (steady.elapsedMs / 1000))} readings/s: PUBACK p50 ${percentile(steady.latencies, 50).toFixed(1)} ms, p99 ${ackP99.toFixed(1)} ms`)

    const live = publishers({ brokerUrl: `mqtt://127.0.0.1:${g.mqttPort}`, devices: DEVICES, readingsPerMessage: READINGS_PER_MESSAGE, mode: 'rate', messagesPerSecond })
    await sleep(1000)
    o.log(`  outage  uplink cut for ${o.outageS} s at ${o.liveReadingsPerS} readings/s`)
    proxy.setCut(true)
    await sleep(o.outageS * 1000)
    const backlog = g.outbox.stats().depth
    const acknowledgedBefore = g.outbox.stats().acknowledged
    drainFrom = Date.now()
    proxy.setCut(false)
    const t0 = performance.now()
    // Drained: what waits is no more than half a second of live data — and the uplink has
    // delivered since it came back (on a starved machine a short outage may leave little waiting).
    while (g.outbox.stats().depth > o.liveReadingsPerS / 2 || g.outbox.stats().acknowledged === acknowledgedBefore) await sleep(50)
    const drainMs = performance.now() - t0
    const drained = g.outbox.stats().acknowledged - acknowledgedBefore
    await sleep(1000)
    live.stop()
    const liveResult = await live.result
    await g.stop()
    const drainPerS = drained / (drainMs / 1000)
    const livePerS = liveResult.readings / (liveResult.elapsedMs / 1000)
    const liveP99 = percentile(liveLatencies, 99)
    o.log(`  drain   backlog of ${backlog.toLocaleString('en')} drained in ${(drainMs / 1000).toFixed(1)} s: ${Math.round(drainPerS).toLocaleString('en')} rows/s; live readings to the core p99 ${Math.round(liveP99)} ms meanwhile`)
    return {
      durable_per_s: Math.round(durablePerS),
      bypass_per_s: Math.round(bypassPerS),
      ratio: Number((durablePerS / bypassPerS).toFixed(3)),
      ack_p99_ms: Number(ackP99.toFixed(1)),
      drain_per_s: Math.round(drainPerS),
      live_per_s: Math.round(livePerS),
      live_p99_ms_during_drain: Math.round(liveP99),
    }
  } finally {
    await proxy.close()
    await stop(core.child, 'SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}
