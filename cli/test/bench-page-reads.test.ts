// The bench's same-run comparison of the patient page's reads (one query, the reads sent apart)
// over a real embedded ClickHouse: a patient with 20 h of readings (one every 2 min), both ways timed
// the same number of times, wall clock and CPU; and the 24 h vitals read per minute (before) and
// per 5 minutes (now).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse, migrate, observationRow } from '@neva/analytics'
import type { Observation } from '@neva/contracts'
import { pageReadsSideBySide, vitalsReadsSideBySide } from '../src/bench/page-reads.js'

const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-bench-page-reads-')) })
after(() => ch.close())
await migrate(ch)

test('page reads: one query and apart, each timed, both ratios reported', async () => {
  const now = Date.now()
  const rows = []
  for (let i = 0; i < 600; i++) {
    const t = now - i * 120_000
    const o: Observation = { gateway_id: 'gw', seq: i + 1, device_id: 'mon', patient_id: 'pr-1', source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: 70, unit: '/min', device_time: t, received_time: t, flags: [] }
    rows.push(observationRow(o))
  }
  await ch.client.insert({ table: 'observations', values: rows, format: 'JSONEachRow' })
  const r = await pageReadsSideBySide(ch, 'pr-1', 24, 3)
  for (const k of ['one_query_p50_ms', 'separate_p50_ms', 'one_query_cpu_p50_ms', 'separate_cpu_p50_ms'] as const) assert.ok(r[k] > 0, `${k} ${r[k]}`)
  assert.ok(Number.isFinite(r.ratio) && Number.isFinite(r.cpu_ratio))
})

test('vitals 24 h: per minute and per 5 minutes, each timed, with the points each gives', async () => {
  const r = await vitalsReadsSideBySide(ch, 'pr-1', 24, 3)
  for (const k of ['per_minute_p50_ms', 'per_5min_p50_ms', 'per_minute_cpu_p50_ms', 'per_5min_cpu_p50_ms'] as const) assert.ok(r[k] > 0, `${k} ${r[k]}`)
  // 600 readings 2 minutes apart: a minute each, or 2–3 to a 5-minute bucket.
  assert.equal(r.per_minute_points, 600)
  assert.ok(r.per_5min_points >= 240 && r.per_5min_points <= 241, String(r.per_5min_points))
  assert.ok(Number.isFinite(r.ratio) && Number.isFinite(r.cpu_ratio))
})
