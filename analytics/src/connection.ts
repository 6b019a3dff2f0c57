// The one switch between embedded ClickHouse (chdb, in-process) and a ClickHouse server.
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'

export interface ClickHouseConfig {
  /** A server, e.g. http://127.0.0.1:8123. Absent: embedded chdb under `path`. */
  url?: string | undefined
  username?: string | undefined
  password?: string | undefined
  database?: string | undefined
  /** Data directory of the embedded engine. */
  path?: string | undefined
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
  mkdirSync(path, { recursive: true })
  // chdb is loaded lazily: it is large and a server deployment never needs it.
  const { createChdbConnection } = await import('chdb/connection')
  let connection
  try {
    connection = createChdbConnection({ path })
  } catch (cause) {
    throw new Error(
      `cannot open embedded ClickHouse at ${path}: one process owns one data directory ` +
        `(is a core already running on it?)`,
      { cause },
    )
  }
  const client = createClient({ connection } as unknown as Parameters<typeof createClient>[0])
  return { client, kind: 'embedded', location: path, close: () => client.close() }
}

/** Backquotes an identifier that comes from configuration, never from a request. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier: ${JSON.stringify(name)}`)
  return `\`${name}\``
}
