// The core's configuration: every variable's default, bad values refused by name, the environment
// read in config.ts only, and docs/operations.md listing exactly the variables the core reads.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CORE_ENVIRONMENT, coreConfigFromEnv, hashToken, parseCoreConfig, PEOPLE_DEFAULTS, type CoreVariable } from '@neva/core'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

test('nothing set: every variable takes its default', () => {
  const c = coreConfigFromEnv({})
  const defaults: Record<CoreVariable, unknown> = {
    NEVA_CORE_HOST: c.host === '127.0.0.1',
    NEVA_CORE_PORT: c.port === 8080,
    NEVA_LOG_LEVEL: c.logLevel === 'info',
    NEVA_CORE_TLS_CERT: c.tls === undefined,
    NEVA_CORE_TLS_KEY: c.tls === undefined,
    NEVA_CORE_PUBLIC_ORIGIN: c.people.publicOrigin === undefined,
    // Unset: embedded chdb in ./data/clickhouse (@neva/analytics' default), database neva on a server.
    CLICKHOUSE_URL: c.clickhouse.url === undefined,
    CLICKHOUSE_USER: c.clickhouse.username === undefined,
    CLICKHOUSE_PASSWORD: c.clickhouse.password === undefined,
    CLICKHOUSE_DATABASE: c.clickhouse.database === undefined,
    NEVA_CLICKHOUSE_PATH: c.clickhouse.path === undefined,
    NEVA_CLICKHOUSE_MARK_CACHE_BYTES: c.clickhouse.embeddedCaches.markCacheBytes === 64 * 1024 * 1024,
    NEVA_CLICKHOUSE_PRIMARY_INDEX_CACHE_BYTES: c.clickhouse.embeddedCaches.primaryIndexCacheBytes === 64 * 1024 * 1024,
    NEVA_CLICKHOUSE_INDEX_MARK_CACHE_BYTES: c.clickhouse.embeddedCaches.indexMarkCacheBytes === 16 * 1024 * 1024,
    NEVA_CLICKHOUSE_QUERY_CONDITION_CACHE_BYTES: c.clickhouse.embeddedCaches.queryConditionCacheBytes === 16 * 1024 * 1024,
    NEVA_CLICKHOUSE_COMPILED_EXPRESSION_CACHE_BYTES: c.clickhouse.embeddedCaches.compiledExpressionCacheBytes === 32 * 1024 * 1024,
    NEVA_CLICKHOUSE_IDLE_THREADS: c.clickhouse.embeddedIdleThreads === 32,
    NEVA_GATEWAY_TOKENS_FILE: Object.keys(c.gateways).length === 0,
    NEVA_GATEWAY_TOKENS: Object.keys(c.gateways).length === 0,
    NEVA_GATEWAY_SITES: Object.keys(c.gatewaySites).length === 0,
    NEVA_ADMIN_TOKENS: Object.keys(c.admins).length === 0,
    NEVA_EMR_TOKENS: Object.keys(c.emrSystems).length === 0,
    NEVA_ANALYST_TOKENS: Object.keys(c.analysts).length === 0,
    NEVA_METRICS_TOKENS: Object.keys(c.metricsTokens).length === 0,
    NEVA_ANALYST_MAX_MEMORY_BYTES: c.analytics.limits.maxMemoryBytes === 1_000_000_000,
    NEVA_ANALYST_RATE_PER_MINUTE: c.analytics.rate.perMinute === 120,
    NEVA_ANALYST_RATE_BURST: c.analytics.rate.burst === 60,
    NEVA_PSEUDONYM_KEY: c.analytics.analyst.secret === undefined,
    CLICKHOUSE_ANALYST_USER: c.analytics.analyst.username === undefined,
    CLICKHOUSE_ANALYST_PASSWORD: c.analytics.analyst.password === undefined,
    NEVA_SESSION_TTL_S: c.people.sessionTtlS === 43_200,
    NEVA_LOGIN_FAILURES_PER_ACCOUNT: c.people.loginFailuresPerAccount === 5,
    NEVA_LOGIN_FAILURES_PER_ADDRESS: c.people.loginFailuresPerAddress === 20,
    NEVA_LOGIN_FAILURES_PER_ACCOUNT_TOTAL: c.people.loginFailuresPerAccountTotal === 50,
    NEVA_LOGIN_WINDOW_S: c.people.loginWindowS === 900,
    NEVA_LOGIN_REQUESTS_PER_MINUTE: c.people.loginRequestsPerMinute === 30,
    NEVA_USERS_REFRESH_S: c.people.usersRefreshS === 15,
    NEVA_PEOPLE_POLL_MS: c.people.changesPollMs === 500,
    NEVA_OIDC_ISSUER: c.people.oidc === undefined,
    NEVA_OIDC_AUDIENCE: c.people.oidc === undefined,
    NEVA_OIDC_JWKS_URL: c.people.oidc === undefined,
    NEVA_OIDC_ROLES_CLAIM: c.people.oidc === undefined,
    NEVA_OIDC_WARDS_CLAIM: c.people.oidc === undefined,
    NEVA_OIDC_SITES_CLAIM: c.people.oidc === undefined,
    NEVA_OIDC_NAME_CLAIM: c.people.oidc === undefined,
    NEVA_INGEST_MAX_IN_FLIGHT_BATCHES: c.ingest.maxInFlightBatches === 8,
    NEVA_INGEST_MAX_IN_FLIGHT_BYTES: c.ingest.maxInFlightBytes === 64 * 1024 * 1024,
    NEVA_INGEST_RETRY_AFTER_S: c.ingest.retryAfterS === 1,
    NEVA_LIVE_MAX_STREAMS: c.live.maxStreams === 1000,
    NEVA_LIVE_MAX_STREAMS_PER_USER: c.live.maxStreamsPerUser === 4,
    NEVA_LIVE_MAX_BUFFERED_BYTES: c.live.maxBufferedBytes === 4 * 1024 * 1024,
    NEVA_GATEWAY_SILENCE_S: c.gatewaySupervision.silenceS === 120,
    NEVA_FHIR_CURSOR_KEY: c.fhir.cursorKey === undefined,
    NEVA_FHIR_CURSOR_KEY_FILE: c.fhir.cursorKey === undefined,
  }
  for (const [name, ok] of Object.entries(defaults)) assert.equal(ok, true, name)
  assert.equal(c.bodyLimit, 32 * 1024 * 1024)
  assert.deepEqual(c.people, PEOPLE_DEFAULTS)
  // An empty variable is an unset one.
  assert.deepEqual(coreConfigFromEnv({ NEVA_CORE_PORT: '', NEVA_SESSION_TTL_S: '', NEVA_LOG_LEVEL: '' }), c)
  // A config given in code gets the same defaults.
  assert.deepEqual(parseCoreConfig({}), c)
})

test('with an OIDC provider, the claim names default to roles, wards, sites and name', () => {
  const oidc = { NEVA_OIDC_ISSUER: 'https://id.example', NEVA_OIDC_AUDIENCE: 'neva', NEVA_OIDC_JWKS_URL: 'https://id.example/certs' }
  assert.deepEqual(coreConfigFromEnv(oidc).people.oidc, {
    issuer: 'https://id.example', audience: 'neva', jwksUrl: 'https://id.example/certs', rolesClaim: 'roles', wardsClaim: 'wards', sitesClaim: 'sites', nameClaim: 'name',
  })
  assert.equal(coreConfigFromEnv({ ...oidc, NEVA_OIDC_WARDS_CLAIM: 'units' }).people.oidc?.wardsClaim, 'units')
})

test('set variables land where they belong', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-core-config-'))
  const file = join(dir, 'gateways.json')
  writeFileSync(file, JSON.stringify({ 'gw-f': { token_sha256: hashToken('f'), sites: ['Polyclinic 3'] }, 'gw-1': { token_sha256: hashToken('old') } }))
  const c = coreConfigFromEnv({
    NEVA_CORE_HOST: '0.0.0.0', NEVA_CORE_PORT: '0', NEVA_LOG_LEVEL: 'silent', NEVA_CORE_PUBLIC_ORIGIN: 'https://neva.example',
    CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_USER: 'neva', CLICKHOUSE_PASSWORD: 'pw', CLICKHOUSE_DATABASE: 'db', NEVA_CLICKHOUSE_PATH: '/d',
    NEVA_GATEWAY_TOKENS_FILE: file, NEVA_GATEWAY_TOKENS: 'gw-1=new', NEVA_GATEWAY_SITES: 'gw-1=City Hospital 1',
    NEVA_ADMIN_TOKENS: 'ops=a', NEVA_EMR_TOKENS: 'his=e', NEVA_ANALYST_TOKENS: 'ana=n', NEVA_METRICS_TOKENS: 'prom=m',
    NEVA_ANALYST_MAX_MEMORY_BYTES: '5e8', NEVA_ANALYST_RATE_PER_MINUTE: '2', NEVA_ANALYST_RATE_BURST: '3',
    NEVA_PSEUDONYM_KEY: 'k', CLICKHOUSE_ANALYST_USER: 'analyst', CLICKHOUSE_ANALYST_PASSWORD: 'apw',
    NEVA_SESSION_TTL_S: '60', NEVA_PEOPLE_POLL_MS: '100',
    NEVA_CLICKHOUSE_MARK_CACHE_BYTES: '1048576', NEVA_CLICKHOUSE_PRIMARY_INDEX_CACHE_BYTES: '2097152', NEVA_CLICKHOUSE_INDEX_MARK_CACHE_BYTES: '0',
    NEVA_CLICKHOUSE_QUERY_CONDITION_CACHE_BYTES: '3145728', NEVA_CLICKHOUSE_COMPILED_EXPRESSION_CACHE_BYTES: '4194304',
    NEVA_CLICKHOUSE_IDLE_THREADS: '8',
  })
  assert.equal(c.host, '0.0.0.0')
  assert.equal(c.port, 0)
  assert.equal(c.logLevel, 'silent')
  assert.equal(c.people.publicOrigin, 'https://neva.example')
  assert.deepEqual(c.clickhouse, {
    url: 'http://ch:8123', username: 'neva', password: 'pw', database: 'db', path: '/d',
    embeddedCaches: { markCacheBytes: 1_048_576, primaryIndexCacheBytes: 2_097_152, indexMarkCacheBytes: 0, queryConditionCacheBytes: 3_145_728, compiledExpressionCacheBytes: 4_194_304 },
    embeddedIdleThreads: 8,
  })
  assert.deepEqual(c.gateways, { 'gw-f': hashToken('f'), 'gw-1': hashToken('new') })
  assert.deepEqual(c.gatewaySites, { 'gw-f': ['Polyclinic 3'], 'gw-1': ['City Hospital 1'] })
  assert.deepEqual([c.admins, c.emrSystems, c.analysts, c.metricsTokens], [{ ops: hashToken('a') }, { his: hashToken('e') }, { ana: hashToken('n') }, { prom: hashToken('m') }])
  assert.deepEqual(c.analytics, { limits: { maxMemoryBytes: 500_000_000 }, rate: { perMinute: 2, burst: 3 }, analyst: { secret: 'k', username: 'analyst', password: 'apw' } })
  assert.equal(c.people.sessionTtlS, 60)
  assert.equal(c.people.changesPollMs, 100)
  // Overrides replace whole sections, over the environment.
  assert.equal(coreConfigFromEnv({ NEVA_CORE_PORT: '9000' }, { port: 0 }).port, 0)
})

test('a bad value is refused with the variable\'s name and what was wrong', () => {
  const refused: [Record<string, string>, RegExp][] = [
    [{ NEVA_CORE_PORT: 'http' }, /^Error: NEVA_CORE_PORT: expected a whole number from 0 to 65535, got "http"$/],
    [{ NEVA_CORE_PORT: '70000' }, /^Error: NEVA_CORE_PORT: /],
    [{ NEVA_LOG_LEVEL: 'loud' }, /^Error: NEVA_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"$/],
    [{ NEVA_SESSION_TTL_S: '0' }, /^Error: NEVA_SESSION_TTL_S: expected a whole number > 0, got "0"$/],
    [{ NEVA_LOGIN_WINDOW_S: '1.5' }, /^Error: NEVA_LOGIN_WINDOW_S: expected a whole number > 0/],
    [{ NEVA_PEOPLE_POLL_MS: 'often' }, /^Error: NEVA_PEOPLE_POLL_MS: /],
    [{ NEVA_ANALYST_RATE_BURST: '-1' }, /^Error: NEVA_ANALYST_RATE_BURST: expected a number > 0, got "-1"$/],
    [{ NEVA_ANALYST_RATE_PER_MINUTE: 'Infinity' }, /^Error: NEVA_ANALYST_RATE_PER_MINUTE: /],
    [{ NEVA_CORE_PUBLIC_ORIGIN: 'https://neva.example/boards' }, /^Error: NEVA_CORE_PUBLIC_ORIGIN: expected scheme:\/\/host\[:port\] with no path/],
    [{ NEVA_METRICS_TOKENS: 'prom' }, /^Error: NEVA_METRICS_TOKENS: expected "name=token"/],
    [{ NEVA_ADMIN_TOKENS: 'ops=' }, /^Error: NEVA_ADMIN_TOKENS: /],
    [{ NEVA_GATEWAY_SITES: 'gw-1' }, /^Error: NEVA_GATEWAY_SITES: /],
    [{ NEVA_GATEWAY_TOKENS_FILE: '/nonexistent/gateways.json' }, /^Error: NEVA_GATEWAY_TOKENS_FILE: cannot read/],
    [{ NEVA_CORE_TLS_KEY: '/x/key.pem' }, /NEVA_CORE_TLS_CERT and NEVA_CORE_TLS_KEY go together/],
    [{ NEVA_OIDC_AUDIENCE: 'neva' }, /NEVA_OIDC_ISSUER, NEVA_OIDC_AUDIENCE and NEVA_OIDC_JWKS_URL go together/],
    [{ NEVA_OIDC_ISSUER: 'a', NEVA_OIDC_AUDIENCE: 'b', NEVA_OIDC_JWKS_URL: 'not a url' }, /^Error: NEVA_OIDC_JWKS_URL: not a URL/],
  ]
  for (const [env, message] of refused) assert.throws(() => coreConfigFromEnv(env), message, JSON.stringify(env))
  // A config given in code is refused by field.
  assert.throws(() => parseCoreConfig({ port: -1 }), /^Error: core config: \/port: expected a whole number from 0 to 65535$/)
})

/** Every .ts file under dir, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : []
  })
}

test('the core reads the environment in config.ts only', () => {
  const readers = sources(join(ROOT, 'core/src'))
    .filter((path) => !path.endsWith(join('core', 'src', 'config.ts')))
    .filter((path) => /\bprocess\s*\.\s*env\b|\bprocess\s*\[\s*['"]env['"]\s*\]|\bfrom\s+['"](node:)?process['"]/.test(readFileSync(path, 'utf8')))
    .map((path) => path.slice(ROOT.length))
  assert.deepEqual(readers, [], 'read variables in core/src/config.ts (CORE_ENVIRONMENT) and pass the section on')
})

test('docs/operations.md lists exactly the variables the core reads', () => {
  const docs = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8')
  const section = (title: string) => {
    const start = docs.indexOf(`\n### ${title}`)
    assert.ok(start >= 0, `docs/operations.md: no section "### ${title}"`)
    const end = docs.indexOf('\n##', start + 1)
    return docs.slice(start, end < 0 ? undefined : end)
  }
  const listed = (text: string) => new Set([...text.matchAll(/^\| ([^|]+) \|/gm)].flatMap((row) => [...row[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)))
  const documented = new Set([...listed(section('ClickHouse')), ...listed(section('The core'))])
  const read = Object.keys(CORE_ENVIRONMENT)
  assert.deepEqual(read.filter((name) => !documented.has(name)), [], 'read by the core, missing from docs/operations.md')
  assert.deepEqual([...listed(section('The core'))].filter((name) => !read.includes(name)), [], 'in the core\'s table, never read by the core')
})

test('the FHIR cursor key: from the variable or a file (trimmed), at least 32 characters, never shown in an error', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'neva-cursor-key-')), 'key')
  writeFileSync(file, `${'f'.repeat(40)}\n`)
  assert.equal(coreConfigFromEnv({ NEVA_FHIR_CURSOR_KEY_FILE: file }).fhir.cursorKey, 'f'.repeat(40))
  assert.equal(coreConfigFromEnv({ NEVA_FHIR_CURSOR_KEY: 'c'.repeat(32) }).fhir.cursorKey, 'c'.repeat(32))
  assert.throws(() => coreConfigFromEnv({ NEVA_FHIR_CURSOR_KEY: 'short-secret' }), (err: Error) => /^NEVA_FHIR_CURSOR_KEY: expected at least 32 characters$/.test(err.message))
})
