// Text and coded observations (ECG rhythm, pacing mode) are stored beside the numbers: their words
// and code in value_text/value_code/value_system, no number (NaN, never 0), and they touch neither
// the per-minute rollup's numbers nor a patient's latest vitals.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Observation } from '@neva/contracts'
import { TelemetryStore, connectClickHouse, loadQueries, migrate, openAnalyst, runNamedQuery } from '@neva/analytics'

const dir = mkdtempSync(join(tmpdir(), 'neva-obs-text-'))
const ch = await connectClickHouse({ path: dir })
await migrate(ch)
const analyst = await openAnalyst(ch, { path: dir }, { secret: 'obs-text' })
after(async () => {
  await analyst.close()
  await ch.close()
})
const T = Date.parse('2026-05-04T10:00:00Z')
const rows = async (q: string) => (await ch.client.query({ query: q, format: 'JSONEachRow' })).json<Record<string, unknown>>()

const base = { gateway_id: 'gw-t', device_id: 'mon-t', patient_id: 'p-text', source: 'hl7v2' as const, loinc: '', unit: '', received_time: T, flags: [] }
const observations: Observation[] = [
  { ...base, seq: 1, mdc_code: 184327, name: 'other', device_label: 'MDC_ECG_STAT_RHY', value_text: 'MDC_ECG_SINUS_RHY', device_time: T },
  { ...base, seq: 2, mdc_code: 184327, name: 'other', device_label: 'MDC_ECG_STAT_RHY', value_text: 'Atrial fibrillation', value_code: '8197', value_system: 'MDC', device_time: T + 30_000 },
  { ...base, seq: 3, mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: 80, unit: '/min', device_time: T },
  { ...base, seq: 4, mdc_code: 147236, name: 'other', value: 416, unit: 'ms', device_time: T },
]

test('a text observation is stored with its words and code and no number; numbers around it are unchanged', async () => {
  await new TelemetryStore(ch).storeBatch({ gateway_id: 'gw-t', batch_id: 't-1', sent_time: T, observations, triage: [], rejected: [] })
  const got = await rows("SELECT seq, isNaN(value) AS no_number, value_text, value_code, value_system FROM observations WHERE patient_id = 'p-text' ORDER BY seq")
  assert.deepEqual(got, [
    { seq: 1, no_number: 1, value_text: 'MDC_ECG_SINUS_RHY', value_code: '', value_system: '' },
    { seq: 2, no_number: 1, value_text: 'Atrial fibrillation', value_code: '8197', value_system: 'MDC' },
    { seq: 3, no_number: 0, value_text: '', value_code: '', value_system: '' },
    { seq: 4, no_number: 0, value_text: '', value_code: '', value_system: '' },
  ])
  // The latest vitals are numbers only: the rhythm's NaN does not win 'other'.
  const latest = await new TelemetryStore(ch).latest('p-text')
  assert.deepEqual(Object.fromEntries(Object.entries(latest!.vitals).map(([k, v]) => [k, v.value])), { heart_rate: 80, other: 416 })
})

test('observations-by-code counts a text state and gives its latest words; its number columns stay empty', async () => {
  const q = loadQueries().get('observations-by-code')!
  const r = await runNamedQuery(analyst, q, { mdc: '184327', loinc: '', from: new Date(T - 60_000).toISOString(), to: new Date(T + 60_000).toISOString() }, { user: 'analyst:t', via: 'test' })
  assert.equal(r.rows.length, 1)
  const [row] = r.rows
  assert.deepEqual([Number(row!.readings), Number(row!.text_readings), row!.latest_text], [2, 2, 'Atrial fibrillation'])
  assert.deepEqual([row!.min_value, row!.mean_value, row!.max_value], [null, null, null])
})
