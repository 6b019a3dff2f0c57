import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse, loadMigrations, migrate, MIGRATIONS_DIR, splitStatements } from '@neva/analytics'

// This file migrates from nothing: no store of this run starts as a copy of the run's seed.
delete process.env.NEVA_TEST_CLICKHOUSE_SEED

const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-ch-')) })
after(() => ch.close())

async function schema(): Promise<string> {
  const rs = await ch.client.query({
    query: "SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name",
    format: 'JSONEachRow',
  })
  return JSON.stringify(await rs.json())
}

test('migrations apply once, are recorded, and running them again changes nothing', async () => {
  const first = await migrate(ch)
  assert.deepEqual(first.applied, loadMigrations().map((m) => m.version))
  const before = await schema()
  const second = await migrate(ch)
  assert.deepEqual(second.applied, [])
  assert.deepEqual(second.alreadyApplied, first.applied)
  assert.equal(await schema(), before)
  const rs = await ch.client.query({ query: 'SELECT count() AS n FROM schema_migrations', format: 'JSONEachRow' })
  assert.equal(Number((await rs.json<{ n: string }>())[0]!.n), first.applied.length)
})

test('an applied migration that was edited is refused with a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-mig-'))
  mkdirSync(dir, { recursive: true })
  for (const m of loadMigrations()) {
    const file = `${String(m.version).padStart(4, '0')}_${m.name}.sql`
    writeFileSync(join(dir, file), readFileSync(join(MIGRATIONS_DIR, file), 'utf8') + '\n-- edited\n')
  }
  await assert.rejects(migrate(ch, loadMigrations(dir)), /was changed after it was applied/)
})

test('statements split on semicolons at line ends; comments are dropped', () => {
  assert.deepEqual(splitStatements('-- a\nCREATE TABLE a (x String DEFAULT \';\');\n\n-- b\nSELECT 1;\n-- only a comment\n'), [
    "CREATE TABLE a (x String DEFAULT ';')",
    'SELECT 1',
  ])
})

test('tables are partitioned by month and ordered for a patient timeline', async () => {
  const rs = await ch.client.query({
    query: "SELECT name, partition_key, sorting_key FROM system.tables WHERE database = currentDatabase() AND name IN ('observations', 'triage_results') ORDER BY name",
    format: 'JSONEachRow',
  })
  const rows = await rs.json<{ name: string; partition_key: string; sorting_key: string }>()
  assert.deepEqual(rows.map((r) => [r.name, r.partition_key, r.sorting_key.split(',')[0]!.trim()]), [
    ['observations', 'toYYYYMM(device_time)', 'patient_id'],
    ['triage_results', 'toYYYYMM(time)', 'patient_id'],
  ])
})
