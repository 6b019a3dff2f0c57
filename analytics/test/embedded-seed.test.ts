// A test run's stores start as copies of one migrated seed (analytics/src/embedded-seed.ts): the
// copy is a store of its own (writes to it leave the seed as it was), and it is still migrated.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse, loadMigrations, migrate } from '@neva/analytics'
import { seedEmbeddedStore } from '../src/embedded-seed.js'

const dir = mkdtempSync(join(tmpdir(), 'neva-seed-'))
const seed = join(dir, 'seed')
// The seed is made by another process, as the test runner makes it (one chdb store per process).
const made = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e',
  "import { connectClickHouse, migrate } from '@neva/analytics'; const ch = await connectClickHouse({ path: process.argv[1] }); await migrate(ch); await ch.close()", seed],
  { env: { ...process.env, NEVA_TEST: '0' }, encoding: 'utf8' })
assert.equal(made.status, 0, made.stderr)

function digest(root: string): string {
  const h = createHash('sha256')
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      const st = statSync(p, { throwIfNoEntry: false })
      if (!st) continue
      if (st.isDirectory()) walk(p)
      else h.update(p.slice(root.length)).update(readFileSync(p))
    }
  }
  walk(root)
  return h.digest('hex')
}

test('a store of a test run starts as a copy of the seed: nothing left to migrate, and its writes stay its own', async () => {
  const before = digest(seed)
  const path = join(dir, 'copy')
  assert.equal(seedEmbeddedStore(path, { NEVA_TEST: '1', NEVA_TEST_CLICKHOUSE_SEED: seed }), true)
  const ch = await connectClickHouse({ path })
  try {
    const report = await migrate(ch)
    assert.deepEqual(report.applied, [])
    assert.deepEqual(report.alreadyApplied, loadMigrations().map((m) => m.version))
    await ch.client.command({ query: "INSERT INTO schema_migrations VALUES (9999, 'seed_test', 'x', now64(3))" })
    const rs = await ch.client.query({ query: 'SELECT count() AS n FROM schema_migrations FINAL', format: 'JSONEachRow' })
    assert.equal(Number((await rs.json<{ n: string }>())[0]!.n), loadMigrations().length + 1)
  } finally {
    await ch.close()
  }
  assert.equal(digest(seed), before, 'the seed changed when its copy was written to')
})

test('no seed outside a test run, without a seed, from a relative seed path, or into a directory that holds anything', () => {
  const fresh = (name: string) => join(dir, name)
  assert.equal(seedEmbeddedStore(fresh('a'), { NEVA_TEST_CLICKHOUSE_SEED: seed }), false)
  assert.equal(seedEmbeddedStore(fresh('b'), { NEVA_TEST: '1' }), false)
  assert.equal(seedEmbeddedStore(fresh('c'), { NEVA_TEST: '1', NEVA_TEST_CLICKHOUSE_SEED: 'seed' }), false)
  assert.equal(seedEmbeddedStore(fresh('d'), { NEVA_TEST: '1', NEVA_TEST_CLICKHOUSE_SEED: join(dir, 'nowhere') }), false)
  mkdirSync(fresh('e'))
  writeFileSync(join(fresh('e'), 'kept'), 'x')
  assert.equal(seedEmbeddedStore(fresh('e'), { NEVA_TEST: '1', NEVA_TEST_CLICKHOUSE_SEED: seed }), false)
  assert.deepEqual(readdirSync(fresh('e')), ['kept'])
  mkdirSync(fresh('f'))
  assert.equal(seedEmbeddedStore(fresh('f'), { NEVA_TEST: '1', NEVA_TEST_CLICKHOUSE_SEED: seed }), true)
  assert.ok(readdirSync(fresh('f')).includes('store'))
})
