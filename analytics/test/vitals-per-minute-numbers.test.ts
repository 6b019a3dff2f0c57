// The per-minute rollup takes numbers only (migration 0033): a text or coded observation (no
// number, NaN) adds no NaN row and does not spoil the numbers of its minute; rows the old view
// wrote with a NaN average are removed, the rest kept.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Observation } from '@neva/contracts'
import { connectClickHouse, loadMigrations, migrate, observationRow } from '@neva/analytics'

// This file migrates step by step from nothing: its store is not a copy of the run's seed.
delete process.env.NEVA_TEST_CLICKHOUSE_SEED

const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-vpm-')) })
after(() => ch.close())
const T = Date.parse('2026-05-04T10:00:00Z')
const base = { gateway_id: 'gw-v', device_id: 'mon-1', patient_id: 'p-v', source: 'hl7v2' as const, loinc: '', unit: '', flags: [], received_time: T }
const rhythm = (seq: number, t: number, words: string): Observation => ({ ...base, seq, mdc_code: 184327, name: 'other', device_label: 'MDC_ECG_STAT_RHY', value_text: words, device_time: t })
const qt = (seq: number, t: number, ms: number): Observation => ({ ...base, seq, mdc_code: 147236, name: 'other', value: ms, unit: 'ms', device_time: t })
const hr = (seq: number, t: number, bpm: number): Observation => ({ ...base, seq, mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: bpm, unit: '/min', device_time: t })
const insert = (values: Observation[]) => ch.client.insert({ table: 'observations', values: values.map(observationRow), format: 'JSONEachRow' })
const minutes = async () => (await (await ch.client.query({
  query: `SELECT name, toUnixTimestamp(minute) * 1000 AS minute, countMerge(readings) AS n, avgMerge(avg_value) AS avg, minMerge(min_value) AS lo, maxMerge(max_value) AS hi
          FROM vitals_per_minute GROUP BY name, minute ORDER BY minute, name`,
  format: 'JSONEachRow',
})).json<{ name: string; minute: string; n: string; avg: number | null; lo: number | null; hi: number | null }>()).map((r) => [r.name, Number(r.minute), Number(r.n), r.avg, r.lo, r.hi])

test('before 0033 a text row made its minute NaN; after it, the NaN row is gone, the numbers kept, and text adds nothing', async () => {
  await migrate(ch, loadMigrations().filter((m) => m.version < 33))
  await insert([rhythm(1, T, 'Atrial fibrillation'), hr(2, T, 80)])
  const before = await minutes()
  assert.deepEqual(before.find((r) => r[0] === 'heart_rate'), ['heart_rate', T, 1, 80, 80, 80])
  // JSON writes ClickHouse's NaN as null.
  assert.deepEqual(before.find((r) => r[0] === 'other'), ['other', T, 1, null, null, null], "the old view's row: a count of words, NaN numbers")

  await migrate(ch)
  // The delete is a mutation: applied in the background, soon.
  for (let i = 0; i < 100 && (await minutes()).some((r) => r[0] === 'other'); i++) await new Promise((r) => setTimeout(r, 50))
  assert.deepEqual(await minutes(), [['heart_rate', T, 1, 80, 80, 80]])

  // A text row beside a number of the same name: the minute holds the number alone.
  await insert([rhythm(3, T + 60_000, 'Sinus rhythm'), qt(4, T + 60_000, 416), rhythm(5, T + 120_000, 'Sinus rhythm')])
  assert.deepEqual(await minutes(), [['heart_rate', T, 1, 80, 80, 80], ['other', T + 60_000, 1, 416, 416, 416]])
})
