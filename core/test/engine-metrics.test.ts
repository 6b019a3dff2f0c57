// The core's /metrics carries ClickHouse's own memory accounting (core/src/engine-metrics.ts), and
// the embedded engine runs with the cache and idle-thread limits of the core's config.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashToken, parseCoreConfig, startCore } from '@neva/core'

const dir = mkdtempSync(join(tmpdir(), 'neva-engine-metrics-'))
const core = await startCore({
  host: '127.0.0.1', port: 0, logLevel: 'silent', metricsTokens: { scrape: hashToken('scrape-token') },
  clickhouse: { path: join(dir, 'ch'), embeddedCaches: { markCacheBytes: 12 * 1024 * 1024 }, embeddedIdleThreads: 7 },
})
after(async () => {
  await core.close()
  rmSync(dir, { recursive: true, force: true })
})

test('/metrics: ClickHouse memory by system.metrics name, in bytes', async () => {
  const metrics = await (await fetch(`${core.url}/metrics`, { headers: { authorization: 'Bearer scrape-token' } })).text()
  const tracking = /^neva_core_clickhouse_memory_bytes\{metric="MemoryTracking"\} (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(metrics)
  assert.ok(tracking && Number(tracking[1]) > 0, 'MemoryTracking is there and above zero')
  assert.match(metrics, /^neva_core_clickhouse_memory_bytes\{metric="MarkCacheBytes"\} \d+$/m)
  assert.match(metrics, /^neva_core_clickhouse_memory_bytes\{metric="PrimaryIndexCacheBytes"\} \d+$/m)
})

test('the embedded engine runs with the configured cache limits and idle threads', async () => {
  const rs = await core.clickhouse.client.query({ query: "SELECT name, value FROM system.server_settings WHERE name IN ('mark_cache_size', 'max_thread_pool_free_size') ORDER BY name", format: 'JSONEachRow' })
  assert.deepEqual(await rs.json(), [{ name: 'mark_cache_size', value: String(12 * 1024 * 1024) }, { name: 'max_thread_pool_free_size', value: '7' }])
})

test('config: cache limits default, are whole bytes, and are refused out of range', () => {
  assert.equal(parseCoreConfig({}).clickhouse.embeddedCaches.markCacheBytes, 64 * 1024 * 1024)
  assert.throws(() => parseCoreConfig({ clickhouse: { embeddedCaches: { markCacheBytes: -1 } } }), /markCacheBytes/)
  assert.throws(() => parseCoreConfig({ clickhouse: { embeddedCaches: { markCacheBytes: 1.5 } } }), /markCacheBytes/)
  assert.throws(() => parseCoreConfig({ clickhouse: { embeddedCaches: { markCacheBytes: 2 ** 41 } } }), /markCacheBytes/)
})
