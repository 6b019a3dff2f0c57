// The 5-minute rollup (migration 0034) the patient page's 24 h and 7 days read: count, mean, min
// and max per patient, vital and 5 minutes, so a spike inside a bucket is its max; the minutes
// stored before the migration are backfilled once; a retried block counts once; a reading without
// a number adds nothing.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Observation } from '@neva/contracts'
import { connectClickHouse, loadMigrations, migrate, observationRow } from '@neva/analytics'

// This file migrates to 0033 first, then on: its store is not a copy of the run's seed.
delete process.env.NEVA_TEST_CLICKHOUSE_SEED

const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-vp5-')) })
after(() => ch.close())
const T = Date.parse('2026-05-04T10:00:00Z')
const base = { gateway_id: 'gw-5', device_id: 'mon-1', source: 'mqtt' as const, mdc_code: 147842, loinc: '8867-4', name: 'heart_rate' as const, unit: '/min', flags: [] }
const hr = (patient: string, seq: number, t: number, bpm: number): Observation => ({ ...base, patient_id: patient, seq, value: bpm, device_time: t, received_time: t })
const insert = (values: Observation[], token?: string) => ch.client.insert({
  table: 'observations', values: values.map(observationRow), format: 'JSONEachRow',
  clickhouse_settings: token ? { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 } : {},
})
const buckets = async (patient: string) => (await (await ch.client.query({
  query: `SELECT name, toUnixTimestamp(bucket) * 1000 AS t, countMerge(readings) AS n, avgMerge(avg_value) AS avg, minMerge(min_value) AS lo, maxMerge(max_value) AS hi
          FROM vitals_per_5min WHERE patient_id = {p:String} GROUP BY name, t ORDER BY name, t`,
  query_params: { p: patient }, format: 'JSONEachRow',
})).json<{ name: string; t: string; n: string; avg: number; lo: number; hi: number }>()).map((r) => [r.name, Number(r.t), Number(r.n), r.avg, r.lo, r.hi])

test('minutes stored before 0034 are backfilled once; readings after it arrive through the per-minute rollup', async () => {
  await migrate(ch, loadMigrations().filter((m) => m.version < 34))
  // Two minutes of one bucket and one of the next, before the 5-minute table exists.
  await insert([hr('p-old', 1, T, 80), hr('p-old', 2, T + 30_000, 90), hr('p-old', 3, T + 60_000, 100), hr('p-old', 4, T + 300_000, 70)])
  await migrate(ch)
  assert.deepEqual(await buckets('p-old'), [['heart_rate', T, 3, 90, 80, 100], ['heart_rate', T + 300_000, 1, 70, 70, 70]])
  // Migrating again applies nothing (no second backfill).
  assert.deepEqual((await migrate(ch)).applied, [])
  await insert([hr('p-old', 5, T + 310_000, 74)])
  assert.deepEqual(await buckets('p-old'), [['heart_rate', T, 3, 90, 80, 100], ['heart_rate', T + 300_000, 2, 72, 70, 74]])
})

test('a spike inside a bucket is its max; a block inserted twice with its token counts once', async () => {
  const values = [60, 61, 180, 62].map((v, i) => hr('p-spike', 10 + i, T + i * 60_000, v))
  for (let k = 0; k < 2; k++) await insert(values, 'gw-5:b1:observations')
  assert.deepEqual(await buckets('p-spike'), [['heart_rate', T, 4, 90.75, 60, 180]])
})

test('a reading without a number (text, NaN) adds no row and does not spoil its bucket', async () => {
  const text: Observation = { ...base, patient_id: 'p-text', seq: 30, mdc_code: 184327, name: 'other', loinc: '', unit: '', device_label: 'MDC_ECG_STAT_RHY', value_text: 'Sinus rhythm', device_time: T, received_time: T }
  await insert([text, hr('p-text', 31, T + 1000, 88)])
  assert.deepEqual(await buckets('p-text'), [['heart_rate', T, 1, 88, 88, 88]])
})
