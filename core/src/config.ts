// Core configuration: every default in one place, validated at start-up.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { clickhouseConfigFromEnv, type ClickHouseConfig } from '@neva/analytics'
import { SITE_PATTERN } from '@neva/contracts'

export interface CoreConfig {
  host: string
  port: number
  clickhouse: ClickHouseConfig
  /** gateway id → sha256 (hex) of its bearer token. */
  gateways: Record<string, string>
  /**
   * gateway id → the sites it serves: a transport from a gateway may only name one of these as its
   * destination (the ED board of that site); any other is kept aside. A gateway not listed here
   * puts no one on an ED board. NEVA_GATEWAY_SITES, or "sites" in NEVA_GATEWAY_TOKENS_FILE.
   */
  gatewaySites?: Record<string, string[]>
  /** admin name → sha256 (hex) of its bearer token; may manage triage models. */
  admins?: Record<string, string>
  /** hospital system name → sha256 (hex) of its bearer token; may send record events. */
  emrSystems?: Record<string, string>
  /** analyst name → sha256 (hex) of its bearer token; may run analyst SQL and named queries. */
  analysts?: Record<string, string>
  /** scraper name → sha256 (hex) of its bearer token; may read /metrics (so may an admin's session). */
  metricsTokens?: Record<string, string>
  logLevel: string
  /** Largest ingest body accepted, in bytes. */
  bodyLimit: number
  /** People: sessions, login limits, OIDC. Defaults in PEOPLE_DEFAULTS. */
  people?: Partial<PeopleConfig>
  /** HTTPS: PEM certificate chain and private key (file contents). */
  tls?: { cert: string; key: string }
}

export interface OidcConfig {
  issuer: string
  audience: string
  jwksUrl: string
  /** Claim names holding the roles, "site/ward" grants, site grants and the display name. */
  rolesClaim: string
  wardsClaim: string
  sitesClaim: string
  nameClaim: string
}

export interface PeopleConfig {
  /** A session ends this long after login (seconds): one shift plus handover. */
  sessionTtlS: number
  /**
   * Failed logins tolerated within loginWindowS, then 429 (docs/security/sessions.md): per account
   * from one address (that address is locked out of that account, not the owner's), per address
   * (whatever the accounts), and per account from all addresses together (a higher threshold;
   * addresses the account logged in from in the last 30 days are exempt).
   */
  loginFailuresPerAccount: number
  loginFailuresPerAddress: number
  loginFailuresPerAccountTotal: number
  loginWindowS: number
  /** Requests to POST /login per address per minute, failed or not. */
  loginRequestsPerMinute: number
  /** How often accounts and cached sessions are re-read in full from ClickHouse (a safety net under changesPollMs). */
  usersRefreshS: number
  /** How often people_changes is polled (ms): a logout or a disabled account made on another core reaches this one within about this long plus one query. */
  changesPollMs: number
  /** The origin browsers use to reach the core (behind a proxy); else derived from each request. */
  publicOrigin?: string
  oidc?: OidcConfig
}

export const PEOPLE_DEFAULTS: PeopleConfig = {
  sessionTtlS: 12 * 3600,
  loginFailuresPerAccount: 5,
  loginFailuresPerAddress: 20,
  loginFailuresPerAccountTotal: 50,
  loginWindowS: 15 * 60,
  loginRequestsPerMinute: 30,
  usersRefreshS: 15,
  changesPollMs: 500,
}

export const CORE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  logLevel: 'info',
  bodyLimit: 32 * 1024 * 1024,
} as const

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Parses gateway credentials: "gw-1=token1,gw-2=token2" (plain tokens, hashed here) or,
 * with NEVA_GATEWAY_TOKENS_FILE, a JSON object { "gw-1": { "token_sha256": "…" } }.
 */
export function parseGatewayTokens(spec: string, variable = 'NEVA_GATEWAY_TOKENS'): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=')
    if (eq <= 0 || eq === part.length - 1) throw new Error(`${variable}: expected "name=token", got ${JSON.stringify(part)}`)
    out[part.slice(0, eq)] = hashToken(part.slice(eq + 1))
  }
  return out
}

function gatewaysFromFile(path: string): { tokens: Record<string, string>; sites: Record<string, string[]> } {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { token_sha256?: unknown; sites?: unknown }>
  const tokens: Record<string, string> = {}
  const sites: Record<string, string[]> = {}
  for (const [id, entry] of Object.entries(parsed)) {
    if (typeof entry?.token_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.token_sha256)) {
      throw new Error(`${path}: gateway ${id}: token_sha256 must be 64 hex digits`)
    }
    tokens[id] = entry.token_sha256
    if (entry.sites !== undefined) {
      if (!Array.isArray(entry.sites) || !entry.sites.every((s) => typeof s === 'string' && SITE_RE.test(s))) {
        throw new Error(`${path}: gateway ${id}: sites must be a list of site names (${SITE_PATTERN})`)
      }
      sites[id] = entry.sites as string[]
    }
  }
  return { tokens, sites }
}

const SITE_RE = new RegExp(SITE_PATTERN)

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

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: expected a whole number > 0, got ${JSON.stringify(raw)}`)
  return n
}

function oidcFromEnv(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const { NEVA_OIDC_ISSUER: issuer, NEVA_OIDC_AUDIENCE: audience, NEVA_OIDC_JWKS_URL: jwksUrl } = env
  if (!issuer && !audience && !jwksUrl) return undefined
  if (!issuer || !audience || !jwksUrl) throw new Error('NEVA_OIDC_ISSUER, NEVA_OIDC_AUDIENCE and NEVA_OIDC_JWKS_URL go together: set all three or none')
  let url: URL
  try {
    url = new URL(jwksUrl)
  } catch {
    throw new Error(`NEVA_OIDC_JWKS_URL: not a URL: ${jwksUrl}`)
  }
  if (url.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error('NEVA_OIDC_JWKS_URL: must be https (plain http only on this machine, for tests)')
  }
  return {
    issuer,
    audience,
    jwksUrl,
    rolesClaim: env.NEVA_OIDC_ROLES_CLAIM || 'roles',
    wardsClaim: env.NEVA_OIDC_WARDS_CLAIM || 'wards',
    sitesClaim: env.NEVA_OIDC_SITES_CLAIM || 'sites',
    nameClaim: env.NEVA_OIDC_NAME_CLAIM || 'name',
  }
}

export function peopleConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PeopleConfig {
  const origin = env.NEVA_CORE_PUBLIC_ORIGIN
  if (origin !== undefined && origin !== '' && !/^https?:\/\/[^/]+$/.test(origin)) {
    throw new Error(`NEVA_CORE_PUBLIC_ORIGIN: expected scheme://host[:port] with no path, got ${JSON.stringify(origin)}`)
  }
  const oidc = oidcFromEnv(env)
  return {
    sessionTtlS: positive(env, 'NEVA_SESSION_TTL_S', PEOPLE_DEFAULTS.sessionTtlS),
    loginFailuresPerAccount: positive(env, 'NEVA_LOGIN_FAILURES_PER_ACCOUNT', PEOPLE_DEFAULTS.loginFailuresPerAccount),
    loginFailuresPerAddress: positive(env, 'NEVA_LOGIN_FAILURES_PER_ADDRESS', PEOPLE_DEFAULTS.loginFailuresPerAddress),
    loginFailuresPerAccountTotal: positive(env, 'NEVA_LOGIN_FAILURES_PER_ACCOUNT_TOTAL', PEOPLE_DEFAULTS.loginFailuresPerAccountTotal),
    loginWindowS: positive(env, 'NEVA_LOGIN_WINDOW_S', PEOPLE_DEFAULTS.loginWindowS),
    loginRequestsPerMinute: positive(env, 'NEVA_LOGIN_REQUESTS_PER_MINUTE', PEOPLE_DEFAULTS.loginRequestsPerMinute),
    usersRefreshS: positive(env, 'NEVA_USERS_REFRESH_S', PEOPLE_DEFAULTS.usersRefreshS),
    changesPollMs: positive(env, 'NEVA_PEOPLE_POLL_MS', PEOPLE_DEFAULTS.changesPollMs),
    ...(origin ? { publicOrigin: origin } : {}),
    ...(oidc ? { oidc } : {}),
  }
}

function tlsFromEnv(env: NodeJS.ProcessEnv): CoreConfig['tls'] {
  const { NEVA_CORE_TLS_CERT: cert, NEVA_CORE_TLS_KEY: key } = env
  if (!cert && !key) return undefined
  if (!cert || !key) throw new Error('NEVA_CORE_TLS_CERT and NEVA_CORE_TLS_KEY go together: both PEM file paths, or neither')
  const read = (path: string, name: string) => {
    try {
      return readFileSync(path, 'utf8')
    } catch (err) {
      throw new Error(`${name}: cannot read ${path}: ${(err as Error).message}`)
    }
  }
  return { cert: read(cert, 'NEVA_CORE_TLS_CERT'), key: read(key, 'NEVA_CORE_TLS_KEY') }
}

export function coreConfigFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<CoreConfig> = {}): CoreConfig {
  const port = env.NEVA_CORE_PORT ? Number(env.NEVA_CORE_PORT) : CORE_DEFAULTS.port
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`NEVA_CORE_PORT: not a port: ${env.NEVA_CORE_PORT}`)
  const fromFile = env.NEVA_GATEWAY_TOKENS_FILE ? gatewaysFromFile(env.NEVA_GATEWAY_TOKENS_FILE) : { tokens: {}, sites: {} }
  const gateways = {
    ...fromFile.tokens,
    ...(env.NEVA_GATEWAY_TOKENS ? parseGatewayTokens(env.NEVA_GATEWAY_TOKENS) : {}),
  }
  const gatewaySites = { ...fromFile.sites, ...(env.NEVA_GATEWAY_SITES ? parseGatewaySites(env.NEVA_GATEWAY_SITES) : {}) }
  const tls = tlsFromEnv(env)
  return {
    host: env.NEVA_CORE_HOST || CORE_DEFAULTS.host,
    port,
    clickhouse: clickhouseConfigFromEnv(env),
    gateways,
    gatewaySites,
    admins: env.NEVA_ADMIN_TOKENS ? parseGatewayTokens(env.NEVA_ADMIN_TOKENS, 'NEVA_ADMIN_TOKENS') : {},
    emrSystems: env.NEVA_EMR_TOKENS ? parseGatewayTokens(env.NEVA_EMR_TOKENS, 'NEVA_EMR_TOKENS') : {},
    analysts: env.NEVA_ANALYST_TOKENS ? parseGatewayTokens(env.NEVA_ANALYST_TOKENS, 'NEVA_ANALYST_TOKENS') : {},
    metricsTokens: env.NEVA_METRICS_TOKENS ? parseGatewayTokens(env.NEVA_METRICS_TOKENS, 'NEVA_METRICS_TOKENS') : {},
    logLevel: env.NEVA_LOG_LEVEL || CORE_DEFAULTS.logLevel,
    bodyLimit: CORE_DEFAULTS.bodyLimit,
    people: peopleConfigFromEnv(env),
    ...(tls ? { tls } : {}),
    ...overrides,
  }
}
