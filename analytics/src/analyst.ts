// Analyst SQL: read-only, limited, audited queries that see patients only by pseudonym.
//
// Analysts read the `analyst` database: one view per telemetry table in which patient
// identifiers are replaced by a keyed SipHash-128 pseudonym and free-text columns that can carry
// identifiers are left out. A query is parsed by Neva's own grammar (analyst-sql/), checked, and
// the SQL that runs is printed from the parsed tree: it names only analyst views, allowlisted
// functions and generators, and nothing is sent to ClickHouse before that. It runs with
// readonly and row, memory and time limits. Every query, allowed or refused, is written to
// analyst_audit before its rows are returned; when the audit cannot be written, no rows are
// returned. SHOW TABLES and DESCRIBE are answered here. See docs/security/analyst-sql.md.
//
// On a ClickHouse server analyst SQL runs only as its own user (CLICKHOUSE_ANALYST_USER /
// CLICKHOUSE_ANALYST_PASSWORD), created by analystUserDdl() (`neva migrate` applies it), with
// SELECT on analyst.* and nothing else. The views are created with SQL SECURITY DEFINER, so they
// read the raw tables (and the key) with their creator's rights while the analyst user holds none.
import { createClient } from '@clickhouse/client'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { connectClickHouse, quoteIdentifier, type ClickHouse, type ClickHouseConfig } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'
import { compileAnalystSql } from './analyst-sql/index.js'
import { quoteString } from './analyst-sql/printer.js'
import { AnalystError } from './errors.js'
import { ANALYST_DATABASE, ANALYST_VIEWS } from './analyst-sql/views.js'

export { ANALYST_DATABASE, ANALYST_VIEWS, ANALYST_EXCLUDED } from './analyst-sql/views.js'
export { compileAnalystSql, type Compiled } from './analyst-sql/index.js'

export interface AnalystLimits {
  maxRows: number
  maxMemoryBytes: number
  maxSeconds: number
}

export const ANALYST_DEFAULT_LIMITS: AnalystLimits = { maxRows: 100_000, maxMemoryBytes: 4_000_000_000, maxSeconds: 30 }

export type AnalystParamValue = string | number | boolean

export interface AnalystRequest {
  sql: string
  /** Who asked: "analyst:<name>" from a token, or the OS user for the CLI. */
  user: string
  params?: Record<string, AnalystParamValue> | undefined
  limits?: Partial<AnalystLimits> | undefined
  /** Where the query came from, for the audit: http, cli… */
  via?: string | undefined
  /** The named query being run, if any. */
  queryName?: string | undefined
  /** Already refused by the caller (e.g. a bad parameter): audited, never run. */
  refused?: AnalystError | undefined
}

export interface AnalystColumn {
  name: string
  type: string
}

export interface AnalystResult {
  columns: AnalystColumn[]
  rows: Record<string, unknown>[]
  count: number
  /** Analyst views read ("analyst.name"), from the parsed query. */
  tables: string[]
  duration_ms: number
}

export interface Analyst {
  /** The main connection: raw tables, the audit trail. Never runs analyst SQL. */
  readonly ch: ClickHouse
  /** The database holding the raw tables. */
  readonly rawDatabase: string
  /** Server mode: queries run as the dedicated analyst user (readonly is that user's, CONST). */
  readonly serverUser: boolean
  /** Runs fn on the connection whose default database is `analyst` (see openAnalyst). */
  withReader<T>(fn: (reader: ClickHouse) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface AnalystOptions {
  /** Secret the pseudonym key is derived from. Absent: a random key kept in the database. */
  secret?: string | undefined
  /** The ClickHouse user analyst queries run as on a server (required there; see analystUserDdl). */
  username?: string | undefined
  password?: string | undefined
}

export function analystOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AnalystOptions {
  return {
    secret: env.NEVA_PSEUDONYM_KEY || undefined,
    username: env.CLICKHOUSE_ANALYST_USER || undefined,
    password: env.CLICKHOUSE_ANALYST_PASSWORD || undefined,
  }
}

async function text(ch: ClickHouse, query: string, params?: Record<string, unknown>): Promise<string> {
  const rs = await ch.client.query({ query, format: 'TabSeparatedRaw', ...(params && Object.keys(params).length ? { query_params: params } : {}) })
  return rs.text()
}

/** The current key; writes one first when there is none or the secret changed. */
export async function ensurePseudonymKey(ch: ClickHouse, secret?: string): Promise<void> {
  const latest = (await text(ch, 'SELECT source FROM analyst_pseudonym_key ORDER BY created_at DESC LIMIT 1')).trim()
  const hasKey = (await text(ch, 'SELECT count() FROM analyst_pseudonym_key')).trim() !== '0'
  const source = secret ? createHash('sha256').update(`neva-pseudonym:${secret}`).digest('hex') : ''
  if (hasKey && (secret ? latest === source : true)) return
  const bytes = secret ? Buffer.from(source, 'hex') : randomBytes(16)
  await ch.client.insert({
    table: 'analyst_pseudonym_key',
    values: [{ k0: bytes.readBigUInt64BE(0).toString(), k1: bytes.readBigUInt64BE(8).toString(), source, created_at: toDateTime64(Date.now()) }],
    format: 'JSONEachRow',
    clickhouse_settings: { async_insert: 0 },
  })
}

/** (Re)creates the analyst views over the raw tables' current columns. */
export async function ensureAnalystViews(ch: ClickHouse, rawDatabase: string): Promise<void> {
  const raw = quoteIdentifier(rawDatabase)
  await ch.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(ANALYST_DATABASE)}` })
  // The key is read by a scalar subquery, so no view definition contains it.
  const key = `(SELECT (k0, k1) FROM ${raw}.analyst_pseudonym_key ORDER BY created_at DESC LIMIT 1)`
  for (const [table, spec] of Object.entries(ANALYST_VIEWS)) {
    const replace = spec.pseudonymize.map((c) => {
      const col = quoteIdentifier(c)
      // Missing stays missing: NULL and '' are not hashed into a pseudonym.
      return `multiIf(empty(ifNull(${col}, '')), ${col}, lower(hex(sipHash128Keyed(${key}, ifNull(${col}, ''))))) AS ${col}`
    })
    const omit = spec.omit.map(quoteIdentifier)
    await ch.client.command({
      query:
        `CREATE OR REPLACE VIEW ${quoteIdentifier(ANALYST_DATABASE)}.${quoteIdentifier(table)} ` +
        `DEFINER = CURRENT_USER SQL SECURITY DEFINER AS SELECT *` +
        (omit.length ? ` EXCEPT (${omit.join(', ')})` : '') +
        (replace.length ? ` REPLACE (${replace.join(', ')})` : '') +
        ` FROM ${raw}.${quoteIdentifier(table)}`,
    })
  }
}

/**
 * The statements that create the analyst user on a ClickHouse server: SELECT (and SHOW) on the
 * analyst views and nothing else, readonly, limits it cannot raise. The password is sent as its
 * SHA-256, never as text. `neva migrate` applies them when CLICKHOUSE_ANALYST_USER is set.
 */
export function analystUserDdl(user: string, password: string, limits: AnalystLimits = ANALYST_DEFAULT_LIMITS): string[] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(user)) throw new AnalystError('NEVA_ANALYST_NO_USER', `invalid user name ${JSON.stringify(user)} (letters, digits and _)`)
  if (password.length < 12) throw new AnalystError('NEVA_ANALYST_NO_USER', 'CLICKHOUSE_ANALYST_PASSWORD must have at least 12 characters')
  const u = quoteIdentifier(user)
  const hash = createHash('sha256').update(password).digest('hex')
  const rows = Math.floor(limits.maxRows)
  const memory = Math.floor(limits.maxMemoryBytes)
  const seconds = Math.floor(limits.maxSeconds)
  // readonly = 2: no writes, and the core may lower limits per query; CONST and MAX keep them.
  const settings =
    `readonly = 2 CONST, max_result_rows = ${rows} MAX ${rows}, result_overflow_mode = 'throw' CONST, ` +
    `max_memory_usage = ${memory} MAX ${memory}, max_execution_time = ${seconds} MAX ${seconds}`
  return [
    `CREATE USER IF NOT EXISTS ${u} IDENTIFIED WITH sha256_hash BY ${quoteString(hash)} DEFAULT DATABASE ${quoteIdentifier(ANALYST_DATABASE)}`,
    `ALTER USER ${u} IDENTIFIED WITH sha256_hash BY ${quoteString(hash)} DEFAULT DATABASE ${quoteIdentifier(ANALYST_DATABASE)} SETTINGS ${settings}`,
    `REVOKE ALL ON *.* FROM ${u}`,
    `GRANT SELECT, SHOW TABLES, SHOW COLUMNS ON ${quoteIdentifier(ANALYST_DATABASE)}.* TO ${u}`,
  ]
}

/**
 * Prepares the analyst views and opens the connection analyst SQL runs on. `ch` must be
 * migrated. Embedded: a second session on the same data directory, so that its default
 * database (and anything a query sets) never touches the main session. Server: a connection as
 * the analyst user, which must be configured (never the main credentials).
 */
export async function openAnalyst(ch: ClickHouse, config: ClickHouseConfig, options: AnalystOptions = {}): Promise<Analyst> {
  if (ch.kind === 'server' && (!options.username || !options.password)) throw new AnalystError('NEVA_ANALYST_NO_USER')
  if (ch.kind === 'server' && options.username === config.username) {
    throw new AnalystError('NEVA_ANALYST_NO_USER', 'CLICKHOUSE_ANALYST_USER must not be the main ClickHouse user')
  }
  const rawDatabase = (await text(ch, 'SELECT currentDatabase()')).trim()
  await ensurePseudonymKey(ch, options.secret)
  await ensureAnalystViews(ch, rawDatabase)
  if (ch.kind === 'server') {
    if (!config.url) throw new AnalystError('NEVA_ANALYST_NO_USER', 'no ClickHouse URL')
    const client = createClient({ url: config.url, username: options.username, password: options.password, database: ANALYST_DATABASE })
    const reader: ClickHouse = { client, kind: 'server', location: `${ch.location} (analyst)`, close: () => client.close() }
    return { ch, rawDatabase, serverUser: true, withReader: (fn) => fn(reader), close: () => reader.close() }
  }
  const open = async () => {
    const session = await connectClickHouse({ path: ch.location })
    try {
      await session.client.command({ query: `USE ${quoteIdentifier(ANALYST_DATABASE)}` })
    } catch (err) {
      await session.close()
      throw err
    }
    return session
  }
  // No open session after a failure until the next query opens one: a failed open is retried
  // by the next query instead of leaving a closed session in place forever.
  let reader: ClickHouse | undefined = await open()
  let queue: Promise<unknown> = Promise.resolve()
  return {
    ch,
    rawDatabase,
    serverUser: false,
    // One query at a time, and a fresh session after any failure: the embedded engine can hand
    // the partial output of a failed query to the next one on the same session.
    withReader<T>(fn: (r: ClickHouse) => Promise<T>): Promise<T> {
      const next = queue.then(async () => {
        reader ??= await open()
        try {
          return await fn(reader)
        } catch (err) {
          const failed = reader
          reader = undefined
          await failed.close().catch(() => undefined)
          throw err
        }
      })
      queue = next.catch(() => undefined)
      return next
    },
    close: async () => {
      await queue
      const last = reader
      reader = undefined
      await last?.close()
    },
  }
}

const SHOW_COLUMNS: AnalystColumn[] = [{ name: 'name', type: 'String' }]

/** DESCRIBE view: the view's columns as ClickHouse reports them, the view name bound, not spliced. */
async function describe(analyst: Analyst, view: string): Promise<Pick<AnalystResult, 'columns' | 'rows'>> {
  const rs = await analyst.ch.client.query({
    query:
      'SELECT name, type, default_kind AS default_type, default_expression, comment FROM system.columns ' +
      'WHERE database = {db:String} AND table = {table:String} ORDER BY position',
    query_params: { db: ANALYST_DATABASE, table: view },
    format: 'JSON',
  })
  const json = (await rs.json()) as unknown as { meta: AnalystColumn[]; data: Record<string, unknown>[] }
  return { columns: json.meta, rows: json.data }
}

/** Runs one analyst query: parsed, checked, printed, limited, read-only, audited. Throws AnalystError. */
export async function runAnalystQuery(analyst: Analyst, request: AnalystRequest): Promise<AnalystResult> {
  const started = performance.now()
  const limits = { ...ANALYST_DEFAULT_LIMITS, ...request.limits }
  const params = request.params ?? {}
  let tables: string[] = []
  let result: AnalystResult | undefined
  let failure: AnalystError | undefined
  try {
    if (request.refused) throw request.refused
    for (const name of Object.keys(params)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new AnalystError('NEVA_ANALYST_PARAM', `invalid parameter name ${JSON.stringify(name)}`)
    }
    // Every decision is made here, before anything is sent to ClickHouse.
    const compiled = compileAnalystSql(request.sql)
    if (compiled.k === 'showTables') {
      const rows = Object.keys(ANALYST_VIEWS).sort().map((name) => ({ name }))
      result = { columns: SHOW_COLUMNS, rows, count: rows.length, tables: [], duration_ms: 0 }
    } else if (compiled.k === 'describe') {
      tables = [`${ANALYST_DATABASE}.${compiled.view}`]
      const { columns, rows } = await describe(analyst, compiled.view)
      result = { columns, rows, count: rows.length, tables, duration_ms: 0 }
    } else {
      tables = compiled.tables
      const settings =
        `max_result_rows = ${Math.floor(limits.maxRows)}, result_overflow_mode = 'throw', ` +
        `max_memory_usage = ${Math.floor(limits.maxMemoryBytes)}, max_execution_time = ${Math.floor(limits.maxSeconds)}` +
        // Embedded: readonly last, once it is set no other setting may change. Server: the
        // analyst user's readonly = 2 is CONST, and setting it again would be refused.
        (analyst.serverUser ? '' : ', readonly = 1')
      result = await analyst.withReader(async (reader) => {
        const rs = await run(reader, `SELECT * FROM (${compiled.sql}) SETTINGS ${settings}`, params, 'JSON')
        const json = (await rs.json()) as unknown as { meta: AnalystColumn[]; data: Record<string, unknown>[] }
        return { columns: json.meta, rows: json.data, count: json.data.length, tables, duration_ms: 0 }
      })
    }
  } catch (err) {
    failure = err instanceof AnalystError ? err : classify(err)
  }
  const duration_ms = Math.round(performance.now() - started)
  try {
    await analyst.ch.client.insert({
      table: 'analyst_audit',
      values: [{
        id: randomUUID(),
        at: toDateTime64(Date.now()),
        user: request.user,
        via: request.via ?? '',
        query_name: request.queryName ?? '',
        // A lone surrogate cannot be stored: it would make the audit fail, and the refusal vanish.
        sql: wellFormed(request.sql),
        params: Object.fromEntries(Object.entries(params).map(([k, v]) => [wellFormed(k), wellFormed(String(v))])),
        tables,
        outcome: failure?.outcome ?? 'ok',
        error_code: failure?.code ?? '',
        error: failure?.message ?? '',
        rows: result?.count ?? 0,
        duration_ms,
      }],
      format: 'JSONEachRow',
      clickhouse_settings: { async_insert: 0 },
    })
  } catch (cause) {
    throw new AnalystError('NEVA_ANALYST_AUDIT_UNAVAILABLE', (cause as Error).message, { cause })
  }
  if (failure) throw failure
  return { ...result!, duration_ms }
}

const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')

async function run(ch: ClickHouse, query: string, params: Record<string, AnalystParamValue>, format: 'JSON' | 'TabSeparatedRaw') {
  return ch.client.query({ query, format, ...(Object.keys(params).length ? { query_params: params } : {}) })
}

function clickhouseMessage(err: unknown): string {
  return String((err as Error)?.message ?? err).replace(/\s+/g, ' ').trim().slice(0, 1000)
}

/** ClickHouse's own refusals, by message: the embedded engine does not always carry the code. */
function classify(err: unknown): AnalystError {
  const message = clickhouseMessage(err)
  if (/readonly mode/i.test(message)) return new AnalystError('NEVA_ANALYST_NOT_A_READ', message, { cause: err })
  if (/Limit for result exceeded/i.test(message)) return new AnalystError('NEVA_ANALYST_LIMIT', `more rows than allowed (${message})`, { cause: err })
  if (/memory limit.*exceeded/i.test(message)) return new AnalystError('NEVA_ANALYST_LIMIT', `more memory than allowed (${message})`, { cause: err })
  if (/Timeout exceeded|TIMEOUT_EXCEEDED/i.test(message)) return new AnalystError('NEVA_ANALYST_LIMIT', `longer than allowed (${message})`, { cause: err })
  return new AnalystError('NEVA_ANALYST_FAILED', message, { cause: err })
}
