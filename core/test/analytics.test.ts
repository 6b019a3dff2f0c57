// /v1/analytics through a real core on the embedded ClickHouse: analyst tokens, analyst SQL
// refused or answered with pseudonyms, the named query library, and the audit of each call.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import type { ClickHouse } from '@neva/analytics'
import { coreConfigFromEnv, hashToken, parseCoreConfig, startCore } from '@neva/core'
import { insertFixture, MRN_A, T0 } from '@neva/analytics/analyst-fixture'
import { analyticsPlugin, RateLimiter } from '../src/plugins/analytics.js'

const ANALYST = 'secret-analyst'
const GATEWAY = 'secret-gw-1'
const BUSY = 'secret-busy-analyst'
// As NEVA_ANALYST_TOKENS, NEVA_ANALYST_RATE_* and NEVA_PSEUDONYM_KEY would set them.
const core = await startCore(coreConfigFromEnv({
  NEVA_ANALYST_TOKENS: `ana=${ANALYST},busy=${BUSY}`,
  // A bucket the other tests never empty, refilled slowly enough to empty it on purpose below.
  NEVA_ANALYST_RATE_BURST: '40',
  NEVA_ANALYST_RATE_PER_MINUTE: '1',
  NEVA_PSEUDONYM_KEY: 'core-test-key',
}, {
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-analytics-')) },
  gateways: { 'gw-1': hashToken(GATEWAY) },
  logLevel: 'silent',
  bodyLimit: 1024 * 1024,
}))
after(() => core.close())
await insertFixture(core.clickhouse)

async function call(method: string, path: string, token: string | null = ANALYST, body?: unknown) {
  const res = await fetch(`${core.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const sql = (q: string, params?: Record<string, unknown>, token?: string | null) => call('POST', '/v1/analytics/sql', token, { sql: q, ...(params ? { params } : {}) })

test('without an analyst token: 401, and a gateway token is not an analyst token', async () => {
  assert.equal((await sql('SELECT 1', undefined, null)).status, 401)
  assert.equal((await sql('SELECT 1', undefined, GATEWAY)).status, 401)
  assert.equal((await call('GET', '/v1/analytics/queries', null)).status, 401)
  assert.equal((await call('GET', '/v1/analytics/queries/current-triage', 'wrong')).status, 401)
})

test('POST /v1/analytics/sql returns rows with their count, pseudonymous', async () => {
  const res = await sql('SELECT patient_id, value FROM observations WHERE value >= {min:Float64} ORDER BY value', { min: 93 })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  assert.equal(res.body.count, 3)
  const rows = res.body.rows as Array<{ patient_id: string; value: number }>
  assert.deepEqual(rows.map((r) => r.value), [93, 97, 99])
  for (const r of rows) assert.match(r.patient_id, /^[0-9a-f]{32}$/)
  assert.ok(!JSON.stringify(res.body).includes(MRN_A))
  assert.deepEqual(res.body.tables, ['analyst.observations'])
})

test('refused queries are 400 naming why, and audited with the analyst name', async () => {
  const cases: Array<[string, string]> = [
    ['DROP TABLE observations', 'NEVA_ANALYST_NOT_A_READ'],
    ['SELECT patient_id FROM default.observations', 'NEVA_ANALYST_TABLE'],
    ["SELECT * FROM url('http://127.0.0.1:9/', CSV, 'a String')", 'NEVA_ANALYST_TABLE_FUNCTION'],
    ['SELECT count() FROM observations SETTINGS readonly = 0', 'NEVA_ANALYST_SETTINGS'],
  ]
  for (const [q, code] of cases) {
    const res = await sql(q)
    assert.equal(res.status, 400, q)
    assert.equal(res.body.error, code, q)
    assert.ok(String(res.body.message).length > 10)
  }
  const rs = await core.clickhouse.client.query({ query: "SELECT user, via, outcome, error_code FROM analyst_audit WHERE outcome = 'refused' ORDER BY at", format: 'JSONEachRow' })
  assert.deepEqual((await rs.json()).slice(-4), cases.map(([, code]) => ({ user: 'analyst:ana', via: 'http', outcome: 'refused', error_code: code })))
  assert.equal((await call('POST', '/v1/analytics/sql', ANALYST, { sql: 'SELECT 1', extra: 1 })).status, 400)
})

test('GET /v1/analytics/queries lists the library; a named query runs with validated parameters', async () => {
  const list = await call('GET', '/v1/analytics/queries')
  assert.equal(list.status, 200)
  const names = (list.body.queries as Array<{ name: string; description: string; params: unknown[] }>).map((q) => q.name)
  assert.ok(names.includes('patient-timeline') && names.includes('current-triage'))

  const current = await call('GET', '/v1/analytics/queries/current-triage')
  assert.equal(current.status, 200, JSON.stringify(current.body))
  const patient = String((current.body.rows as Array<{ patient_id: string }>)[0]!.patient_id)
  const from = new Date(T0 - 3600_000).toISOString()
  const to = new Date(T0 + 3600_000).toISOString()
  const timeline = await call('GET', `/v1/analytics/queries/patient-timeline?patient=${patient}&from=${from}&to=${to}`)
  assert.equal(timeline.status, 200, JSON.stringify(timeline.body))
  assert.equal(timeline.body.count, 5)

  const bad = await call('GET', `/v1/analytics/queries/patient-timeline?patient=${patient}&from=tomorrow&to=${to}`)
  assert.equal(bad.status, 400)
  assert.equal(bad.body.error, 'NEVA_ANALYST_PARAM')
  assert.match(String(bad.body.message), /from \(DateTime64\(3, 'UTC'\)\)/)
  const unknown = await call('GET', '/v1/analytics/queries/ed-load')
  assert.equal(unknown.status, 404)
  assert.equal(unknown.body.error, 'NEVA_ANALYST_UNKNOWN_QUERY')
})

test('ingest keeps working alongside analyst queries', async () => {
  await sql('SELECT count() FROM observations')
  const res = await fetch(`${core.url}/healthz`)
  assert.equal(res.status, 200)
  await core.clickhouse.client.command({ query: "INSERT INTO rejected_readings (gateway_id, seq, source, origin, received_time, code, reason, payload) VALUES ('gw-z', 1, 'mqtt', 'o', now64(3), 'C', 'r', 'p')" })
})

test('each analyst has a bucket of queries: 429 NEVA_ANALYST_RATE_LIMITED when it is empty, other analysts unaffected', async () => {
  // Unknown named queries cost a token but no ClickHouse work: the bucket is taken before the route runs.
  for (let i = 0; i < 40; i++) assert.equal((await call('GET', '/v1/analytics/queries/nope', BUSY)).status, 404, `request ${i}`)
  const res = await fetch(`${core.url}/v1/analytics/sql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BUSY}` }, body: JSON.stringify({ sql: 'SELECT 1' }) })
  assert.equal(res.status, 429)
  assert.equal(((await res.json()) as { error: string }).error, 'NEVA_ANALYST_RATE_LIMITED')
  assert.ok(Number(res.headers.get('retry-after')) > 0)
  assert.equal((await sql('SELECT 1')).status, 200, 'another analyst still runs')
  // Listing the library is not a query.
  assert.equal((await call('GET', '/v1/analytics/queries', BUSY)).status, 200)
})

test('the rate limiter refills over time and never above its burst', () => {
  let now = 0
  const limiter = new RateLimiter({ perMinute: 6, burst: 2 }, () => now)
  assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a')], [0, 0, 10])
  now = 10_000
  assert.equal(limiter.take('a'), 0)
  assert.equal(limiter.take('b'), 0)
  now = 10_000_000
  assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a') > 0], [0, 0, true])
})

test('core defaults: the memory of a query is capped at 1 GB unless configured; bad values are refused', () => {
  assert.equal(coreConfigFromEnv({}).analytics.limits.maxMemoryBytes, 1_000_000_000)
  assert.equal(coreConfigFromEnv({ NEVA_ANALYST_MAX_MEMORY_BYTES: '500000000' }).analytics.limits.maxMemoryBytes, 500_000_000)
  assert.throws(() => coreConfigFromEnv({ NEVA_ANALYST_MAX_MEMORY_BYTES: 'lots' }), /NEVA_ANALYST_MAX_MEMORY_BYTES/)
})

test('on a ClickHouse server without an analyst user the endpoints answer 503 NEVA_ANALYST_NO_USER and the main connection is never used', async () => {
  const main = { kind: 'server', location: 'http://ch:8123', client: new Proxy({}, { get: () => assert.fail('the main connection was used') }), close: async () => undefined } as unknown as ClickHouse
  const app = Fastify()
  app.decorate('requireUser', () => async () => undefined)
  await app.register(analyticsPlugin, { clickhouse: main, config: { url: 'http://ch:8123', username: 'neva', password: 'main' }, analysts: { ana: hashToken(ANALYST) }, ...parseCoreConfig({}).analytics })
  const res = await app.inject({ method: 'POST', url: '/v1/analytics/sql', headers: { authorization: `Bearer ${ANALYST}` }, payload: { sql: 'SELECT 1' } })
  assert.equal(res.statusCode, 503)
  assert.equal(res.json().code, 'NEVA_ANALYST_NO_USER')
  assert.match(res.json().message, /CLICKHOUSE_ANALYST_USER/)
  await app.close()
})
