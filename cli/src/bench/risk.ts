// neva bench triage --risk: the deterioration model (ONNX tree ensemble, 358 features) scored in
// batches through the triage pool's worker against the same model on the main thread, both
// ending in calibrated risks; interleaved rounds after a warm-up. Rows are synthetic: hourly
// feature vectors with a third of the values missing (NaN), as sparse charting gives.
import * as ort from 'onnxruntime-node'
import { DEFAULT_RISK_MANIFEST, FEATURES, FEATURE_SET, TriagePool, calibrate, checkRiskManifest, readModelFiles } from '@neva/edge'

const BATCH = 256
const ROUNDS = 6

export async function runRiskBench(o: { rows: number; threads: number; manifestPath?: string; log: (s: string) => void }) {
  const { manifest, bytes } = await readModelFiles(o.manifestPath ?? DEFAULT_RISK_MANIFEST)
  const checked = checkRiskManifest(manifest)
  const width = checked.features.length
  let s = 1
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32
  const rows = Float32Array.from({ length: o.rows * width }, () => (next() < 0.33 ? NaN : next() * 150))
  o.log(`  risk model ${checked.id}@${checked.version}: ${width} features; ${o.rows.toLocaleString('en')} rows per round in batches of ${BATCH}; ${o.threads} worker thread(s)`)
  const main = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
  const pool = new TriagePool({ threads: o.threads, spec: { featureSet: FEATURE_SET, features: FEATURES } })
  await pool.installRisk(manifest, bytes)
  let sink = 0
  try {
    const onMain = async () => {
      for (let i = 0; i < o.rows; i += BATCH) {
        const n = Math.min(BATCH, o.rows - i)
        const out = await main.run({ features: new ort.Tensor('float32', rows.slice(i * width, (i + n) * width), [n, width]) })
        for (const p of out.risk!.data as Float32Array) sink += calibrate(p, checked.calibration)
      }
    }
    const onPool = async () => {
      const tasks: Array<Promise<unknown>> = []
      for (let i = 0; i < o.rows; i += BATCH) {
        const n = Math.min(BATCH, o.rows - i)
        tasks.push(pool.risk(rows.slice(i * width, (i + n) * width), n).then((r) => { if (r) sink += r.risk[0]! }))
        if (tasks.length >= 4) await Promise.all(tasks.splice(0))
      }
      await Promise.all(tasks)
    }
    await onMain()
    await onPool()
    const totals = { main: 0, pool: 0 }
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? (['main', 'pool'] as const) : (['pool', 'main'] as const)) {
        const t0 = performance.now()
        await (mode === 'main' ? onMain() : onPool())
        totals[mode] += performance.now() - t0
      }
    }
    const rate = (ms: number) => Math.round((ROUNDS * o.rows) / (ms / 1000))
    const result = { risk_pool_per_s: rate(totals.pool), risk_main_thread_per_s: rate(totals.main), ratio: Math.round((totals.main / totals.pool) * 1000) / 1000 }
    o.log(`  main thread  ${result.risk_main_thread_per_s.toLocaleString('en')} patients/s (event loop blocked while it runs)`)
    o.log(`  pool         ${result.risk_pool_per_s.toLocaleString('en')} patients/s${Number.isNaN(sink) ? ' (NaN risk seen)' : ''}`)
    return result
  } finally {
    await main.release()
    await pool.close()
  }
}
