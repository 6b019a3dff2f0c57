// The named query library: every file parses and validates, parameters are checked against their
// types, and every query runs through the analyst path on a small data set with expected answers.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AnalystError, bindParams, connectClickHouse, loadQueries, migrate, openAnalyst, parseNamedQuery, runNamedQuery } from '@neva/analytics'
import { insertFixture, T0 } from './analyst-fixture.js'

const dir = mkdtempSync(join(tmpdir(), 'neva-queries-'))
const ch = await connectClickHouse({ path: dir })
await migrate(ch)
await insertFixture(ch)
const analyst = await openAnalyst(ch, { path: dir }, { secret: 'queries-secret' })
after(async () => {
  await analyst.close()
  await ch.close()
})
const queries = loadQueries()
const range = { from: new Date(T0 - 3600_000).toISOString(), to: new Date(T0 + 3600_000).toISOString() }
const run = (name: string, params: Record<string, string> = {}) => runNamedQuery(analyst, queries.get(name)!, params, { user: 'analyst:q', via: 'test' })

test('the library loads: each query has a description and declares exactly the parameters it uses', () => {
  assert.deepEqual([...queries.keys()], ['current-triage', 'deterioration-last-hour', 'ed-load-by-hour', 'lab-turnaround', 'patient-timeline', 'readings-by-source', 'refused-readings', 'ward-census'])
  for (const q of queries.values()) assert.ok(q.description.length > 20, q.name)
  assert.deepEqual(queries.get('patient-timeline')!.params.map((p) => `${p.name}:${p.type}`), ['patient:String', "from:DateTime64(3, 'UTC')", "to:DateTime64(3, 'UTC')"])
  assert.throws(() => parseNamedQuery('x', 'SELECT 1'), /first line must be a "-- description"/)
  assert.throws(() => parseNamedQuery('x', '-- d\nSELECT {a:String}'), /\{a:String\} is used but not declared/)
  assert.throws(() => parseNamedQuery('x', '-- d\n-- @param a String the a\nSELECT 1'), /a is declared but never used/)
  assert.throws(() => parseNamedQuery('x', '-- d\n-- @param a UInt8 the a\nSELECT {a:String}'), /does not match its declared type UInt8/)
  assert.throws(() => parseNamedQuery('x', '-- d\n-- @param a Tuple(x) the a\nSELECT {a:Tuple(x)}'), /unsupported type/)
})

test('parameter values are checked against their declared type with a clear error', () => {
  const q = parseNamedQuery('t', "-- d\n-- @param n UInt8 a number\n-- @param at DateTime64(3, 'UTC') a time\nSELECT {n:UInt8}, {at:DateTime64(3, 'UTC')}")
  assert.deepEqual(bindParams(q, { n: '7', at: '2026-03-01T08:00:00Z' }), { n: '7', at: '2026-03-01 08:00:00.000' })
  assert.deepEqual(bindParams(q, { n: '7', at: String(T0) }), { n: '7', at: '2026-03-01 08:00:00.000' })
  assert.throws(() => bindParams(q, { n: '300', at: '2026-03-01' }), /n \(UInt8\): out of range 0…255/)
  assert.throws(() => bindParams(q, { n: 'x', at: '2026-03-01' }), /n \(UInt8\): expected an integer/)
  assert.throws(() => bindParams(q, { n: '1', at: 'yesterday' }), /at \(DateTime64\(3, 'UTC'\)\): expected an ISO 8601 time/)
  assert.throws(() => bindParams(q, { n: '1' }), /t needs at/)
  assert.throws(() => bindParams(q, { n: '1', at: '2026-03-01', bogus: '1' }), /no parameter bogus/)
})

test('current-triage: the latest level of each patient, most urgent first', async () => {
  const res = await run('current-triage')
  assert.deepEqual(res.rows.map((r) => r.current_level), ['red', 'green'])
  assert.deepEqual(res.rows.map((r) => Number(r.news2)), [8, 0])
  for (const r of res.rows) assert.match(String(r.patient_id), /^[0-9a-f]{32}$/)
})

test('deterioration-last-hour: only the patient whose level rose', async () => {
  const res = await run('deterioration-last-hour')
  assert.equal(res.count, 1)
  assert.equal(res.rows[0]!.from_level, 'green')
  assert.equal(res.rows[0]!.current_level, 'red')
})

test('patient-timeline: vitals, triage and labs of one pseudonymous patient in order', async () => {
  const current = await run('current-triage')
  const patient = String(current.rows[0]!.patient_id)
  const res = await run('patient-timeline', { patient, ...range })
  assert.deepEqual(res.rows.map((r) => `${r.kind}:${r.name}:${r.value}`), [
    'vital:spo2:97', 'triage:triage_level:green', 'lab:GLU:5.4', 'vital:spo2:93', 'triage:triage_level:yellow',
  ])
  assert.equal((await run('patient-timeline', { patient: 'MRN-0042', ...range })).count, 0, 'the raw id finds nothing')
  await assert.rejects(run('patient-timeline', { patient, from: 'soon', to: range.to }), (err: unknown) => err instanceof AnalystError && err.code === 'NEVA_ANALYST_PARAM' && /from/.test(err.message))
  const rs = await ch.client.query({ query: "SELECT outcome, params['from'] AS f FROM analyst_audit WHERE query_name = 'patient-timeline' ORDER BY at", format: 'JSONEachRow' })
  assert.deepEqual((await rs.json<{ outcome: string }>()).map((r) => r.outcome), ['ok', 'ok', 'refused'])
})

test('lab-turnaround: percentiles of result → received per test', async () => {
  const res = await run('lab-turnaround', range)
  assert.deepEqual(res.rows.map((r) => [r.test_code, Number(r.results), r.p50_s, r.max_s]), [['GLU', 2, 15, 20]])
})

test('readings-by-source: counts per source and device', async () => {
  const res = await run('readings-by-source', range)
  assert.deepEqual(res.rows.map((r) => [r.source, r.device_id, Number(r.readings), Number(r.patients)]), [['mqtt', 'mon-1', 2, 1], ['serial', 'ox-7', 1, 1]])
})

test('refused-readings: counts per code and source', async () => {
  const res = await run('refused-readings', range)
  assert.deepEqual(res.rows.map((r) => [r.code, r.source, Number(r.refused), r.example_reason]), [['NEVA_MQTT_BAD_JSON', 'mqtt', 2, 'not JSON'], ['NEVA_HL7_NO_MSH', 'hl7v2', 1, 'no MSH segment']])
})
