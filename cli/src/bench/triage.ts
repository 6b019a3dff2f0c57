// neva bench triage: what the worker pool costs and buys.
//
//   throughput   the same rows scored by the pool (piscina workers, rows of one turn of the event
//                loop batched into tasks) and by the same model on the main thread without a
//                pool, in the same batch size, both ending in the same verdicts (level,
//                probabilities, drivers), interleaved round by round;
//   latency      500 patients, each updated once a second: time from a row's submission to its
//                verdict, and the gateway's event-loop delay meanwhile;
//   full load    the event-loop delay while the pool is saturated.
//
// Both paths warm up first: V8 and onnxruntime take a few hundred thousand rows to settle.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import * as ort from 'onnxruntime-node'
import { FEATURES, FEATURE_SET, TriagePool, checkModel, packVerdicts, readModelFiles, verdictAt } from '@neva/edge'
import { percentile } from './outbox.js'

export interface TriageBenchOptions {
  manifestPath: string
  rows: number
  threads: number
  latencySeconds: number
  patients: number
  log: (line: string) => void
}

const BATCH = 256
const WARM_ROWS = 400_000
const ROUNDS = 6

function randomRows(n: number, width: number, seed = 1): Float32Array[] {
  let s = seed
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 4 - 2
  return Array.from({ length: n }, () => Float32Array.from({ length: width }, next))
}

export async function runTriageBench(o: TriageBenchOptions) {
  const spec = { featureSet: FEATURE_SET, features: FEATURES }
  const { manifest, bytes } = await readModelFiles(o.manifestPath)
  const checked = checkModel(manifest, bytes, spec)
  const width = checked.features.length
  const rows = randomRows(o.rows, width)
  const raw = new Float64Array(width)
  o.log(`  model ${checked.id}@${checked.version}: ${width} features; ${o.rows.toLocaleString('en')} rows per round; ${o.threads} worker thread(s)`)

  const main = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
  const pool = new TriagePool({ threads: o.threads, maxBatch: BATCH, spec })
  await pool.install(manifest, bytes)
  try {
    const onMain = async () => {
      for (let i = 0; i < rows.length; i += BATCH) {
        const chunk = rows.slice(i, i + BATCH)
        const features = new Float32Array(chunk.length * width)
        chunk.forEach((r, k) => features.set(r, k * width))
        const out = await main.run({ features: new ort.Tensor('float32', features, [chunk.length, width]) })
        // The same verdicts the pool gives: level, probabilities, drivers.
        const scored = { probabilities: out.probabilities!.data as Float32Array, contributions: out.contributions!.data as Float32Array }
        const packed = packVerdicts(scored, chunk.length, width, checked.thresholds)
        for (let k = 0; k < chunk.length; k++) verdictAt(checked, packed, k, raw)
      }
    }
    // Submitted as a gateway does: many patients per turn, a bounded number in flight.
    const onPool = async () => {
      const inFlight = 4 * BATCH
      for (let i = 0; i < rows.length; i += inFlight) await Promise.all(rows.slice(i, i + inFlight).map((r) => pool.score(r, raw)))
    }
    // Both paths need a few hundred thousand rows before V8 and onnxruntime settle (rates rose
    // 2-3x over the first ~250k rows here); then interleaved rounds, so drift hits both alike.
    const warmRounds = Math.ceil(WARM_ROWS / o.rows)
    for (let i = 0; i < warmRounds; i++) {
      await onMain()
      await onPool()
    }
    const totals = { main: 0, pool: 0 }
    const loopAtFull = monitorEventLoopDelay({ resolution: 1 })
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? (['main', 'pool'] as const) : (['pool', 'main'] as const)) {
        if (mode === 'pool') loopAtFull.enable()
        const t0 = performance.now()
        await (mode === 'main' ? onMain() : onPool())
        totals[mode] += performance.now() - t0
        if (mode === 'pool') loopAtFull.disable()
      }
    }
    const mainPerS = (ROUNDS * o.rows) / (totals.main / 1000)
    const poolPerS = (ROUNDS * o.rows) / (totals.pool / 1000)
    o.log(`  main thread  ${Math.round(mainPerS).toLocaleString('en')} patients/s (event loop blocked while it runs)`)
    o.log(`  pool         ${Math.round(poolPerS).toLocaleString('en')} patients/s; event-loop delay p99 ${(loopAtFull.percentile(99) / 1e6).toFixed(1)} ms at full load`)

    // 500 patients at 1 Hz, spread evenly over the second.
    const latencies: number[] = []
    const loop = monitorEventLoopDelay({ resolution: 1 })
    loop.enable()
    const interval = 1000 / o.patients
    const end = performance.now() + o.latencySeconds * 1000
    let next = performance.now()
    let p = 0
    const pending: Array<Promise<unknown>> = []
    while (performance.now() < end) {
      const t0 = performance.now()
      pending.push(pool.score(rows[p++ % rows.length]!, raw).then(() => latencies.push(performance.now() - t0)))
      next += interval
      const wait = next - performance.now()
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait))
      else if (p % 16 === 0) await new Promise((r) => setImmediate(r))
    }
    await Promise.all(pending)
    loop.disable()
    const p99 = percentile(latencies, 99)
    const loopP99 = loop.percentile(99) / 1e6
    o.log(`  ${o.patients} patients at 1 Hz: verdict p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms; event-loop delay p99 ${loopP99.toFixed(1)} ms`)
    return {
      pool_per_s: Math.round(poolPerS),
      main_thread_per_s: Math.round(mainPerS),
      ratio: Number((poolPerS / mainPerS).toFixed(3)),
      p99_ms: Number(p99.toFixed(2)),
      event_loop_p99_ms: Number(loopP99.toFixed(1)),
      event_loop_p99_ms_full_load: Number((loopAtFull.percentile(99) / 1e6).toFixed(1)),
    }
  } finally {
    await pool.close()
    await main.release()
  }
}
