// Evidence for the upstream report in docs/security/injection.md: chdb's own connection adapter,
// without Neva's guard, runs SQL hidden in a setting value (quotes doubled, backslashes not
// escaped). Reported, not asserted: when chdb fixes it this test says so, and the guard stays
// (connectClickHouse never hands out the raw adapter).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '@clickhouse/client'

test('upstream: the raw chdb adapter and a setting value ending in \\\' (diagnostic)', async (t) => {
  const { createChdbConnection } = await import('chdb/connection')
  const client = createClient({ connection: createChdbConnection({ path: mkdtempSync(join(tmpdir(), 'neva-chdb-upstream-')) }) } as unknown as Parameters<typeof createClient>[0])
  try {
    await client.command({ query: 'CREATE TABLE acks (id String) ENGINE = MergeTree ORDER BY id' })
    await client.insert({ table: 'acks', values: [{ id: 'a' }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: "X\\';CREATE TABLE t (x UInt8) ENGINE=Log;--" } }).catch(() => {})
    const names = (await (await client.query({ query: 'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name', format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name)
    t.diagnostic(names.includes('t') ? 'chdb adapter still injectable: the setting value ran CREATE TABLE t' : 'chdb adapter no longer runs SQL from a setting value')
    assert.ok(names.includes('acks'))
  } finally {
    await client.close()
  }
})
