// The rollups ClickHouse keeps as data arrives stay right when a batch is retried and when a
// record is updated; the named queries over them answer through the analyst path.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EmrEvent } from '@neva/contracts'
import { EmrStore, connectClickHouse, loadQueries, migrate, observationRow, openAnalyst, runNamedQuery } from '@neva/analytics'

const dir = mkdtempSync(join(tmpdir(), 'neva-rollups-'))
const ch = await connectClickHouse({ path: dir })
await migrate(ch)
const analyst = await openAnalyst(ch, { path: dir }, { secret: 'rollups' })
after(async () => {
  await analyst.close()
  await ch.close()
})
const T = Date.parse('2026-05-04T10:00:00Z')
const rows = async (q: string) => (await ch.client.query({ query: q, format: 'JSONEachRow' })).json<Record<string, unknown>>()

test('vitals per minute: a block inserted twice with its token (a retried batch) counts once', async () => {
  const o = { gateway_id: 'g', device_id: 'm', patient_id: 'p-1', source: 'mqtt' as const, mdc_code: 147842, loinc: '8867-4', name: 'heart_rate' as const, unit: '/min', flags: [] }
  const values = [80, 90, 100].map((v, i) => observationRow({ ...o, seq: i + 1, value: v, device_time: T + i * 10_000, received_time: T + i * 10_000 }))
  for (let k = 0; k < 2; k++) {
    await ch.client.insert({ table: 'observations', values, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'g:b1:observations', deduplicate_blocks_in_dependent_materialized_views: 1 } })
  }
  assert.deepEqual(await rows("SELECT countMerge(readings) AS n, avgMerge(avg_value) AS avg, minMerge(min_value) AS lo, maxMerge(max_value) AS hi FROM vitals_per_minute WHERE patient_id = 'p-1'"), [{ n: 3, avg: 90, lo: 80, hi: 100 }])
})

test('ED arrivals per hour by triage level: a resent batch and an updated encounter count once; ed-load-by-hour and ward-census answer', async () => {
  const store = new EmrStore(ch)
  const arrival = (id: string, level: 'red' | 'yellow' | null, at: number): EmrEvent => ({ type: 'encounter', encounter_id: id, patient_id: `p-${id}`, kind: 'ed_arrival', site: 'City Hospital 1', ward: null, triage_level: level, start_time: at, end_time: null, updated_time: at })
  const batch = [arrival('e1', 'red', T), arrival('e2', 'yellow', T + 600_000), arrival('e3', null, T + 3_600_000)]
  await store.store(batch, 'his')
  await store.store(batch, 'his')
  // e1 ends: a new version of the same encounter.
  await store.store([{ ...(batch[0] as Extract<EmrEvent, { type: 'encounter' }>), end_time: T + 7_200_000, updated_time: T + 7_200_000 }], 'his')
  await store.store([
    { type: 'patient', patient_id: 'p-w1', birth_year: 1950, sex: 'female', district: 'North', updated_time: T },
    { type: 'encounter', encounter_id: 'w1', patient_id: 'p-w1', kind: 'admission', site: 'City Hospital 1', ward: 'Cardiology', start_time: T, end_time: null, updated_time: T },
    { type: 'diagnosis', diagnosis_id: 'w1.d1', encounter_id: 'w1', patient_id: 'p-w1', icd10: 'I50.9', kind: 'preliminary', set_by: 'clinician', author_id: 'dr-1', time: T + 60_000 },
  ], 'his')

  const queries = loadQueries()
  const run = (name: string, params: Record<string, string>) => runNamedQuery(analyst, queries.get(name)!, params, { user: 'analyst:test' })
  const load = await run('ed-load-by-hour', { from: new Date(T - 3_600_000).toISOString(), to: new Date(T + 86_400_000).toISOString() })
  assert.deepEqual(load.rows.map((r) => [r.hour, Number(r.red), Number(r.yellow), Number(r.not_triaged), Number(r.arrivals)]), [
    ['2026-05-04 10:00:00', 1, 1, 0, 2],
    ['2026-05-04 11:00:00', 0, 0, 1, 1],
  ])
  const census = await run('ward-census', { at: new Date(T + 3_600_000).toISOString() })
  assert.deepEqual(census.rows.map((r) => [r.ward, Number(r.patients), r.mean_age, r.common_diagnoses]), [['Cardiology', 1, 76, ['I50.9']]])
})
