// The survey named queries through the analyst path (docs/surveys.md): answered and overdue per
// day, the high-risk share, time to review per verdict; analysts see pseudonyms, never the ids,
// and not the patient tokens.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AnalystError, connectClickHouse, loadQueries, migrate, openAnalyst, runAnalystQuery, runNamedQuery } from '@neva/analytics'

const dir = mkdtempSync(join(tmpdir(), 'neva-survey-queries-'))
const ch = await connectClickHouse({ path: dir })
await migrate(ch)
const analyst = await openAnalyst(ch, { path: dir }, { secret: 'survey-queries-secret' })
after(async () => {
  await analyst.close()
  await ch.close()
})
const H = 3600_000
const D0 = Date.parse('2026-12-01T00:00:00Z')
const dt = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const insert = (table: string, values: object[]) => ch.client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 } })
const response = (id: string, risk: string, due: number, submitted: number) => ({
  response_id: id, patient_id: 'MRN-7', cycle_id: 'c1', cycle_day: 1, due_time: dt(due), submitted_time: dt(submitted), answers: '{}', answers_sha256: 'x',
  risk, reasons: [], review_due: dt(submitted + 24 * H), site: 'City 1', ward: 'Oncology',
})
await insert('survey_responses', [
  response('c1:d1', 'high', D0, D0 + 8 * H),
  response('c1:d2', 'none', D0 + 24 * H, D0 + 30 * H),
  response('c1:d3', 'low', D0 + 48 * H, D0 + 80 * H), // answered the day after its day: late
])
const event = (id: string, kind: string, at: number) => ({ response_id: id, patient_id: 'MRN-7', kind, by: 'dr-a', at: dt(at), detail: 'called the patient', site: 'City 1', ward: 'Oncology' })
await insert('survey_events', [event('c1:d1', 'reviewed', D0 + 10 * H), event('c1:d3', 'escalated', D0 + 105 * H), event('c1:d3', 'reviewed', D0 + 110 * H)])
await insert('survey_reminders', [
  { patient_id: 'MRN-7', response_id: 'c1:d4', kind: 'overdue', at: dt(D0 + 96 * H + 60_000) },
  { patient_id: 'MRN-7', response_id: 'c1:d3', kind: 'overdue', at: dt(D0 + 72 * H + 60_000) },
])
const queries = loadQueries()
const range = { from: new Date(D0).toISOString(), to: new Date(D0 + 5 * 24 * H).toISOString() }
const run = async (name: string) => (await runNamedQuery(analyst, queries.get(name)!, range, { user: 'analyst:onc', via: 'test' })).rows.map((r) => ({ ...r })) as Array<Record<string, unknown>>

test('surveys-answered-overdue: per due day, late answers and overdue ones still unanswered', async () => {
  const rows = await run('surveys-answered-overdue')
  assert.deepEqual(rows.map((r) => [String(r.day), Number(r.answered), Number(r.answered_late), Number(r.overdue_unanswered)]), [
    ['2026-12-01', 1, 0, 0], ['2026-12-02', 1, 0, 0], ['2026-12-03', 1, 1, 0], ['2026-12-04', 0, 0, 1],
  ])
})

test('surveys-high-risk-share: answers per day by verdict', async () => {
  const rows = await run('surveys-high-risk-share')
  assert.deepEqual(rows.map((r) => [String(r.day), Number(r.answers), Number(r.high), Number(r.high_share)]), [['2026-12-01', 1, 1, 1], ['2026-12-02', 1, 0, 0], ['2026-12-04', 1, 0, 0]])
})

test('surveys-time-to-review: hours to review per verdict, within the deadline, escalated, waiting', async () => {
  const rows = await run('surveys-time-to-review')
  const by = Object.fromEntries(rows.map((r) => [String(r.risk), r]))
  assert.deepEqual([Number(by.high!.reviewed), Number(by.high!.within_deadline), Number(by.high!.p50_hours)], [1, 1, 2])
  assert.deepEqual([Number(by.low!.reviewed), Number(by.low!.within_deadline), Number(by.low!.escalated), Number(by.low!.p50_hours)], [1, 0, 1, 30])
  assert.deepEqual([Number(by.none!.waiting), by.none!.p50_hours], [1, null])
})

test('analysts see pseudonyms and no tokens or notes', async () => {
  const res = await runAnalystQuery(analyst, { sql: 'SELECT patient_id, response_id FROM survey_responses', user: 'analyst:onc', via: 'test' })
  for (const r of res.rows as Array<Record<string, unknown>>) {
    assert.notEqual(r.patient_id, 'MRN-7')
    assert.doesNotMatch(String(r.response_id), /^c1:/)
  }
  await assert.rejects(runAnalystQuery(analyst, { sql: 'SELECT detail FROM survey_events', user: 'analyst:onc', via: 'test' }), AnalystError)
  for (const table of ['patient_tokens', 'patient_token_uses']) {
    await assert.rejects(runAnalystQuery(analyst, { sql: `SELECT count() FROM ${table}`, user: 'analyst:onc', via: 'test' }), (e: Error) => e instanceof AnalystError && e.code === 'NEVA_ANALYST_TABLE')
  }
})
