// The security suite of the analyst-SQL finding (red-team review): analyst SQL escaped the
// pseudonymous views because the old check read ClickHouse's EXPLAIN text, which a quoted alias
// could forge. Now Neva's own grammar decides and the SQL that runs is printed from its tree.
// Real embedded ClickHouse, a migrated temp database with an account, the key and raw ids in it.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import {
  ANALYST_VIEWS, AnalystError, analystUserDdl, connectClickHouse, ensureAnalystViews, loadQueries, migrate, openAnalyst, runAnalystQuery,
  type Analyst, type ClickHouse,
} from '@neva/analytics'
import { compileAnalystSql, parseQuery, printQuery, checkQuery } from '../src/analyst-sql/index.js'
import { insertFixture, MRN_A, MRN_B } from './analyst-fixture.js'

const dir = mkdtempSync(join(tmpdir(), 'neva-analyst-sec-'))
const ch = await connectClickHouse({ path: dir })
await migrate(ch)
await insertFixture(ch)
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$SECRETHASHSECRETHASH'
await ch.client.insert({
  table: 'users',
  values: [{ user_id: 'u-1', name: 'Nurse Kim', password_hash: HASH, roles: ['nurse'], wards: [], sites: [], disabled: false, updated_by: 'test', updated_at: '2026-03-01 08:00:00.000', version: 1 }],
  format: 'JSONEachRow',
  clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 },
})
const real = await openAnalyst(ch, { path: dir }, { secret: 'sec-test' })
after(async () => {
  await real.close()
  await ch.close()
})
const KEY = await ch.client.query({ query: 'SELECT toString(k0) AS k0, toString(k1) AS k1 FROM analyst_pseudonym_key', format: 'JSONEachRow' }).then((r) => r.json<{ k0: string; k1: string }>())
const SECRETS = [HASH, 'SECRETHASH', MRN_A, MRN_B, 'Nurse Kim', ...KEY.flatMap((k) => [k.k0, k.k1])]

/** The analyst, with a count of every time a query was handed to the reader session. */
let sent = 0
const analyst: Analyst = { ...real, withReader: (fn) => { sent++; return real.withReader(fn) } }

const ask = (sql: string, params?: Record<string, string | number | boolean>) => runAnalystQuery(analyst, { sql, params, user: 'analyst:red-team', via: 'test' })

async function audit(sql: string): Promise<Record<string, unknown>[]> {
  const rs = await ch.client.query({ query: 'SELECT * FROM analyst_audit WHERE sql = {s:String} ORDER BY at', query_params: { s: sql }, format: 'JSONEachRow' })
  return rs.json()
}

function assertNoSecret(text: string, where: string) {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} shows ${s}: ${text}`)
}

/** Refused before anything reaches ClickHouse, nothing secret in the error, audited as refused. */
async function refusedUnsent(sql: string, code?: string, params?: Record<string, string>): Promise<AnalystError> {
  const before = sent
  const err = await ask(sql, params).then((r) => assert.fail(`accepted: ${sql}\n→ ${JSON.stringify(r.rows)}`), (e: unknown) => e)
  assert.ok(err instanceof AnalystError, `${sql}: ${String(err)}`)
  if (code) assert.equal(err.code, code, `${sql}: ${err.message}`)
  assert.equal(err.outcome, 'refused', `${sql}: ${err.message}`)
  assert.equal(sent, before, `${sql} reached ClickHouse`)
  assertNoSecret(err.message, sql)
  const rows = await audit(sql.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))
  const row = rows[rows.length - 1]
  assert.equal(row?.outcome, 'refused', sql)
  assert.equal(row?.error_code, err.code)
  assertNoSecret(String(row?.error), `${sql} (audit)`)
  assert.deepEqual(row?.tables, [], `${sql}: the audit names no table for a refused query`)
  assert.equal(Number(row?.rows), 0)
  return err
}

test('the three reported attacks are refused, read nothing and write nothing', async () => {
  const outfile = join(dir, 'written-by-the-check.txt')
  const attacks: Array<[string, string]> = [
    ['SELECT (SELECT groupArray((user_id,password_hash)) FROM default.users AS `u, identifier: u, table_name: analyst.observations`) AS x', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT (SELECT groupArray((k0, k1)) FROM default.analyst_pseudonym_key AS `k, identifier: k, table_name: analyst.observations`) AS x', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT (SELECT groupArray(patient_id) FROM default.observations AS `o, identifier: o, table_name: analyst.observations`) AS x', 'NEVA_ANALYST_SYNTAX'],
    ["SELECT file('/etc/hostname') AS `x, function_name: plus`", 'NEVA_ANALYST_SYNTAX'],
    [`SELECT 1 AS \`a\nLINE\n\` INTO OUTFILE '${outfile}' APPEND`, 'NEVA_ANALYST_SYNTAX'],
  ]
  for (const [sql, code] of attacks) await refusedUnsent(sql, code)
  // Without the forged alias, each is still refused, for what it is.
  await refusedUnsent('SELECT (SELECT groupArray((user_id,password_hash)) FROM default.users AS u) AS x', 'NEVA_ANALYST_TABLE')
  await refusedUnsent("SELECT file('/etc/hostname') AS x", 'NEVA_ANALYST_FUNCTION')
  await refusedUnsent(`SELECT 1 AS a INTO OUTFILE '${outfile}' APPEND`, 'NEVA_ANALYST_NOT_A_READ')
  assert.ok(!existsSync(outfile), 'the check wrote a file')
})

test('variants an attacker would write are refused before anything is sent', async () => {
  const variants: Array<[string, string?]> = [
    // Raw tables however they are spelled, wherever they are.
    ['SELECT * FROM `default`.`users`', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM "default"."users"', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM default . users', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM default/**/./**/users', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM neva.users', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM system.users', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM system.settings'],
    ['SELECT * FROM system.`settings`', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM system.one', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM analyst.users', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM users', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM analyst_pseudonym_key', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM analyst_audit', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM INFORMATION_SCHEMA.COLUMNS', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM observations.users', 'NEVA_ANALYST_TABLE'],
    ['SELECT (SELECT any(password_hash) FROM default.users) AS p', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM (SELECT * FROM (SELECT * FROM `default`.users))', 'NEVA_ANALYST_TABLE'],
    ['WITH u AS (SELECT * FROM default.users) SELECT * FROM u', 'NEVA_ANALYST_TABLE'],
    ['WITH (SELECT any(k0) FROM default.analyst_pseudonym_key) AS k SELECT k', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM observations o JOIN default.users u ON 1 = 1', 'NEVA_ANALYST_TABLE'],
    ['SELECT * FROM observations o LEFT ANY JOIN (SELECT * FROM system.users) u USING (name)', 'NEVA_ANALYST_TABLE'],
    ['SELECT seq FROM observations UNION ALL SELECT 1 FROM default.users', 'NEVA_ANALYST_TABLE'],
    ['SELECT seq FROM observations WHERE patient_id IN (SELECT patient_id FROM default.observations)', 'NEVA_ANALYST_TABLE'],
    ['SELECT EXISTS(SELECT 1 FROM default.users)', 'NEVA_ANALYST_TABLE'],
    ['SELECT default.users.password_hash FROM observations', 'NEVA_ANALYST_TABLE'],
    // IN never takes a name: ClickHouse reads `x IN users` and `x IN (users)` as a table.
    ["SELECT 'u-1' IN users", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT 'u-1' IN (users)", 'NEVA_ANALYST_TABLE'],
    ["SELECT 'u-1' IN ((users))", 'NEVA_ANALYST_TABLE'],
    ["SELECT 'u-1' IN default.users", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT 'u-1' GLOBAL NOT IN users", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT in('u-1', users)", 'NEVA_ANALYST_FUNCTION'],
    // Table functions in every position.
    ["SELECT * FROM file('/etc/hostname', 'LineAsString')", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ["SELECT * FROM numbers(1) JOIN url('http://127.0.0.1:9/', CSV, 'a String') ON 1 = 1", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ["SELECT * FROM (SELECT * FROM s3('http://127.0.0.1:9/b/k', CSV, 'a String'))", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ["SELECT 1 WHERE 1 IN (SELECT * FROM remote('127.0.0.1', default.users))", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ["WITH r AS (SELECT * FROM remoteSecure('127.0.0.1', default.users)) SELECT * FROM r", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ["SELECT * FROM merge('default', '^users$')", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ["SELECT * FROM clusterAllReplicas('default', default.users)", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ["SELECT * FROM executable('x.sh', 'CSV', 'a String')", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ["SELECT * FROM input('a String')", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ['SELECT * FROM numbers((SELECT count() FROM default.users))', 'NEVA_ANALYST_TABLE_FUNCTION'],
    ["SELECT * FROM values('a String', (SELECT any(password_hash) FROM default.users))", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ['SELECT * FROM numbers(seq)', 'NEVA_ANALYST_TABLE_FUNCTION'],
    // `file` in every spelling.
    ["SELECT FILE('/etc/hostname')", 'NEVA_ANALYST_FUNCTION'],
    ["SELECT File('/etc/hostname')", 'NEVA_ANALYST_FUNCTION'],
    ["SELECT `file`('/etc/hostname')", 'NEVA_ANALYST_FUNCTION'],
    ["SELECT \"file\"('/etc/hostname')", 'NEVA_ANALYST_FUNCTION'],
    ["SELECT fi/**/le('/etc/hostname')", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT fi--\nle('/etc/hostname')", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT f\u0456le('/etc/hostname')", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT \uff46\uff49\uff4c\uff45('/etc/hostname')", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT \ufb01le('/etc/hostname')", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT `f\u0456le`('/etc/hostname')", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT upper(file('/etc/hostname'))", 'NEVA_ANALYST_FUNCTION'],
    ["SELECT arrayMap(x -> file(x), ['/etc/hostname'])", 'NEVA_ANALYST_FUNCTION'],
    // Functions that read elsewhere, reveal the server or stall it.
    ...[
      "url('http://127.0.0.1:9/', 'CSV', 'a String')", "dictGet('d', 'x', 1)", "dictGetString('d', 'x', 1)", "joinGet('j', 'x', 1)", "hasColumnInTable('default', 'users', 'password_hash')",
      "getSetting('readonly')", 'currentUser()', 'currentDatabase()', "getMacro('x')", 'filesystemAvailable()', 'sleep(3)', 'sleepEachRow(1)', "throwIf(1, 'x')", "globalVariable('x')",
      "getServerPort('http_port')", 'transactionID()', "initializeAggregation('sumState', 1)", 'hostName()', 'version()', "formatQuery('SELECT 1')", "arrayReduce('sum', [1])",
      "s3Cluster('c', 'http://x')", "evalMLMethod(1)", "catboostEvaluate('/m', 1)",
    ].map((call): [string, string] => [`SELECT ${call}`, 'NEVA_ANALYST_FUNCTION']),
    // Clauses and statements that are not one read.
    ['SELECT 1 SETTINGS readonly = 0', 'NEVA_ANALYST_SETTINGS'],
    ['SELECT * FROM (SELECT 1 SETTINGS max_memory_usage = 0)', 'NEVA_ANALYST_SETTINGS'],
    ['SELECT 1 FORMAT CSV', 'NEVA_ANALYST_SYNTAX'],
    ["SELECT 1 INTO OUTFILE '/tmp/neva-x'", 'NEVA_ANALYST_NOT_A_READ'],
    ['SELECT 1; SELECT 2', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1;', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1; --', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 \\G', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 # comment', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 /* unterminated', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 /* /* nested */ FROM default.users */', 'NEVA_ANALYST_SYNTAX'],
    ['INSERT INTO observations SELECT * FROM observations', 'NEVA_ANALYST_NOT_A_READ'],
    ['SET readonly = 0', 'NEVA_ANALYST_NOT_A_READ'],
    ['EXPLAIN SELECT 1', 'NEVA_ANALYST_NOT_A_READ'],
    ['SYSTEM FLUSH LOGS', 'NEVA_ANALYST_NOT_A_READ'],
    ['SHOW CREATE TABLE observations', 'NEVA_ANALYST_SYNTAX'],
    ['SHOW TABLES FROM default', 'NEVA_ANALYST_TABLE'],
    ['DESCRIBE users', 'NEVA_ANALYST_TABLE'],
    ['DESC default.users', 'NEVA_ANALYST_TABLE'],
    ["DESCRIBE file('/etc/hostname')", 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 UNION SELECT 2', 'NEVA_ANALYST_SYNTAX'],
    ['', 'NEVA_ANALYST_SYNTAX'],
    ['   -- nothing', 'NEVA_ANALYST_SYNTAX'],
    // Names that are not names: aliases with newlines, quotes, backslashes, unicode.
    ['SELECT 1 AS `a\nb`', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 AS `a``b`', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 AS `a\\`b`', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 AS "a\\"b"', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 AS `\u00e9`', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 AS `a\u200bb`', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 AS `` ', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 AS `x, table_name: analyst.observations`', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT seq AS s\u0435q FROM observations', 'NEVA_ANALYST_SYNTAX'],
    // Parameters that would name a table.
    ['SELECT * FROM {t:Identifier}', 'NEVA_ANALYST_SYNTAX'],
    ['SELECT {t:Identifier}', 'NEVA_ANALYST_TYPE'],
    ["SELECT 1 IN {t:Identifier}", 'NEVA_ANALYST_TYPE'],
    ['SELECT CAST(1 AS Identifier)', 'NEVA_ANALYST_TYPE'],
    ["SELECT CAST(1, 'Identifier')", 'NEVA_ANALYST_TYPE'],
    ["SELECT 1::Identifier", 'NEVA_ANALYST_TYPE'],
    // String literals that try to end early and carry SQL after them.
    ["SELECT 'a''' || (SELECT any(password_hash) FROM default.users)", 'NEVA_ANALYST_TABLE'],
    ["SELECT 'a\\", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT 'a\\q'", 'NEVA_ANALYST_SYNTAX'],
    ["SELECT 'a\\xff'", 'NEVA_ANALYST_SYNTAX'],
    ['SELECT 1 AS a\ud800', 'NEVA_ANALYST_SYNTAX'],
  ]
  for (const [sql, code] of variants) await refusedUnsent(sql, code, sql.includes('{t:') ? { t: 'default.users' } : undefined)
})

test('the printer re-escapes strings: hostile literals come back as the same values', async () => {
  // As in ClickHouse, \' does not end a string: this is one string literal, not a table read.
  const r = await ask("SELECT 'a\\' FROM default.users -- ' AS v")
  assert.deepEqual(r.rows, [{ v: "a' FROM default.users -- " }])
  assert.deepEqual(r.tables, [])
  const values = ["it's", 'a\\', "\\' OR 1 --", "'; DROP TABLE observations; --", 'line\nbreak\ttab\r\0nul\x01\x7f', '`backquote` "double"', 'é ✓ 𝔘', '/* not a comment */', '{p:String}']
  for (const value of values) {
    const literal = `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\0/g, '\\0')}'`
    const r = await ask(`SELECT ${literal} AS v, length(${literal}) AS n`)
    assert.equal(r.rows[0]!.v, value, literal)
    assert.equal(Number(r.rows[0]!.n), Buffer.byteLength(value), literal)
  }
})

test('what analysts write still runs: the grammar covers the queries and ClickHouse reads the printed SQL', async () => {
  const queries = [
    'SELECT DISTINCT source FROM observations ORDER BY source',
    'SELECT o.*, t.level FROM observations AS o INNER JOIN triage_results t ON o.patient_id = t.patient_id LIMIT 2',
    'SELECT count() FROM observations o LEFT OUTER JOIN triage_results t USING (patient_id) WHERE t.level IS NOT NULL',
    'SELECT count() FROM observations o ANY LEFT JOIN triage_results t USING patient_id',
    'SELECT count() FROM observations o FULL JOIN lab_results l ON o.patient_id = l.patient_id',
    'SELECT count() FROM observations CROSS JOIN numbers(2) AS n',
    'SELECT count() FROM observations, numbers(2) AS n',
    'SELECT x, y FROM numbers(3) ARRAY JOIN [1, 2] AS x, [3, 4] AS y WHERE number = 0 ORDER BY x',
    'SELECT number AS n, arrayJoin([n, n * 10]) AS m FROM numbers(2) ORDER BY m',
    "WITH recent AS (SELECT * FROM triage_results WHERE level != 'green'), 3 AS three SELECT count() + three AS n FROM recent",
    'WITH now64(3, \'UTC\') - INTERVAL 1 HOUR AS since SELECT count() FROM triage_results WHERE time >= since',
    'SELECT patient_id, count() AS n FROM observations WHERE seq > 0 GROUP BY patient_id WITH TOTALS HAVING n > 0 ORDER BY n DESC NULLS LAST',
    'SELECT source, name, count() FROM observations GROUP BY source, name WITH ROLLUP ORDER BY source, name',
    'SELECT seq FROM observations ORDER BY seq LIMIT 1 BY source LIMIT 5 OFFSET 0',
    'SELECT seq FROM observations ORDER BY seq LIMIT 1, 1',
    'SELECT seq FROM observations UNION ALL SELECT seq FROM triage_results UNION DISTINCT SELECT 1',
    'SELECT seq FROM observations INTERSECT SELECT seq FROM observations EXCEPT SELECT 2',
    '(SELECT seq FROM observations ORDER BY seq LIMIT 1) UNION ALL (SELECT seq FROM observations ORDER BY seq DESC LIMIT 1)',
    "SELECT value BETWEEN 90 AND 98 AS b, value NOT BETWEEN 1 AND 2, name LIKE 'sp%', name NOT ILIKE 'X%', source IN ('mqtt', 'serial'), seq NOT IN [1, 2], seq GLOBAL IN (SELECT seq FROM observations) FROM observations",
    "SELECT CASE WHEN value > 95 THEN 'ok' WHEN value > 90 THEN 'low' ELSE 'bad' END AS c, CASE source WHEN 'mqtt' THEN 1 ELSE 0 END FROM observations",
    "SELECT CAST(value AS Nullable(Float64)), value::String, CAST(seq, 'UInt64'), toDateTime64('2026-01-01 00:00:00', 3, 'UTC') + INTERVAL 2 DAY FROM observations",
    'SELECT [1, 2, 3][2] AS second, (1, \'a\').2 AS tup, tuple(1, 2).1, -seq, - -1, 2 * (3 + 4) % 5, 1 / 2 - 3, \'a\' || \'b\' || toString(seq) FROM observations',
    'SELECT arrayMap(x -> x * 2, [1, 2]), arrayMap((x, y) -> x + y, [1, 2], [3, 4]), arrayFilter(x -> x > 1, [1, 2, 3]), arraySort((x) -> -x, [1, 3, 2])',
    'SELECT quantile(0.5)(value), quantilesExact(0.1, 0.9)(value), sumIf(value, seq > 1), countIf(seq > 0), avgOrNull(value), uniqExactIf(patient_id, value > 0), groupArrayDistinct(source) FROM observations',
    'SELECT seq, row_number() OVER (PARTITION BY patient_id ORDER BY seq) AS rn, sum(value) OVER (ORDER BY seq ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s, lagInFrame(seq) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM observations',
    'SELECT seq, rank() OVER (ORDER BY value DESC) AS r FROM observations QUALIFY r = 1',
    'SELECT count(DISTINCT patient_id), count(*), uniq(patient_id) FROM observations',
    "SELECT sipHash64(patient_id), cityHash64(patient_id), lower(hex(MD5('x'))), JSONExtractString('{\"a\":\"b\"}', 'a'), formatDateTime(now(), '%Y') FROM observations",
    'SELECT value FROM observations WHERE value > {min:Float64} AND source IN {sources:Array(String)} AND received_time >= {from:DateTime64(3, \'UTC\')}',
    'SELECT (SELECT max(seq) FROM observations) AS top, EXISTS (SELECT 1 FROM triage_results) AS any_triage',
    'SELECT * FROM values(\'a UInt8, b String\', (1, \'x\'), (2, \'y\')) ORDER BY a',
    'SELECT sum(generate_series) FROM generate_series(1, 10)',
    'SELECT avgMerge(avg_value) FROM vitals_per_minute',
    'SELECT `seq`, "value" FROM `observations` AS `o` WHERE `o`.`seq` > 0',
    'select seq from analyst.observations where seq > 0 -- lower-case keywords, a trailing comment',
    'SHOW TABLES',
    'DESCRIBE TABLE observations',
    'DESC analyst.alarms',
  ]
  for (const sql of queries) {
    const r = await ask(sql, sql.includes('{min:') ? { min: 1, sources: "['mqtt','serial']", from: '2020-01-01 00:00:00.000' } : undefined).catch((e: Error) => assert.fail(`${sql}\n→ ${e.message}`))
    assertNoSecret(JSON.stringify(r.rows), sql)
  }
})

test('printing keeps ClickHouse\'s meaning: expressions evaluate the same as written and as printed', async () => {
  const exprs = [
    '1 OR 0 AND 0', 'NOT 1 = 2', 'NOT 0 AND 0', '1 = 1 IS NULL', '(NULL IS NOT NULL) = 0', '2 BETWEEN 1 AND 3 AND 0', '5 NOT BETWEEN 1 + 1 AND 2 * 2',
    "'a' || 'b' = 'ab'", "'x' || toString(1 + 2)", '1 + 2 * 3 - 4 / 2 % 3', '-2 * -3', '- 2 - - 3', '-(1 + 2)', '2 - 1 - 1', '8 / 4 / 2', '10 % 4 * 3',
    '1 IN (1, 2) = 1', '3 NOT IN (1, 2) AND 1', "'b' LIKE '%b' OR 0", "'B' NOT ILIKE 'b'", '[1, 2, 3][2] + 1', '(1, \'a\').2', 'tuple(1, (2, 3)).2.1',
    "CAST('1' AS UInt8) + 1", "'7'::UInt8 * 2", "CAST(-1 AS Int8)", "toTypeName(-1)", "toTypeName(1::Nullable(String))", 'INTERVAL 1 DAY + toDate(\'2026-01-01\')',
    "CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' ELSE 'c' END", "CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END", 'if(1 < 2, 1 + 1, 0) * 3',
    'arrayMap(x -> x * 2 + 1, [1, 2])', 'arrayMap((x, y) -> x - y, [5, 6], [1, 2])', 'arraySum(x -> x > 1 AND x < 4, [1, 2, 3, 4])', 'quantileExact(0.5)(number) FROM numbers(10)',
    'sumIf(number, number % 2 = 0) FROM numbers(10)', '0x10 + 0b11 + 1e2 + .5', "'it''s' || '\\\\'", "length('\\x41\\n\\t')",
    '1 = 1 = 1', '2 > 1 = 1', "(SELECT 1) + 1", '1 IN (SELECT 1) OR 0', 'EXISTS (SELECT 1) AND 1',
  ]
  for (const e of exprs) {
    const [expr, from] = e.split(' FROM ') as [string, string | undefined]
    // The same text twice: as written, on the main connection (trusted test input), and through
    // the analyst path, which runs what the printer made of it.
    const sql = `SELECT toString(${expr}) AS v${from ? ` FROM ${from}` : ''}`
    const asWritten = await ch.client.query({ query: sql, format: 'JSONEachRow' }).then((r) => r.json<{ v: string }>())
    const asPrinted = await ask(sql).then((r) => r.rows)
    assert.deepEqual(asPrinted, asWritten, `${sql}\n→ ${(compileAnalystSql(sql) as { sql: string }).sql}`)
  }
})

test('SHOW TABLES and DESCRIBE are answered from the analyst views, and audited', async () => {
  const tables = await ask('SHOW TABLES')
  assert.deepEqual(tables.rows.map((r) => r.name), Object.keys(ANALYST_VIEWS).sort())
  assert.deepEqual(tables.columns, [{ name: 'name', type: 'String' }])
  const d = await ask('DESCRIBE alarms')
  const names = d.rows.map((r) => r.name)
  assert.ok(names.includes('patient_id') && names.includes('alarm_id'), names.join())
  assert.ok(!names.includes('event_text'), 'alarms.event_text is free text: not in the view')
  assert.deepEqual(d.rows.find((r) => r.name === 'priority') && Object.keys(d.rows[0]!), ['name', 'type', 'default_type', 'default_expression', 'comment'])
  const [row] = await audit('DESCRIBE alarms')
  assert.equal(row?.outcome, 'ok')
  assert.deepEqual(row?.tables, ['analyst.alarms'])
  assert.equal(Number(row?.rows), names.length)
  await assert.rejects(ask('SELECT event_text FROM alarms'), /event_text/)
})

test('every named query parses, prints to a fixed point and reads only analyst views', () => {
  for (const q of loadQueries().values()) {
    const c = compileAnalystSql(q.sql)
    assert.equal(c.k, 'query')
    if (c.k !== 'query') continue
    assert.equal(printQuery(parseQuery(c.sql)), c.sql, q.name)
    assert.deepEqual(strip(parseQuery(c.sql)), strip(parseQuery(q.sql)), q.name)
    for (const t of c.tables) assert.ok(Object.hasOwn(ANALYST_VIEWS, t.replace(/^analyst\./, '')), `${q.name} reads ${t}`)
  }
})

/**
 * The tree without offsets (the printed text has other offsets) and with a view named as the
 * printer names it, `analyst`.`view`: the only two differences printing may make.
 */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip)
  if (x && typeof x === 'object') {
    const o = Object.fromEntries(Object.entries(x).filter(([k, v]) => k !== 'at' && v !== undefined).map(([k, v]) => [k, strip(v)]))
    if (o.k === 'table' && Array.isArray(o.parts) && o.parts.length === 1 && Object.hasOwn(ANALYST_VIEWS, o.parts[0] as string)) o.parts = ['analyst', o.parts[0]]
    return o
  }
  return x
}

// ── property tests ──
const NAMES = ['seq', 'value', 'patient_id', 'o', 't', 'x', 'users', 'default', 'system', 'analyst', 'observations', 'triage_results', 'password_hash', 'file', 'SELECT', 'from', 'u']
const WEIRD = ['a b', 'a\nb', 'a`b', 'a"b', "a'b", 'a\\b', 'é', 'f\u0456le', 'x, identifier: default.users', 'x\u200by', '']
const name = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...NAMES, ...WEIRD).map((n) => `\`${n.replace(/`/g, '``')}\``) },
  { weight: 1, arbitrary: fc.constantFrom(...WEIRD).map((n) => `"${n}"`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
)
const table = fc.oneof(
  fc.constantFrom('observations', 'analyst.triage_results', 'default.users', '`default`.`users`', 'system.one', 'users', 'numbers(3)', "file('/etc/hostname')", 'analyst_pseudonym_key'),
  name,
  name.chain((a) => name.map((b) => `${a}.${b}`)),
)
const literal = fc.oneof(
  fc.integer({ min: 0, max: 1000 }).map(String),
  fc.string({ maxLength: 8 }).map((s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`),
  fc.string({ maxLength: 8 }).map((s) => `'${s}'`),
  fc.constantFrom('NULL', 'true', '1.5e3', '0x1F', '{p:String}', '{t:Identifier}', '[1, 2]', "(1, 'a')"),
)
// Built by explicit depth, so every generated query is small and the generator terminates.
const binary = fc.constantFrom('+', '-', '*', '/', '%', '=', '!=', '<', '>=', 'AND', 'OR', '||', 'LIKE', 'NOT LIKE')
const fn = fc.constantFrom('count', 'sum', 'sumIf', 'upper', 'file', 'FILE', 'dictGet', 'url', 'quantile(0.5)', 'getSetting', 'in', 'toString', '`file`', 'tuple')
function exprAt(d: number): fc.Arbitrary<string> {
  const leaves = [literal, name, name.chain((a) => name.map((b) => `${a}.${b}`))]
  if (d <= 0) return fc.oneof(...leaves)
  const sub = exprAt(d - 1)
  return fc.oneof(
    ...leaves,
    fc.tuple(sub, binary, sub).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(fc.constantFrom('NOT ', '-', '- '), sub).map(([op, a]) => `${op}${a}`),
    fc.tuple(fn, fc.array(sub, { maxLength: 3 })).map(([f, args]) => `${f}(${args.join(', ')})`),
    fc.tuple(sub, fc.constantFrom('IN', 'NOT IN', 'GLOBAL IN'), fc.oneof(name, queryAt(d - 1).map((q) => `(${q})`), fc.array(literal, { minLength: 1, maxLength: 3 }).map((l) => `(${l.join(', ')})`)))
      .map(([a, op, set]) => `${a} ${op} ${set}`),
    queryAt(d - 1).map((q) => `(${q})`),
    sub.map((e) => `(${e})`),
    fc.tuple(sub, fc.constantFrom('String', 'UInt8', 'Identifier', 'Nullable(Float64)')).map(([e, t]) => `CAST(${e} AS ${t})`),
    fc.tuple(sub, sub).map(([a, b]) => `CASE WHEN ${a} THEN ${b} END`),
    fc.tuple(name, sub).map(([p, b]) => `arrayMap(${p} -> ${b}, [1])`),
  )
}
function queryAt(d: number): fc.Arbitrary<string> {
  const e = exprAt(d - 1)
  const from = fc.tuple(table, fc.option(name, { nil: undefined })).map(([t, a]) => ` FROM ${t}${a ? ` AS ${a}` : ''}`)
  const sub = d > 0 ? queryAt(d - 1) : undefined
  return fc.tuple(
    sub ? fc.option(fc.tuple(name, sub).map(([n, q]) => `WITH ${n} AS (${q}) `), { nil: '' }) : fc.constant(''),
    fc.array(fc.tuple(e, fc.option(name, { nil: undefined })).map(([x, a]) => (a ? `${x} AS ${a}` : x)), { minLength: 1, maxLength: 3 }),
    fc.option(sub ? fc.oneof(from, sub.map((q) => ` FROM (${q})`)) : from, { nil: '' }),
    fc.option(fc.tuple(fc.constantFrom('JOIN', 'LEFT JOIN', 'ANY INNER JOIN', ','), table, e).map(([j, t, on]) => (j === ',' ? `, ${t}` : ` ${j} ${t} ON ${on}`)), { nil: '' }),
    fc.option(e.map((x) => ` WHERE ${x}`), { nil: '' }),
    fc.option(fc.constantFrom(' ORDER BY 1 DESC', ' LIMIT 3', ' SETTINGS readonly = 0', ' FORMAT CSV', " INTO OUTFILE '/tmp/x'", '; SELECT 1', ' -- c', ' /* c */'), { nil: '' }),
    sub ? fc.option(fc.tuple(fc.constantFrom(' UNION ALL ', ' EXCEPT ', ' INTERSECT '), sub), { nil: undefined }) : fc.constant(undefined),
  ).map(([w, items, f, join, where, tail, set]) => `${w}SELECT ${items.join(', ')}${f}${f ? join : ''}${where}${tail}${set ? set[0] + set[1] : ''}`)
}
const query = fc.oneof(queryAt(2), exprAt(2).chain((e) => fc.constantFrom(`SELECT ${e}`, `SELECT ${e} FROM observations`, `SELECT * FROM (SELECT ${e}) WHERE ${e}`)))

/** Compiles; anything accepted prints to text that re-reads as the same tree and reads only views. */
function property(sql: string): boolean {
  let compiled
  try {
    compiled = compileAnalystSql(sql)
  } catch (err) {
    assert.ok(err instanceof AnalystError, `${JSON.stringify(sql)} threw ${String(err)}`)
    return false
  }
  if (compiled.k !== 'query') return true
  const reread = parseQuery(compiled.sql)
  assert.deepEqual(strip(reread), strip(parseQuery(sql)), `${sql}\n→ ${compiled.sql}`)
  assert.equal(printQuery(reread), compiled.sql)
  assert.deepEqual(checkQuery(reread), compiled.tables)
  for (const t of compiled.tables) assert.match(t, /^analyst\.[a-z_]+$/)
  for (const t of compiled.tables) assert.ok(Object.hasOwn(ANALYST_VIEWS, t.slice('analyst.'.length)), t)
  // The printed text names no database but `analyst` before a table.
  for (const m of compiled.sql.matchAll(/\b(?:FROM|JOIN)\s+`([^`]+)`\.`/g)) assert.equal(m[1], 'analyst', compiled.sql)
  assert.ok(!/\b(SETTINGS|FORMAT|INTO)\b/.test(compiled.sql.replace(/'(?:[^'\\]|\\.)*'/g, "''")), compiled.sql)
  return true
}

test('property: generated SQL shapes either compile to printed SQL that re-reads the same, or are refused with an AnalystError', () => {
  let accepted = 0
  fc.assert(fc.property(query, (sql) => { if (property(sql)) accepted++ }), { numRuns: 3000, seed: 20261203 })
  // The generator makes both kinds: the property is not vacuous.
  assert.ok(accepted > 100, `only ${accepted} accepted`)
})

test('property: random text is refused with an AnalystError, or accepted only as analyst SQL', () => {
  fc.assert(fc.property(fc.string({ maxLength: 80, unit: 'grapheme' }), (s) => { property(s); property(`SELECT ${s}`); property(`SELECT * FROM observations WHERE ${s}`) }), { numRuns: 3000 })
})

test('property: random strings never reach ClickHouse', async () => {
  await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 60 }).filter((s) => { try { compileAnalystSql(s); return false } catch { return true } }), async (s) => {
    const before = sent
    await assert.rejects(ask(s), AnalystError)
    assert.equal(sent, before)
  }), { numRuns: 30 })
})

// ── the reader and the server user ──
test('the embedded reader is reopened after a failed open instead of staying closed', async () => {
  await assert.rejects(ask('SELECT comments FROM lab_results'), /comments/)
  // The next open of the reader fails: its default database is gone.
  await ch.client.command({ query: 'DROP DATABASE analyst SYNC' })
  await assert.rejects(ask('SELECT count() FROM observations'), AnalystError)
  await assert.rejects(ask('SELECT count() FROM observations'), AnalystError)
  await ensureAnalystViews(ch, real.rawDatabase)
  assert.equal(Number((await ask('SELECT count() AS n FROM observations')).rows[0]!.n), 3)
})

test('on a ClickHouse server analyst SQL refuses to run without its own user, before any connection', async () => {
  const untouchable = { kind: 'server', location: 'http://ch:8123', client: new Proxy({}, { get: () => assert.fail('the main connection was used') }), close: async () => undefined } as unknown as ClickHouse
  for (const options of [{}, { username: 'analyst' }, { password: 'x'.repeat(20) }, { username: 'neva', password: 'x'.repeat(20) }]) {
    await assert.rejects(openAnalyst(untouchable, { url: 'http://ch:8123', username: 'neva', password: 'main' }, options), (err: unknown) => {
      assert.ok(err instanceof AnalystError)
      assert.equal(err.code, 'NEVA_ANALYST_NO_USER')
      assert.match(err.message, /CLICKHOUSE_ANALYST_USER/)
      return true
    })
  }
})

test('what is sent is the printed SQL under Neva\'s limits: readonly = 1 embedded, the user\'s CONST readonly on a server', async () => {
  const sentText: string[] = []
  const fake = { kind: 'server', location: 'fake', close: async () => undefined, client: { query: async ({ query }: { query: string }) => { sentText.push(query); return { json: async () => ({ meta: [], data: [] }) } } } } as unknown as ClickHouse
  const sql = "select seq, 'it''s' AS s FROM observations o WHERE o.seq IN (1, 2) -- note"
  const printed = 'SELECT `seq`, \'it\\\'s\' AS `s` FROM `analyst`.`observations` AS `o` WHERE (`o`.`seq` IN (1, 2))'
  assert.equal((compileAnalystSql(sql) as { sql: string }).sql, printed)
  for (const serverUser of [false, true]) {
    const a: Analyst = { ch, rawDatabase: real.rawDatabase, serverUser, withReader: (fn) => fn(fake), close: async () => undefined }
    await runAnalystQuery(a, { sql, user: 'analyst:red-team', limits: { maxRows: 7, maxMemoryBytes: 1234567, maxSeconds: 9 } })
    assert.equal(sentText.pop(), `SELECT * FROM (${printed}) SETTINGS max_result_rows = 7, result_overflow_mode = 'throw', max_memory_usage = 1234567, max_execution_time = 9${serverUser ? '' : ', readonly = 1'}`)
  }
  assert.equal(sentText.length, 0)
})

test('the analyst user DDL: SELECT on the analyst views only, readonly, bounded limits, no password in the text', () => {
  const ddl = analystUserDdl('analyst', 'correct horse battery staple', { maxRows: 1000, maxMemoryBytes: 1_000_000_000, maxSeconds: 30 })
  const all = ddl.join(';\n')
  assert.ok(!all.includes('correct horse'), 'the password is not in the DDL')
  assert.match(ddl[0]!, /^CREATE USER IF NOT EXISTS `analyst` IDENTIFIED WITH sha256_hash BY '[0-9a-f]{64}' DEFAULT DATABASE `analyst`$/)
  assert.match(ddl[1]!, /SETTINGS readonly = 2 CONST, max_result_rows = 1000 MAX 1000, result_overflow_mode = 'throw' CONST, max_memory_usage = 1000000000 MAX 1000000000, max_execution_time = 30 MAX 30$/)
  assert.equal(ddl[2], 'REVOKE ALL ON *.* FROM `analyst`')
  assert.equal(ddl[3], 'GRANT SELECT, SHOW TABLES, SHOW COLUMNS ON `analyst`.* TO `analyst`')
  assert.equal(ddl.filter((s) => /GRANT/.test(s)).length, 1)
  for (const bad of ['a b', 'analyst; DROP USER neva', '`x`', '']) assert.throws(() => analystUserDdl(bad, 'long enough password'), AnalystError)
  assert.throws(() => analystUserDdl('analyst', 'short'), /at least 12/)
})
