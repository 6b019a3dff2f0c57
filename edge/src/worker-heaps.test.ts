// The worker threads' heaps on the gateway's /metrics (worker-heaps.ts): the outbox's writer is
// reported while it runs, a thread that exits is no longer reported (nothing kept for it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { Registry } from 'prom-client'
import { SqliteOutbox } from './outbox/sqlite-outbox.js'
import { obs } from './outbox/conformance.js'
import { registerWorkerHeaps, trackWorker } from './worker-heaps.js'
import { TriagePool } from './triage/pool.js'
import { FEATURES, FEATURE_SET } from '@neva/triage'

const scrape = async (registry: Registry) => (await registry.getSingleMetric('neva_edge_worker_heap_bytes')!.get()).values

test('each live worker thread: its heap used and committed, by name and thread id', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-worker-heaps-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const registry = new Registry()
  registerWorkerHeaps(registry)
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), gatewayId: 'gw-heaps' })
  await outbox.append([obs('p', 90)])
  const idle = new Worker('setInterval(() => {}, 1000)', { eval: true })
  await new Promise((r) => idle.once('online', r))
  trackWorker('test-idle', idle)

  const values = await scrape(registry)
  for (const name of ['outbox-writer', 'test-idle']) {
    const used = values.find((v) => v.labels.worker === name && v.labels.of === 'used')
    const total = values.find((v) => v.labels.worker === name && v.labels.of === 'total')
    assert.ok(used && total, `${name} reported: ${JSON.stringify(values)}`)
    assert.ok(used.value > 0 && total.value >= used.value, `${name}: ${used.value} of ${total.value}`)
  }
  assert.equal(values.find((v) => v.labels.worker === 'test-idle')!.labels.thread, String(idle.threadId))

  await idle.terminate()
  await outbox.close()
  const after = await scrape(registry)
  assert.deepEqual(after.filter((v) => v.labels.worker === 'test-idle' || v.labels.worker === 'outbox-writer'), [])
})

test("the triage scorers that start with the pool are reported (they start before any listener could see them)", async (t) => {
  const registry = new Registry()
  registerWorkerHeaps(registry)
  const pool = new TriagePool({ threads: 2, spec: { featureSet: FEATURE_SET, features: FEATURES } })
  t.after(() => pool.close())
  // A thread still starting has no heap to report yet: asked again until both have one.
  let values = await scrape(registry)
  const triageThreads = () => new Set(values.filter((v) => v.labels.worker === 'triage' && v.labels.of === 'total').map((v) => v.labels.thread))
  for (let i = 0; i < 200 && triageThreads().size < 2; i++) {
    await new Promise((r) => setTimeout(r, 50))
    values = await scrape(registry)
  }
  assert.equal(triageThreads().size, 2, JSON.stringify(values))
})
