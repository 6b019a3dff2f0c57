// Core configuration: one schema with every default (CoreConfigSchema), and the one place the
// core reads the environment (CORE_ENVIRONMENT, coreConfigFromEnv). Validated at start-up; an
// error names the variable (or, for a config given in code, the field) and what was wrong.
// docs/operations.md has the table of variables; a test keeps the two in step.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { EMBEDDED_CACHE_DEFAULTS, EMBEDDED_IDLE_THREADS_DEFAULT, MAX_CACHE_BYTES, MAX_IDLE_THREADS } from '@neva/analytics'
import { SITE_PATTERN } from '@neva/contracts'

/** A name (gateway, admin, system, analyst, scraper) → sha256 (hex) of its bearer token. */
const TokenHashes = Type.Record(Type.String({ minLength: 1 }), Type.String({ pattern: '^[0-9a-f]{64}$' }), { default: {} })
const Whole = (fallback: number) => Type.Integer({ minimum: 1, default: fallback })
const Positive = (fallback: number) => Type.Number({ exclusiveMinimum: 0, default: fallback })
const CacheBytes = (fallback: number) => Type.Integer({ minimum: 0, maximum: MAX_CACHE_BYTES, default: fallback })
const Claim = (fallback: string) => Type.String({ minLength: 1, default: fallback })
const Section = <T extends TProperties>(properties: T) => Type.Object(properties, { default: {}, additionalProperties: false })
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export const OidcConfigSchema = Type.Object(
  {
    issuer: Type.String({ minLength: 1 }),
    audience: Type.String({ minLength: 1 }),
    /** https, or plain http on this machine only (tests). */
    jwksUrl: Type.String({ minLength: 1 }),
    /** Claim names holding the roles, "site/ward" grants, site grants and the display name. */
    rolesClaim: Claim('roles'),
    wardsClaim: Claim('wards'),
    sitesClaim: Claim('sites'),
    nameClaim: Claim('name'),
  },
  { additionalProperties: false },
)
export type OidcConfig = Static<typeof OidcConfigSchema>

export const PeopleConfigSchema = Section({
  /** A session ends this long after login (seconds): one shift plus handover. */
  sessionTtlS: Whole(12 * 3600),
  /**
   * Failed logins tolerated within loginWindowS, then 429 (docs/security/sessions.md): per account
   * from one address (that address is locked out of that account, not the owner's), per address
   * (whatever the accounts), and per account from all addresses together (a higher threshold;
   * addresses the account logged in from in the last 30 days are exempt).
   */
  loginFailuresPerAccount: Whole(5),
  loginFailuresPerAddress: Whole(20),
  loginFailuresPerAccountTotal: Whole(50),
  loginWindowS: Whole(15 * 60),
  /** Requests to POST /login per address per minute, failed or not. */
  loginRequestsPerMinute: Whole(30),
  /** How often accounts and cached sessions are re-read in full from ClickHouse (a safety net under changesPollMs). */
  usersRefreshS: Whole(15),
  /** How often people_changes is polled (ms): a logout or a disabled account made on another core reaches this one within about this long plus one query. */
  changesPollMs: Whole(500),
  /** The origin browsers use to reach the core (behind a proxy); else derived from each request. */
  publicOrigin: Type.Optional(Type.String({ pattern: '^https?://[^/]+$', expected: 'scheme://host[:port] with no path' })),
  oidc: Type.Optional(OidcConfigSchema),
})
export type PeopleConfig = Static<typeof PeopleConfigSchema>

export const CoreConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /** @neva/analytics ClickHouseConfig: a server (url) or, without one, embedded chdb under path. */
    clickhouse: Section({
      url: Type.Optional(Type.String()),
      username: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
      database: Type.Optional(Type.String()),
      path: Type.Optional(Type.String()),
      /** Byte limits of the embedded engine's caches (ignored on a server, which has its own config). */
      embeddedCaches: Section({
        markCacheBytes: CacheBytes(EMBEDDED_CACHE_DEFAULTS.markCacheBytes),
        primaryIndexCacheBytes: CacheBytes(EMBEDDED_CACHE_DEFAULTS.primaryIndexCacheBytes),
        indexMarkCacheBytes: CacheBytes(EMBEDDED_CACHE_DEFAULTS.indexMarkCacheBytes),
        queryConditionCacheBytes: CacheBytes(EMBEDDED_CACHE_DEFAULTS.queryConditionCacheBytes),
        compiledExpressionCacheBytes: CacheBytes(EMBEDDED_CACHE_DEFAULTS.compiledExpressionCacheBytes),
      }),
      /** Idle threads the embedded engine keeps for the next query; those above exit (ignored on a server). */
      embeddedIdleThreads: Type.Integer({ minimum: 0, maximum: MAX_IDLE_THREADS, default: EMBEDDED_IDLE_THREADS_DEFAULT }),
    }),
    gateways: TokenHashes,
    /**
     * gateway id → the sites it serves: a transport from a gateway may only name one of these as its
     * destination (the ED board of that site); any other is kept aside. A gateway not listed here
     * puts no one on an ED board.
     */
    gatewaySites: Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ pattern: SITE_PATTERN })), { default: {} }),
    /** May manage triage models. */
    admins: TokenHashes,
    /** Hospital systems: may send record events and ask for decision support. */
    emrSystems: TokenHashes,
    /** May run analyst SQL and named queries. */
    analysts: TokenHashes,
    /** May read /metrics (so may an admin's session). */
    metricsTokens: TokenHashes,
    logLevel: Type.Union(LOG_LEVELS.map((level) => Type.Literal(level)), { default: 'info', expected: `one of ${LOG_LEVELS.join(', ')}` }),
    /** Largest request body accepted, in bytes. */
    bodyLimit: Whole(32 * 1024 * 1024),
    people: PeopleConfigSchema,
    /** /v1/analytics: what one analyst query may use, queries per analyst, the analyst path's secrets. */
    analytics: Section({
      limits: Section({ maxMemoryBytes: Positive(1_000_000_000) }),
      /** A token bucket per analyst: `burst` queries, refilled at `perMinute`. */
      rate: Section({ perMinute: Positive(120), burst: Positive(60) }),
      /** @neva/analytics AnalystOptions: the pseudonym secret; the ClickHouse user analyst queries run as on a server. */
      analyst: Section({
        secret: Type.Optional(Type.String()),
        username: Type.Optional(Type.String()),
        password: Type.Optional(Type.String()),
      }),
    }),
    /**
     * POST /v1/ingest when many gateways flush backlogs at once: batches (and their bodies' bytes)
     * handled at once; beyond either, 429 with Retry-After (seconds) and the gateway backs off.
     */
    ingest: Section({
      maxInFlightBatches: Whole(8),
      maxInFlightBytes: Whole(64 * 1024 * 1024),
      retryAfterS: Whole(1),
    }),
    /**
     * The boards' live streams (GET /v1/live): at most maxStreamsPerUser per user (429
     * NEVA_CORE_TOO_MANY_STREAMS) and maxStreams on this core (503 NEVA_CORE_LIVE_FULL); a client
     * whose unsent bytes pass maxBufferedBytes is dropped (failure NEVA_CORE_STREAM_TOO_SLOW).
     */
    live: Section({
      maxStreams: Whole(1000),
      maxStreamsPerUser: Whole(4),
      maxBufferedBytes: Whole(4 * 1024 * 1024),
    }),
    /**
     * A known gateway (a configured or issued token) that presents its token to no request for
     * longer than `silenceS` is a technical alarm at the core, ended by its next request
     * (docs/devices.md). Twice the gateways' model sync (60 s), so an idle gateway is not silent.
     * 0: off; `perGateway` overrides (0: that gateway not supervised).
     */
    gatewaySupervision: Section({
      silenceS: Type.Number({ minimum: 0, default: 120 }),
      perGateway: Type.Record(Type.String({ minLength: 1 }), Type.Number({ minimum: 0 }), { default: {} }),
      checkEveryMs: Whole(1000),
    }),
    /**
     * FHIR paging cursors are signed with cursorKey (at least 32 characters; a file's contents with
     * NEVA_FHIR_CURSOR_KEY_FILE), so they outlive a restart and work on every core sharing the key.
     * Absent: a key file in the embedded ClickHouse's directory (made once), or, on a ClickHouse server, a
     * key per process.
     */
    fhir: Section({ cursorKey: Type.Optional(Type.String({ minLength: 32, expected: 'at least 32 characters' })) }),
    /** HTTPS: PEM certificate chain and private key (file contents). */
    tls: Type.Optional(Type.Object({ cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
)
export type CoreConfig = Static<typeof CoreConfigSchema>

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> | undefined } : T
/** A config as code gives it: anything left out takes the schema's default. */
export type CoreConfigInput = DeepPartial<CoreConfig>

export const PEOPLE_DEFAULTS: PeopleConfig = Value.Default(PeopleConfigSchema, {}) as PeopleConfig

interface Problem {
  path: string
  schema: TSchema
  message: string
}

/** Defaults filled in, then checked: the first problem, or the config. */
function check(input: unknown): { config: CoreConfig; problem?: never } | { problem: Problem; config?: never } {
  const config = Value.Default(CoreConfigSchema, structuredClone(input ?? {})) as CoreConfig
  const first = Value.Errors(CoreConfigSchema, config).First()
  if (first) return { problem: { path: first.path, schema: first.schema, message: first.message } }
  const url = config.people.oidc?.jwksUrl
  if (url !== undefined) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return { problem: { path: '/people/oidc/jwksUrl', schema: Type.String(), message: `not a URL: ${url}` } }
    }
    if (parsed.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
      return { problem: { path: '/people/oidc/jwksUrl', schema: Type.String(), message: 'must be https (plain http only on this machine, for tests)' } }
    }
  }
  return { config }
}

/** What a value should have been, in words, from its schema. */
function expectation(schema: TSchema): string | undefined {
  if (typeof schema.expected === 'string') return `expected ${schema.expected}`
  if (schema.type === 'integer') {
    return schema.maximum === undefined ? `expected a whole number > ${Number(schema.minimum) - 1}` : `expected a whole number from ${schema.minimum} to ${schema.maximum}`
  }
  if (schema.type === 'number' && schema.exclusiveMinimum !== undefined) return `expected a number > ${schema.exclusiveMinimum}`
  return undefined
}

/** A config given in code (tests, benchmarks, the demo): defaults filled in, validated. */
export function parseCoreConfig(input: CoreConfigInput = {}, origin = 'core config'): CoreConfig {
  const { config, problem } = check(input)
  if (problem) throw new Error(`${origin}: ${problem.path || '/'}: ${expectation(problem.schema) ?? problem.message}`)
  return config
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

const SITE_RE = new RegExp(SITE_PATTERN)

/** "gw-1=token1,gw-2=token2": plain tokens, hashed here. */
export function parseGatewayTokens(spec: string, variable = 'NEVA_GATEWAY_TOKENS'): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0 || eq === part.length - 1) throw new Error(`${variable}: expected "name=token", got ${JSON.stringify(part)}`)
    out[part.slice(0, eq)] = hashToken(part.slice(eq + 1))
  }
  return out
}

/** "gw-1=City Hospital 1|City Hospital 2,gw-2=Polyclinic 3": the sites each gateway serves. */
export function parseGatewaySites(spec: string, variable = 'NEVA_GATEWAY_SITES'): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0 || eq === part.length - 1) throw new Error(`${variable}: expected "gateway=site|site", got ${JSON.stringify(part)}`)
    const sites = part.slice(eq + 1).split('|').map((s) => s.trim())
    const bad = sites.find((s) => !SITE_RE.test(s))
    if (bad !== undefined) throw new Error(`${variable}: ${JSON.stringify(bad)} is not a site name (${SITE_PATTERN})`)
    out[part.slice(0, eq).trim()] = [...(out[part.slice(0, eq).trim()] ?? []), ...sites]
  }
  return out
}

function readText(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`${variable}: cannot read ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** JSON { "gw-1": { "token_sha256": "…", "sites": ["City Hospital 1"] } }. */
function gatewaysFromFile(path: string, variable: string): { tokens: Record<string, string>; sites: Record<string, string[]> } {
  let parsed: Record<string, { token_sha256?: unknown; sites?: unknown }>
  try {
    parsed = JSON.parse(readText(path, variable)) as typeof parsed
  } catch (err) {
    if ((err as Error).message.startsWith(variable)) throw err
    throw new Error(`${variable}: ${path}: not JSON: ${(err as Error).message}`, { cause: err })
  }
  const tokens: Record<string, string> = {}
  const sites: Record<string, string[]> = {}
  for (const [id, entry] of Object.entries(parsed)) {
    if (typeof entry?.token_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.token_sha256)) {
      throw new Error(`${variable}: ${path}: gateway ${id}: token_sha256 must be 64 hex digits`)
    }
    tokens[id] = entry.token_sha256
    if (entry.sites !== undefined) {
      if (!Array.isArray(entry.sites) || !entry.sites.every((s) => typeof s === 'string' && SITE_RE.test(s))) {
        throw new Error(`${variable}: ${path}: gateway ${id}: sites must be a list of site names (${SITE_PATTERN})`)
      }
      sites[id] = entry.sites as string[]
    }
  }
  return { tokens, sites }
}

/**
 * How a variable's text is read: as it is (`secret`: never repeated in an error), as a number,
 * as "name=token,…" (hashed), as "gateway=site|site,…", or as the contents of the file it names.
 */
type Reading = 'text' | 'secret' | 'number' | 'tokens' | 'sites' | 'file'

/**
 * Every environment variable the core reads, and where it goes in CoreConfig (a JSON pointer).
 * Unset or empty: the schema's default. NEVA_GATEWAY_TOKENS_FILE fills /gateways and
 * /gatewaySites; NEVA_GATEWAY_TOKENS and NEVA_GATEWAY_SITES add to (and win over) it.
 */
export const CORE_ENVIRONMENT = {
  NEVA_CORE_HOST: { path: '/host', read: 'text' },
  NEVA_CORE_PORT: { path: '/port', read: 'number' },
  NEVA_LOG_LEVEL: { path: '/logLevel', read: 'text' },
  NEVA_CORE_TLS_CERT: { path: '/tls/cert', read: 'file' },
  NEVA_CORE_TLS_KEY: { path: '/tls/key', read: 'file' },
  NEVA_CORE_PUBLIC_ORIGIN: { path: '/people/publicOrigin', read: 'text' },
  CLICKHOUSE_URL: { path: '/clickhouse/url', read: 'text' },
  CLICKHOUSE_USER: { path: '/clickhouse/username', read: 'text' },
  CLICKHOUSE_PASSWORD: { path: '/clickhouse/password', read: 'secret' },
  CLICKHOUSE_DATABASE: { path: '/clickhouse/database', read: 'text' },
  NEVA_CLICKHOUSE_PATH: { path: '/clickhouse/path', read: 'text' },
  NEVA_CLICKHOUSE_MARK_CACHE_BYTES: { path: '/clickhouse/embeddedCaches/markCacheBytes', read: 'number' },
  NEVA_CLICKHOUSE_PRIMARY_INDEX_CACHE_BYTES: { path: '/clickhouse/embeddedCaches/primaryIndexCacheBytes', read: 'number' },
  NEVA_CLICKHOUSE_INDEX_MARK_CACHE_BYTES: { path: '/clickhouse/embeddedCaches/indexMarkCacheBytes', read: 'number' },
  NEVA_CLICKHOUSE_QUERY_CONDITION_CACHE_BYTES: { path: '/clickhouse/embeddedCaches/queryConditionCacheBytes', read: 'number' },
  NEVA_CLICKHOUSE_COMPILED_EXPRESSION_CACHE_BYTES: { path: '/clickhouse/embeddedCaches/compiledExpressionCacheBytes', read: 'number' },
  NEVA_CLICKHOUSE_IDLE_THREADS: { path: '/clickhouse/embeddedIdleThreads', read: 'number' },
  NEVA_GATEWAY_TOKENS_FILE: { path: '/gateways', read: 'file' },
  NEVA_GATEWAY_TOKENS: { path: '/gateways', read: 'tokens' },
  NEVA_GATEWAY_SITES: { path: '/gatewaySites', read: 'sites' },
  NEVA_ADMIN_TOKENS: { path: '/admins', read: 'tokens' },
  NEVA_EMR_TOKENS: { path: '/emrSystems', read: 'tokens' },
  NEVA_ANALYST_TOKENS: { path: '/analysts', read: 'tokens' },
  NEVA_METRICS_TOKENS: { path: '/metricsTokens', read: 'tokens' },
  NEVA_ANALYST_MAX_MEMORY_BYTES: { path: '/analytics/limits/maxMemoryBytes', read: 'number' },
  NEVA_ANALYST_RATE_PER_MINUTE: { path: '/analytics/rate/perMinute', read: 'number' },
  NEVA_ANALYST_RATE_BURST: { path: '/analytics/rate/burst', read: 'number' },
  NEVA_PSEUDONYM_KEY: { path: '/analytics/analyst/secret', read: 'secret' },
  CLICKHOUSE_ANALYST_USER: { path: '/analytics/analyst/username', read: 'text' },
  CLICKHOUSE_ANALYST_PASSWORD: { path: '/analytics/analyst/password', read: 'secret' },
  NEVA_SESSION_TTL_S: { path: '/people/sessionTtlS', read: 'number' },
  NEVA_LOGIN_FAILURES_PER_ACCOUNT: { path: '/people/loginFailuresPerAccount', read: 'number' },
  NEVA_LOGIN_FAILURES_PER_ADDRESS: { path: '/people/loginFailuresPerAddress', read: 'number' },
  NEVA_LOGIN_FAILURES_PER_ACCOUNT_TOTAL: { path: '/people/loginFailuresPerAccountTotal', read: 'number' },
  NEVA_LOGIN_WINDOW_S: { path: '/people/loginWindowS', read: 'number' },
  NEVA_LOGIN_REQUESTS_PER_MINUTE: { path: '/people/loginRequestsPerMinute', read: 'number' },
  NEVA_USERS_REFRESH_S: { path: '/people/usersRefreshS', read: 'number' },
  NEVA_PEOPLE_POLL_MS: { path: '/people/changesPollMs', read: 'number' },
  NEVA_OIDC_ISSUER: { path: '/people/oidc/issuer', read: 'text' },
  NEVA_OIDC_AUDIENCE: { path: '/people/oidc/audience', read: 'text' },
  NEVA_OIDC_JWKS_URL: { path: '/people/oidc/jwksUrl', read: 'text' },
  NEVA_OIDC_ROLES_CLAIM: { path: '/people/oidc/rolesClaim', read: 'text' },
  NEVA_OIDC_WARDS_CLAIM: { path: '/people/oidc/wardsClaim', read: 'text' },
  NEVA_OIDC_SITES_CLAIM: { path: '/people/oidc/sitesClaim', read: 'text' },
  NEVA_OIDC_NAME_CLAIM: { path: '/people/oidc/nameClaim', read: 'text' },
  NEVA_INGEST_MAX_IN_FLIGHT_BATCHES: { path: '/ingest/maxInFlightBatches', read: 'number' },
  NEVA_INGEST_MAX_IN_FLIGHT_BYTES: { path: '/ingest/maxInFlightBytes', read: 'number' },
  NEVA_INGEST_RETRY_AFTER_S: { path: '/ingest/retryAfterS', read: 'number' },
  NEVA_LIVE_MAX_STREAMS: { path: '/live/maxStreams', read: 'number' },
  NEVA_LIVE_MAX_STREAMS_PER_USER: { path: '/live/maxStreamsPerUser', read: 'number' },
  NEVA_LIVE_MAX_BUFFERED_BYTES: { path: '/live/maxBufferedBytes', read: 'number' },
  NEVA_GATEWAY_SILENCE_S: { path: '/gatewaySupervision/silenceS', read: 'number' },
  NEVA_FHIR_CURSOR_KEY: { path: '/fhir/cursorKey', read: 'secret' },
  NEVA_FHIR_CURSOR_KEY_FILE: { path: '/fhir/cursorKey', read: 'file' },
} as const satisfies Record<string, { path: string; read: Reading }>

export type CoreVariable = keyof typeof CORE_ENVIRONMENT

function place(target: Record<string, unknown>, pointer: string, value: unknown): void {
  const keys = pointer.split('/').slice(1)
  let at = target
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>
  const last = keys[keys.length - 1]!
  const before = at[last]
  // Two variables filling one record (a file, then the list): the list's entries win.
  at[last] = typeof before === 'object' && before !== null ? { ...before, ...(value as object) } : value
}

/** Variables that only make sense together: all or none. */
const TOGETHER: { names: CoreVariable[]; message: string }[] = [
  { names: ['NEVA_CORE_TLS_CERT', 'NEVA_CORE_TLS_KEY'], message: 'NEVA_CORE_TLS_CERT and NEVA_CORE_TLS_KEY go together: both PEM file paths, or neither' },
  { names: ['NEVA_OIDC_ISSUER', 'NEVA_OIDC_AUDIENCE', 'NEVA_OIDC_JWKS_URL'], message: 'NEVA_OIDC_ISSUER, NEVA_OIDC_AUDIENCE and NEVA_OIDC_JWKS_URL go together: set all three or none' },
]

/**
 * The core's configuration from the environment (the only place the core reads it), over the
 * schema's defaults; `overrides` replace whole top-level sections (the demo, `neva core` flags).
 * Throws an Error naming the variable and what was wrong with it.
 */
export function coreConfigFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: CoreConfigInput = {}): CoreConfig {
  const set = (name: CoreVariable): string | undefined => (env[name] === '' ? undefined : env[name])
  for (const group of TOGETHER) {
    const given = group.names.filter((name) => set(name) !== undefined).length
    if (given > 0 && given < group.names.length) throw new Error(group.message)
  }
  const input: Record<string, unknown> = {}
  // The OIDC claims only matter, and are only read, with a provider configured.
  const oidc = set('NEVA_OIDC_ISSUER') !== undefined
  for (const [name, { path, read }] of Object.entries(CORE_ENVIRONMENT) as [CoreVariable, (typeof CORE_ENVIRONMENT)[CoreVariable]][]) {
    const raw = set(name)
    if (raw === undefined || (!oidc && path.startsWith('/people/oidc/'))) continue
    switch (read) {
      case 'text':
      case 'secret':
        place(input, path, raw)
        break
      case 'number':
        place(input, path, Number(raw))
        break
      case 'tokens':
        place(input, path, parseGatewayTokens(raw, name))
        break
      case 'sites':
        place(input, path, parseGatewaySites(raw, name))
        break
      case 'file':
        if (name === 'NEVA_GATEWAY_TOKENS_FILE') {
          const { tokens, sites } = gatewaysFromFile(raw, name)
          place(input, '/gateways', tokens)
          place(input, '/gatewaySites', sites)
        } else place(input, path, name === 'NEVA_FHIR_CURSOR_KEY_FILE' ? readText(raw, name).trim() : readText(raw, name))
        break
      default:
        throw new Error(`unhandled reading ${read satisfies never}`)
    }
  }
  const { config, problem } = check({ ...input, ...overrides })
  if (!problem) return config
  const variable = (Object.keys(CORE_ENVIRONMENT) as CoreVariable[]).find((name) => CORE_ENVIRONMENT[name].path === problem.path && set(name) !== undefined && !(problem.path.split('/')[1]! in overrides))
  if (!variable) throw new Error(`core config: ${problem.path || '/'}: ${expectation(problem.schema) ?? problem.message}`)
  const shown = CORE_ENVIRONMENT[variable].read === 'secret' ? '' : `, got ${JSON.stringify(set(variable))}`
  throw new Error(`${variable}: ${expectation(problem.schema) ?? problem.message}${shown}`)
}
