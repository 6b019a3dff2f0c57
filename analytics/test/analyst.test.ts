// Analyst SQL through the real embedded ClickHouse: pseudonymous views, refusals decided by
// Neva's own grammar before anything is sent (analyst-sql/), limits, and the audit trail of every
// query. The attacks of the red-team finding are in security-analyst.test.ts.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ANALYST_EXCLUDED, ANALYST_VIEWS, AnalystError, connectClickHouse, migrate, openAnalyst, runAnalystQuery, type Analyst } from '@neva/analytics'
import { insertFixture, MRN_A, MRN_B } from './analyst-fixture.js'

const dir = mkdtempSync(join(tmpdir(), 'neva-analyst-'))
const ch = await connectClickHouse({ path: dir })
await migrate(ch)
await insertFixture(ch)
const analyst = await openAnalyst(ch, { path: dir }, { secret: 'test-secret' })
after(async () => {
  await analyst.close()
  await ch.close()
})

const ask = (sql: string, extra: Partial<Parameters<typeof runAnalystQuery>[1]> = {}, a: Analyst = analyst) =>
  runAnalystQuery(a, { sql, user: 'analyst:test', via: 'test', ...extra })

async function audit(sql: string): Promise<Record<string, unknown>[]> {
  const rs = await ch.client.query({ query: 'SELECT * FROM analyst_audit WHERE sql = {s:String} ORDER BY at', query_params: { s: sql }, format: 'JSONEachRow' })
  return rs.json()
}

async function refused(sql: string, code: string, pattern: RegExp, outcome = 'refused') {
  await assert.rejects(ask(sql), (err: unknown) => {
    assert.ok(err instanceof AnalystError, String(err))
    assert.equal(err.code, code, `${sql}: ${err.message}`)
    assert.match(err.message, pattern)
    return true
  })
  const [row, ...more] = await audit(sql)
  assert.equal(more.length, 0)
  assert.equal(row?.outcome, outcome, sql)
  assert.equal(row?.error_code, code)
  assert.equal(row?.user, 'analyst:test')
  assert.equal(Number(row?.rows), 0)
}

test('the views show keyed pseudonyms: never the raw id, stable, missing stays missing', async () => {
  const first = await ask('SELECT DISTINCT patient_id FROM observations ORDER BY patient_id')
  const again = await ask('SELECT DISTINCT patient_id FROM observations ORDER BY patient_id')
  assert.equal(first.count, 2)
  assert.deepEqual(first.rows, again.rows)
  for (const { patient_id } of first.rows) {
    assert.match(String(patient_id), /^[0-9a-f]{32}$/)
    assert.ok(![MRN_A, MRN_B].includes(String(patient_id)))
  }
  assert.deepEqual(first.tables, ['analyst.observations'])
  // The same patient has the same pseudonym in every view.
  const joined = await ask(`SELECT count() AS n FROM observations o JOIN triage_results t ON o.patient_id = t.patient_id`)
  assert.ok(Number(joined.rows[0]!.n) > 0)
  const labs = await ask('SELECT seq, patient_id, order_id FROM lab_results ORDER BY seq')
  assert.equal(labs.rows[2]!.patient_id, null)
  assert.equal(labs.rows[2]!.order_id, null)
  assert.match(String(labs.rows[0]!.order_id), /^[0-9a-f]{32}$/)
  // Free text and raw payloads that may carry identifiers are not in the views.
  await refused('SELECT comments FROM lab_results', 'NEVA_ANALYST_FAILED', /comments/, 'failed')
  await refused('SELECT payload FROM rejected_readings', 'NEVA_ANALYST_FAILED', /payload/, 'failed')
  const everything = JSON.stringify((await ask('SELECT * FROM lab_results')).rows) + JSON.stringify((await ask('SELECT * FROM rejected_readings')).rows)
  assert.ok(!everything.includes('MRN-'), everything)
})

test('pseudonyms survive a restart with the same secret and change with another', async () => {
  const before = (await ask('SELECT DISTINCT patient_id FROM observations ORDER BY patient_id')).rows
  await analyst.close()
  const same = await openAnalyst(ch, { path: dir }, { secret: 'test-secret' })
  const kept = (await ask('SELECT DISTINCT patient_id FROM observations ORDER BY patient_id', {}, same)).rows
  assert.deepEqual(kept, before)
  const other = await openAnalyst(ch, { path: dir }, { secret: 'another-secret' })
  const changed = (await ask('SELECT DISTINCT patient_id FROM observations ORDER BY patient_id', {}, other)).rows
  assert.notDeepEqual(changed, before)
  await other.close()
  await same.close()
  // Back to the test secret for the other tests.
  Object.assign(analyst, await openAnalyst(ch, { path: dir }, { secret: 'test-secret' }))
  assert.deepEqual((await ask('SELECT DISTINCT patient_id FROM observations ORDER BY patient_id')).rows, before)
})

test('writes, DDL and settings changes are refused and audited', async () => {
  await refused("INSERT INTO observations (patient_id) VALUES ('x')", 'NEVA_ANALYST_NOT_A_READ', /INSERT at offset 0/)
  await refused('INSERT INTO default.observations SELECT * FROM default.observations', 'NEVA_ANALYST_NOT_A_READ', /INSERT/)
  await refused('DROP TABLE observations', 'NEVA_ANALYST_NOT_A_READ', /DROP/)
  await refused('CREATE TABLE x (a UInt8) ENGINE = Memory', 'NEVA_ANALYST_NOT_A_READ', /CREATE/)
  await refused('ALTER TABLE default.observations DELETE WHERE 1', 'NEVA_ANALYST_NOT_A_READ', /ALTER/)
  await refused('SET readonly = 0', 'NEVA_ANALYST_NOT_A_READ', /SET/)
  await refused('SELECT count() FROM observations SETTINGS max_result_rows = 0', 'NEVA_ANALYST_SETTINGS', /SETTINGS at offset 33/)
  await refused('SHOW CREATE TABLE observations', 'NEVA_ANALYST_SYNTAX', /CREATE.*expected TABLES/)
  await refused('SELECT 1; DROP TABLE observations', 'NEVA_ANALYST_SYNTAX', /one statement, without a semicolon/i)
  // Nothing was changed by any of them.
  assert.equal(await ch.client.query({ query: 'SELECT count() AS n FROM observations', format: 'JSONEachRow' }).then((r) => r.json()).then((r) => Number((r[0] as { n: string }).n)), 3)
})

test('table functions that reach outside are refused', async () => {
  for (const [sql, name] of [
    ["SELECT * FROM url('http://127.0.0.1:9/', CSV, 'a String')", 'url'],
    ["SELECT * FROM file('x.csv', CSV, 'a String')", 'file'],
    ["SELECT * FROM remote('127.0.0.1', default.observations)", 'remote'],
    ["SELECT * FROM s3('http://127.0.0.1:9/b/k.csv', CSV, 'a String')", 's3'],
    ["SELECT * FROM cluster('default', default.observations)", 'cluster'],
    ["SELECT * FROM merge('default', '^obs')", 'merge'],
    ["SELECT * FROM mysql('127.0.0.1:9', 'd', 't', 'u', 'p')", 'mysql'],
  ] as const) await refused(sql, 'NEVA_ANALYST_TABLE_FUNCTION', new RegExp(`${name}\\(\\)`))
  await refused("SELECT file('/etc/passwd')", 'NEVA_ANALYST_FUNCTION', /file\(\)/)
  await refused("SELECT dictGet('default.d', 'x', toUInt64(1))", 'NEVA_ANALYST_FUNCTION', /dictGet/)
  await refused("SELECT joinGet('default.j', 'x', 1)", 'NEVA_ANALYST_FUNCTION', /joinGet/)
  // Generators read nothing and stay available.
  assert.equal(Number((await ask('SELECT sum(number) AS s FROM numbers(10)')).rows[0]!.s), 45)
})

test('raw tables are refused by full name and through subqueries, joins, unions and IN', async () => {
  for (const sql of [
    'SELECT patient_id FROM default.observations',
    'SELECT * FROM observations WHERE patient_id IN (SELECT patient_id FROM default.observations)',
    'SELECT a.patient_id FROM observations a JOIN default.triage_results b ON a.seq = b.seq',
    'SELECT patient_id FROM observations UNION ALL SELECT patient_id FROM default.observations',
    'SELECT (SELECT any(patient_id) FROM default.observations) AS p',
    'WITH raw AS (SELECT patient_id FROM default.lab_results) SELECT * FROM raw',
    'SELECT * FROM system.tables',
    'SELECT k0 FROM default.analyst_pseudonym_key',
    'SELECT * FROM default.analyst_audit',
    'SELECT * FROM INFORMATION_SCHEMA.TABLES',
  ]) await refused(sql, 'NEVA_ANALYST_TABLE', /outside the analyst database|not an analyst view/)
  // IN never takes a bare name (ClickHouse would read it as a table).
  await refused('SELECT seq FROM observations WHERE seq IN default.observations', 'NEVA_ANALYST_SYNTAX', /IN takes a parenthesized list/)
  // A quoted name does not escape either: it names nothing in the analyst database.
  await assert.rejects(ask('SELECT * FROM `default.observations`'), AnalystError)
})

test('a refused query never shows raw data in its error', async () => {
  for (const sql of [
    'SELECT throwIf(1, (SELECT any(patient_id) FROM default.observations))',
    'SELECT toUInt8((SELECT any(patient_id) FROM default.observations))',
  ]) {
    const err = await ask(sql).then(() => null, (e: Error) => e)
    assert.ok(err instanceof AnalystError)
    assert.ok(!err.message.includes('MRN-'), err.message)
  }
})

test('limits throw clearly and are audited as limits', async () => {
  await assert.rejects(ask('SELECT number FROM numbers(100)', { limits: { maxRows: 10 } }), /NEVA_ANALYST_LIMIT|more rows than allowed/)
  await assert.rejects(ask('SELECT groupArray(number) FROM numbers(50000000)', { limits: { maxMemoryBytes: 10_000_000 } }), /more memory than allowed/)
  await assert.rejects(ask('SELECT count() FROM numbers(1000000000000)', { limits: { maxSeconds: 1 } }), /longer than allowed/)
  const [row] = await audit('SELECT number FROM numbers(100)')
  assert.equal(row?.outcome, 'limit')
  assert.equal(row?.error_code, 'NEVA_ANALYST_LIMIT')
})

test('an allowed query is audited with who, the SQL, parameters, rows and duration', async () => {
  const sql = 'SELECT name, value FROM observations WHERE value > {min:Float64} ORDER BY value'
  const res = await ask(sql, { params: { min: 95 } })
  assert.deepEqual(res.rows, [{ name: 'spo2', value: 97 }, { name: 'spo2', value: 99 }])
  assert.equal(res.count, 2)
  assert.deepEqual(res.columns.map((c) => c.name), ['name', 'value'])
  const [row] = await audit(sql)
  assert.equal(row?.outcome, 'ok')
  assert.equal(row?.user, 'analyst:test')
  assert.equal(row?.via, 'test')
  assert.deepEqual(row?.params, { min: '95' })
  assert.deepEqual(row?.tables, ['analyst.observations'])
  assert.equal(Number(row?.rows), 2)
  assert.ok(Number(row?.duration_ms) >= 0)
  assert.ok(Math.abs(Date.parse(`${String(row?.at).replace(' ', 'T')}Z`) - Date.now()) < 60_000)
})

test('analyst queries leave the main session writable', async () => {
  await ask('SELECT count() FROM observations')
  await ch.client.command({ query: "INSERT INTO rejected_readings (gateway_id, seq, source, origin, received_time, code, reason, payload) VALUES ('gw-x', 99, 'mqtt', 'o', now64(3), 'C', 'r', 'p')" })
  await ch.client.command({ query: 'ALTER TABLE rejected_readings DELETE WHERE gateway_id = \'gw-x\'', clickhouse_settings: { mutations_sync: '1' } })
})

test('every table holding patient ids has a pseudonymous view or a stated exclusion', async () => {
  const rs = await ch.client.query({ query: "SELECT DISTINCT table FROM system.columns WHERE database = currentDatabase() AND name ILIKE '%patient_id%'", format: 'JSONEachRow' })
  for (const { table } of await rs.json<{ table: string }>()) {
    assert.ok(table in ANALYST_VIEWS || table in ANALYST_EXCLUDED, `${table} holds patient ids: add it to ANALYST_VIEWS or ANALYST_EXCLUDED`)
  }
})

test('the record through the analyst views: ids pseudonymized and still joinable, complaint text left out', async () => {
  const { EmrStore } = await import('@neva/analytics')
  const t = Date.UTC(2026, 10, 1)
  await new EmrStore(ch).store([
    { type: 'patient', patient_id: MRN_A, birth_year: 1960, sex: 'male', district: 'North', updated_time: t },
    { type: 'encounter', encounter_id: 'ENC-778', patient_id: MRN_A, kind: 'ed_arrival', site: 'City Hospital 1', ward: null, start_time: t, end_time: null, updated_time: t },
    { type: 'complaint', complaint_id: 'C-1', encounter_id: 'ENC-778', patient_id: MRN_A, time: t, text: `Ivan Petrov, MRN ${MRN_A}: chest pain`, language: 'en', codes: ['R07.4'] },
    { type: 'diagnosis', diagnosis_id: 'D-1', encounter_id: 'ENC-778', patient_id: MRN_A, icd10: 'I21.9', kind: 'final', set_by: 'clinician', author_id: 'dr-ivanova', time: t },
  ], 'his-test')
  const r = await ask('SELECT e.patient_id AS p, e.encounter_id AS e, d.icd10, d.author_id AS who, c.codes FROM encounters e JOIN diagnoses d USING encounter_id JOIN complaints c USING encounter_id')
  assert.equal(r.count, 1)
  const [row] = r.rows as Array<Record<string, unknown>>
  assert.equal(row!.icd10, 'I21.9')
  assert.deepEqual(row!.codes, ['R07.4'])
  for (const raw of [MRN_A, 'ENC-778', 'dr-ivanova']) assert.ok(!JSON.stringify(r.rows).includes(raw), raw)
  await assert.rejects(ask('SELECT text FROM complaints'), /text/)
})

test('alarms and their acknowledgements through the analyst views: patient and clinician pseudonymized, the note left out', async () => {
  const { AlarmStore, TelemetryStore } = await import('@neva/analytics')
  const t = Date.UTC(2026, 10, 2)
  const alarm = {
    gateway_id: 'gw-an', seq: 1, alarm_id: 'mon-9/al-1', device_id: 'mon-9', source: 'hl7v2' as const, patient_id: MRN_A, ward: 'ICU', room: null, bed: '2', facility: null,
    event_code: 196648, event_name: 'MDC_EVT_HI', event_text: 'HR high', source_code: 147842, source_name: 'MDC_ECG_HEART_RATE', alert_type: 'physiological' as const,
    priority: 'high' as const, state: 'active' as const, phase: 'start', alarm_state: 'active', inactivation_state: 'enabled', value: 150, unit: '/min', limit_low: 50, limit_high: 120,
    device_time: t, received_time: t,
  }
  await new TelemetryStore(ch).storeBatch({ gateway_id: 'gw-an', batch_id: 'an-1', sent_time: t, observations: [], triage: [], rejected: [], alarms: [alarm, { ...alarm, seq: 2, patient_id: null, alarm_id: 'pump-1/x' }] })
  await new AlarmStore(ch).acknowledge('mon-9/al-1', 'nurse.kim', `called Ivan Petrov ${MRN_A}`)
  const r = await ask("SELECT a.patient_id AS p, a.alarm_id, a.priority, k.user AS who FROM alarms a LEFT JOIN alarm_acks k USING alarm_id WHERE a.gateway_id = 'gw-an' ORDER BY a.seq")
  assert.equal(r.count, 2)
  const [acked, pump] = r.rows as Array<Record<string, unknown>>
  assert.match(String(acked!.p), /^[0-9a-f]{32}$/)
  assert.match(String(acked!.who), /^[0-9a-f]{32}$/)
  assert.deepEqual([acked!.alarm_id, acked!.priority, pump!.p], ['mon-9/al-1', 'high', null])
  for (const raw of [MRN_A, 'nurse.kim']) assert.ok(!JSON.stringify(r.rows).includes(raw), raw)
  // The same patient, the same pseudonym as in the readings.
  const same = await ask(`SELECT count() AS n FROM alarms a JOIN observations o ON a.patient_id = o.patient_id WHERE a.gateway_id = 'gw-an'`)
  assert.ok(Number(same.rows[0]!.n) > 0)
  await assert.rejects(ask('SELECT note FROM alarm_acks'), /note/)
  const rollup = await ask("SELECT ward, priority, uniqExactMerge(alarms) AS n FROM alarms_per_ward_hour WHERE ward = 'ICU' GROUP BY ward, priority")
  assert.deepEqual(rollup.rows, [{ ward: 'ICU', priority: 'high', n: 2 }])
})

test('decision support through the analyst views: suggestions and agreement, ids pseudonymized and joinable with the record', async () => {
  const { DxSuggestionStore, EmrStore } = await import('@neva/analytics')
  const t = Date.UTC(2026, 10, 3)
  await new EmrStore(ch).store([
    { type: 'encounter', encounter_id: 'ENC-901', patient_id: MRN_B, kind: 'outpatient', site: 'Clinic 4', ward: null, start_time: t, end_time: null, updated_time: t },
    { type: 'diagnosis', diagnosis_id: 'D-901', encounter_id: 'ENC-901', patient_id: MRN_B, icd10: 'J06.9', kind: 'preliminary', set_by: 'clinician', author_id: 'dr-x', time: t + 60_000 },
  ], 'his-test')
  const id = await new DxSuggestionStore(ch).record({
    kind: 'preliminary', encounter_id: 'ENC-901', patient_id: MRN_B, model: { id: 'dx-nb', version: 1 },
    suggestions: [{ icd10: 'J20.9', p: 0.5 }, { icd10: 'J06.9', p: 0.3 }, { icd10: 'J18.9', p: 0.1 }], source: 'his-test', time: t,
  })
  const r = await ask("SELECT s.suggestion_id AS sid, s.patient_id AS p, a.top1_agrees AS top1, a.top3_agrees AS top3, e.kind AS encounter_kind FROM dx_suggestions s JOIN dx_agreement a USING suggestion_id JOIN encounters e ON e.encounter_id = s.encounter_id")
  assert.equal(r.count, 1)
  const [row] = r.rows as Array<Record<string, unknown>>
  assert.match(String(row!.sid), /^[0-9a-f]{32}$/)
  assert.match(String(row!.p), /^[0-9a-f]{32}$/)
  assert.deepEqual([row!.top1, row!.top3, row!.encounter_kind], [0, 1, 'outpatient'])
  for (const raw of [MRN_B, 'ENC-901', id]) assert.ok(!JSON.stringify(r.rows).includes(raw), raw)
})
