// Migration 0013: rejected readings expire 30 days after the core stored them, on embedded
// ClickHouse and, rendered for a cluster, on the per-shard table only (a Distributed table has no TTL).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse, loadMigrations, migrate, renderClusterMigrations } from '@neva/analytics'

// This file migrates from nothing: no store of this run starts as a copy of the run's seed.
delete process.env.NEVA_TEST_CLICKHOUSE_SEED

test('0013 is rendered for a cluster as one ALTER on rejected_readings_local', () => {
  const m = renderClusterMigrations(loadMigrations(), { cluster: 'neva', database: 'neva' }).find((x) => x.version === 13)!
  assert.equal(m.name, 'rejected_readings_ttl')
  assert.deepEqual(m.statements, ['ALTER TABLE `neva`.`rejected_readings_local` ON CLUSTER `neva` MODIFY TTL toDateTime(ingested_at) + INTERVAL 30 DAY'])
})

test('embedded: rejected_readings has the 30-day TTL; a row stored 31 days ago goes, a recent one stays, whatever its receive time', async () => {
  const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-ttl-')) })
  after(() => ch.close())
  const report = await migrate(ch)
  assert.ok(report.applied.includes(13))
  const [t] = await (await ch.client.query({ query: "SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'rejected_readings'", format: 'JSONEachRow' })).json<{ q: string }>()
  assert.match(t!.q, /TTL toDateTime\(ingested_at\) \+ toIntervalDay\(30\)/)
  const ago = (days: number) => Date.now() - days * 86_400_000
  // Row 3: received 90 days ago (a gateway's backlog after an outage), stored now: kept.
  const row = (seq: number, storedDaysAgo: number, receivedDaysAgo = storedDaysAgo) => ({ gateway_id: 'g', seq, source: 'hl7v2', origin: 'x', received_time: ago(receivedDaysAgo), ingested_at: ago(storedDaysAgo), code: 'C', reason: 'r', payload: 'p' })
  await ch.client.insert({ table: 'rejected_readings', values: [row(1, 31), row(2, 1), row(3, 0, 90)], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 } })
  await ch.client.command({ query: 'OPTIMIZE TABLE rejected_readings FINAL' })
  const left = await (await ch.client.query({ query: 'SELECT seq FROM rejected_readings ORDER BY seq', format: 'JSONEachRow' })).json<{ seq: string }>()
  assert.deepEqual(left.map((r) => Number(r.seq)), [2, 3])
})
