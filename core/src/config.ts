// Core configuration: every default in one place, validated at start-up.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { clickhouseConfigFromEnv, type ClickHouseConfig } from '@neva/analytics'

export interface CoreConfig {
  host: string
  port: number
  clickhouse: ClickHouseConfig
  /** gateway id → sha256 (hex) of its bearer token. */
  gateways: Record<string, string>
  /** admin name → sha256 (hex) of its bearer token; may manage triage models. */
  admins?: Record<string, string>
  /** hospital system name → sha256 (hex) of its bearer token; may send record events. */
  emrSystems?: Record<string, string>
  /** analyst name → sha256 (hex) of its bearer token; may run analyst SQL and named queries. */
  analysts?: Record<string, string>
  logLevel: string
  /** Largest ingest body accepted, in bytes. */
  bodyLimit: number
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

function gatewaysFromFile(path: string): Record<string, string> {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { token_sha256?: unknown }>
  const out: Record<string, string> = {}
  for (const [id, entry] of Object.entries(parsed)) {
    if (typeof entry?.token_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.token_sha256)) {
      throw new Error(`${path}: gateway ${id}: token_sha256 must be 64 hex digits`)
    }
    out[id] = entry.token_sha256
  }
  return out
}

export function coreConfigFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<CoreConfig> = {}): CoreConfig {
  const port = env.NEVA_CORE_PORT ? Number(env.NEVA_CORE_PORT) : CORE_DEFAULTS.port
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`NEVA_CORE_PORT: not a port: ${env.NEVA_CORE_PORT}`)
  const gateways = {
    ...(env.NEVA_GATEWAY_TOKENS_FILE ? gatewaysFromFile(env.NEVA_GATEWAY_TOKENS_FILE) : {}),
    ...(env.NEVA_GATEWAY_TOKENS ? parseGatewayTokens(env.NEVA_GATEWAY_TOKENS) : {}),
  }
  return {
    host: env.NEVA_CORE_HOST || CORE_DEFAULTS.host,
    port,
    clickhouse: clickhouseConfigFromEnv(env),
    gateways,
    admins: env.NEVA_ADMIN_TOKENS ? parseGatewayTokens(env.NEVA_ADMIN_TOKENS, 'NEVA_ADMIN_TOKENS') : {},
    emrSystems: env.NEVA_EMR_TOKENS ? parseGatewayTokens(env.NEVA_EMR_TOKENS, 'NEVA_EMR_TOKENS') : {},
    analysts: env.NEVA_ANALYST_TOKENS ? parseGatewayTokens(env.NEVA_ANALYST_TOKENS, 'NEVA_ANALYST_TOKENS') : {},
    logLevel: env.NEVA_LOG_LEVEL || CORE_DEFAULTS.logLevel,
    bodyLimit: CORE_DEFAULTS.bodyLimit,
    ...overrides,
  }
}
