// The CTG named query through the analyst path: traces counted by their worst FIGO class and by
// the class they ended in; the analysts see pseudonyms, never the mother's id.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CtgVerdict } from '@neva/contracts'
import { connectClickHouse, ctgVerdictRow, loadQueries, migrate, openAnalyst, runAnalystQuery, runNamedQuery } from '@neva/analytics'

const dir = mkdtempSync(join(tmpdir(), 'neva-ctg-queries-'))
const ch = await connectClickHouse({ path: dir })
await migrate(ch)
const analyst = await openAnalyst(ch, { path: dir }, { secret: 'ctg-queries-secret' })
after(async () => {
  await analyst.close()
  await ch.close()
})
const T0 = Date.parse('2026-03-01T08:00:00Z')
const MIN = 60_000
let seq = 0
const v = (patient: string, minute: number, classification: CtgVerdict['classification']): CtgVerdict => ({
  gateway_id: 'gw-1', seq: ++seq, patient_id: patient, device_id: `fm-${patient}`, window_start: T0, time: T0 + minute * MIN, minutes: minute,
  classification, reasons: ['r'], notes: [], baseline_bpm: 140, variability_bpm: 10, accelerations: 1, early_decelerations: 0, variable_decelerations: 0,
  late_decelerations: 0, prolonged_decelerations: 0, contractions: 3, signal_loss_pct: 0, received_time: T0 + minute * MIN,
})
await ch.client.insert({
  table: 'ctg_verdicts', format: 'JSONEachRow',
  values: [
    v('m1', 10, 'normal'), v('m1', 20, 'normal'),
    v('m2', 10, 'normal'), v('m2', 30, 'pathological'), v('m2', 50, 'suspicious'),
    v('m3', 10, 'suspicious'), v('m3', 40, 'pathological'),
    v('m4', 10, 'suspicious'),
  ].map(ctgVerdictRow),
})

test('ctg-by-classification: each trace once, by its worst class and the class it ended in', async () => {
  const res = await runNamedQuery(analyst, loadQueries().get('ctg-by-classification')!, { from: new Date(T0).toISOString(), to: new Date(T0 + 3600_000).toISOString() }, { user: 'analyst:ctg', via: 'test' })
  assert.deepEqual(res.rows.map((r) => [r.classification, Number(r.ctgs), Number(r.ending_normal), Number(r.ending_suspicious), Number(r.ending_pathological), Number(r.verdicts)]), [
    ['pathological', 2, 0, 1, 1, 5],
    ['suspicious', 1, 0, 1, 0, 1],
    ['normal', 1, 1, 0, 0, 2],
  ])
  assert.equal(Number(res.rows.find((r) => r.classification === 'normal')!.p50_minutes), 20)
})

test('analysts see the verdicts with the mother pseudonymized', async () => {
  const res = await runAnalystQuery(analyst, { sql: 'SELECT DISTINCT patient_id FROM ctg_verdicts', user: 'analyst:ctg' })
  assert.equal(res.rows.length, 4)
  for (const r of res.rows) assert.ok(!['m1', 'm2', 'm3', 'm4'].includes(String(r.patient_id)))
})
