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
