// The one switch between embedded ClickHouse (chdb, in-process) and a ClickHouse server.
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { embeddedCacheArgs, embeddedIdleThreadArgs, type EmbeddedCaches } from './embedded-limits.js'
import { seedEmbeddedStore } from './embedded-seed.js'
import { UnsafeSettingError } from './errors.js'

export interface ClickHouseConfig {
  /** A server, e.g. http://127.0.0.1:8123. Absent: embedded chdb under `path`. */
  url?: string | undefined
  username?: string | undefined
  password?: string | undefined
  database?: string | undefined
  /** Data directory of the embedded engine. */
  path?: string | undefined
  /** Byte limits of the embedded engine's caches (absent: EMBEDDED_CACHE_DEFAULTS). */
  embeddedCaches?: Partial<EmbeddedCaches> | undefined
  /** Idle threads the embedded engine keeps (absent: EMBEDDED_IDLE_THREADS_DEFAULT). */
  embeddedIdleThreads?: number | undefined
}

export interface ClickHouse {
  readonly client: ClickHouseClient
  readonly kind: 'embedded' | 'server'
  /** Where the data lives: a directory or a URL (without credentials). */
  readonly location: string
  close(): Promise<void>
}

export const DEFAULT_EMBEDDED_PATH = './data/clickhouse'

export function clickhouseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ClickHouseConfig {
  return {
    url: env.CLICKHOUSE_URL || undefined,
    username: env.CLICKHOUSE_USER || undefined,
    password: env.CLICKHOUSE_PASSWORD || undefined,
    database: env.CLICKHOUSE_DATABASE || undefined,
    path: env.NEVA_CLICKHOUSE_PATH || undefined,
  }
}

export async function connectClickHouse(config: ClickHouseConfig = {}): Promise<ClickHouse> {
  if (config.url) {
    const url = new URL(config.url)
    const database = config.database ?? 'neva'
    // The database must exist before a client can be bound to it.
    const bootstrap = createClient({ url: config.url, username: config.username, password: config.password })
    try {
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` })
    } finally {
      await bootstrap.close()
    }
    const client = createClient({
      url: config.url,
      username: config.username,
      password: config.password,
      database,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    })
    return { client, kind: 'server', location: `${url.protocol}//${url.host}/${database}`, close: () => client.close() }
  }
  const path = resolve(config.path ?? DEFAULT_EMBEDDED_PATH)
  seedEmbeddedStore(path)
  mkdirSync(path, { recursive: true })
  // chdb is loaded lazily: it is large and a server deployment never needs it.
  const { createChdbConnection } = await import('chdb/connection')
  const { Session } = await import('chdb')
  // Checked before opening: a bad limit is refused by its name, not taken for a locked directory.
  const connectionArgs = [...embeddedCacheArgs(config.embeddedCaches), ...embeddedIdleThreadArgs(config.embeddedIdleThreads)]
  let connection
  let configured: { close(): void } | undefined
  try {
    // The first connection to a directory starts the process's one engine with its arguments;
    // chdb's client adapter takes none, so a session opened first carries the limits.
    configured = new Session(path, { connectionArgs })
    connection = createChdbConnection({ path })
  } catch (cause) {
    configured?.close()
    throw new Error(
      `cannot open embedded ClickHouse at ${path}: one process owns one data directory ` +
        `(is a core already running on it?)`,
      { cause },
    )
  }
  const client = createClient({ connection: guardSettings(connection) } as unknown as Parameters<typeof createClient>[0])
  const close = async () => {
    await client.close()
    configured?.close()
  }
  return { client, kind: 'embedded', location: path, close }
}

// ---------------------------------------------------------------------------------------------
// Settings on the embedded engine. chdb's connection adapter (chdb 3.4.0, dist/connection/
// chdb-connection.js, applySettings) sends clickhouse_settings as SQL text in front of the query:
// `SET k = 'v'; <query>`, doubling `'` but not escaping `\`. ClickHouse reads `\'` inside a
// string literal as an escaped quote, so a value ending in a backslash closes nothing and the rest
// of the value runs as SQL. Every connection to the embedded engine goes through this guard: a
// setting reaches chdb only when its name is an identifier and its value a number, a boolean, or a
// string of SAFE_SETTING_VALUE; anything else is refused before any SQL is sent.

/** What a setting's string value may be: no quote, backslash, space, control character or `;`. */
export const SAFE_SETTING_VALUE = /^[A-Za-z0-9_.:+-]{0,256}$/
export const SAFE_SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/


/** Throws UnsafeSettingError unless every setting is safe to render as `SET name = value`. */
export function checkClickHouseSettings(settings: unknown): void {
  if (settings === undefined || settings === null) return
  if (typeof settings !== 'object' || Array.isArray(settings)) throw new UnsafeSettingError(String(settings), 'clickhouse_settings is not an object')
  for (const [name, value] of Object.entries(settings as Record<string, unknown>)) {
    if (!SAFE_SETTING_NAME.test(name)) throw new UnsafeSettingError(name, 'the name is not an identifier')
    if (value === undefined || typeof value === 'boolean') continue
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new UnsafeSettingError(name, `${value} is not a finite number`)
      continue
    }
    if (typeof value === 'string') {
      if (!SAFE_SETTING_VALUE.test(value)) throw new UnsafeSettingError(name, `the value ${JSON.stringify(value.slice(0, 64))} has characters outside [A-Za-z0-9_.:+-] or is longer than 256`)
      continue
    }
    throw new UnsafeSettingError(name, `a ${typeof value} value is not allowed (number, boolean or safe string only)`)
  }
}

const GUARDED = new Set<PropertyKey>(['query', 'exec', 'command', 'insert'])
/** Settings chdb's adapter never SETs (it drops them or makes them options). */
const NOT_SET = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'http_response_buffer_size', 'http_headers_progress_interval_ms', 'http_send_progress_interval_ms', 'enable_http_compression', 'default_format'])

type Call = (params: { clickhouse_settings?: unknown; query?: string } | undefined, ...rest: unknown[]) => Promise<unknown>

/**
 * The chdb connection with its settings checked and kept to their own call.
 *
 * Checked: query, exec, command and insert refuse unsafe clickhouse_settings (a rejected promise,
 * as a ClickHouse error would be).
 *
 * Kept to their call: the adapter's `SET k = v; <query>` changes the embedded session for every
 * later query (a leaked insert_deduplication_token makes a later insert a "duplicate", a leaked
 * prefer_column_name_to_alias changes what another query's aliases mean). So a call with settings
 * runs alone — after the calls before it, before the calls after it — and is followed by
 * `SET k = DEFAULT` for each of them; calls without settings still run side by side.
 */
export function guardSettings<T extends object>(connection: T): T {
  let barrier: Promise<unknown> = Promise.resolve()
  const running = new Set<Promise<unknown>>()
  const settled = (p: Promise<unknown>) => p.then(() => undefined, () => undefined)
  const command = (Reflect.get(connection, 'command', connection) as Call).bind(connection)
  return new Proxy(connection, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown
      if (typeof value !== 'function') return value
      if (!GUARDED.has(prop)) return value.bind(target)
      const call = (value as Call).bind(target)
      return async (params: { clickhouse_settings?: unknown } | undefined, ...rest: unknown[]) => {
        checkClickHouseSettings(params?.clickhouse_settings)
        const names = Object.entries((params?.clickhouse_settings ?? {}) as Record<string, unknown>)
          .filter(([name, v]) => v !== undefined && !NOT_SET.has(name)).map(([name]) => name)
        if (names.length === 0) {
          const run = settled(barrier).then(() => call(params, ...rest))
          running.add(run)
          void settled(run).then(() => running.delete(run))
          return run
        }
        const before = [barrier, ...running].map(settled)
        const run = Promise.all(before).then(async () => {
          try {
            return await call(params, ...rest)
          } finally {
            // A name ClickHouse does not know failed the call's own SET too: nothing to reset.
            await command({ query: names.map((n) => `SET ${n} = DEFAULT`).join('; ') }).catch(() => undefined)
          }
        })
        barrier = settled(run)
        return run
      }
    },
  })
}

/**
 * An insert_deduplication_token from its parts: the sha256 (hex) of their JSON array, so that no
 * id, user name or other value from outside is ever part of the setting's text, and parts that
 * contain the separator cannot collide ("a:b" + "c" vs "a" + "b:c").
 */
export function dedupToken(...parts: ReadonlyArray<string | number>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex')
}

/** Backquotes an identifier that comes from configuration, never from a request. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier: ${JSON.stringify(name)}`)
  return `\`${name}\``
}
