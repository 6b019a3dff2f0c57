// The embedded engine starts with bounded caches and idle threads (analytics/src/embedded-limits.ts) and reports
// its own memory (engine-memory.ts). One chdb engine per process: this file's first connection
// is the one that starts it, so the limits it asks for are the ones the engine has.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse, EMBEDDED_CACHE_DEFAULTS, EMBEDDED_IDLE_THREADS_DEFAULT, embeddedCacheArgs, embeddedIdleThreadArgs, engineMemory, MAX_CACHE_BYTES } from '@neva/analytics'

test('the defaults become the engine arguments, one per cache', () => {
  assert.deepEqual(embeddedCacheArgs(), [
    `--mark_cache_size=${64 * 1024 * 1024}`,
    `--primary_index_cache_size=${64 * 1024 * 1024}`,
    `--index_mark_cache_size=${16 * 1024 * 1024}`,
    `--query_condition_cache_size=${16 * 1024 * 1024}`,
    `--compiled_expression_cache_size=${32 * 1024 * 1024}`,
  ])
  assert.ok(embeddedCacheArgs({ markCacheBytes: 0 }).includes('--mark_cache_size=0'))
})

test('a limit that is not a whole number of bytes in range is refused by name, never passed on', () => {
  for (const bad of [-1, 1.5, Number.NaN, Infinity, MAX_CACHE_BYTES + 1, '64' as unknown as number, '1 --path=/' as unknown as number]) {
    assert.throws(() => embeddedCacheArgs({ markCacheBytes: bad }), /markCacheBytes must be a whole number of bytes/, String(bad))
  }
})

test('the engine runs with the limits asked for and reports its memory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-caches-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const ch = await connectClickHouse({ path: join(dir, 'ch'), embeddedCaches: { markCacheBytes: 8 * 1024 * 1024, compiledExpressionCacheBytes: 1024 * 1024 }, embeddedIdleThreads: 5 })
  try {
    const rs = await ch.client.query({
      query: "SELECT name, value FROM system.server_settings WHERE name IN ('mark_cache_size', 'primary_index_cache_size', 'compiled_expression_cache_size', 'max_thread_pool_free_size') ORDER BY name",
      format: 'JSONEachRow',
    })
    assert.deepEqual(await rs.json(), [
      { name: 'compiled_expression_cache_size', value: String(1024 * 1024) },
      { name: 'mark_cache_size', value: String(8 * 1024 * 1024) },
      { name: 'max_thread_pool_free_size', value: '5' },
      { name: 'primary_index_cache_size', value: String(EMBEDDED_CACHE_DEFAULTS.primaryIndexCacheBytes) },
    ])
    const memory = await engineMemory(ch)
    assert.ok((memory.MemoryTracking ?? 0) > 0, `MemoryTracking ${memory.MemoryTracking}`)
    assert.equal(typeof memory.MarkCacheBytes, 'number')
    for (const value of Object.values(memory)) assert.ok(Number.isFinite(value) && value >= 0)
  } finally {
    await ch.close()
  }
})

test('idle threads kept: 32 unless asked; anything but a whole number in [0, 10,000] is refused by name, never passed on', () => {
  assert.equal(EMBEDDED_IDLE_THREADS_DEFAULT, 32)
  assert.deepEqual(embeddedIdleThreadArgs(), ['--max_thread_pool_free_size=32'])
  assert.deepEqual(embeddedIdleThreadArgs(0), ['--max_thread_pool_free_size=0'])
  for (const bad of [-1, 1.5, 10_001, Number.NaN, '8 --path=/' as unknown as number, '8' as unknown as number]) {
    assert.throws(() => embeddedIdleThreadArgs(bad), /idleThreads must be a whole number/, String(bad))
  }
})

test('connecting with a bad limit names the limit (not a locked directory) and opens nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-caches-bad-'))
  try {
    await assert.rejects(connectClickHouse({ path: dir, embeddedCaches: { markCacheBytes: '1 --path=/' as unknown as number } }), /markCacheBytes must be a whole number of bytes/)
    await assert.rejects(connectClickHouse({ path: dir, embeddedIdleThreads: '1 --path=/' as unknown as number }), /idleThreads must be a whole number/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
