// Analyst SQL: read-only, limited, audited queries that see patients only by pseudonym.
//
// Analysts read the `analyst` database: one view per telemetry table in which patient
// identifiers are replaced by a keyed SipHash-128 pseudonym and free-text columns that can carry
// identifiers are left out. A query is accepted only when ClickHouse itself says that it is one
// SELECT that reads nothing but those views (see inspect()), and it runs with readonly=1 and row,
// memory and time limits. Every query, allowed or refused, is written to analyst_audit before
// its rows are returned; when the audit cannot be written, no rows are returned.
//
// On a ClickHouse server, give analysts their own user (the core then connects as it with
// CLICKHOUSE_ANALYST_USER / CLICKHOUSE_ANALYST_PASSWORD):
//   CREATE USER analyst IDENTIFIED WITH sha256_password BY '…' DEFAULT DATABASE analyst
//     SETTINGS readonly = 1 CONST, max_result_rows = 100000, result_overflow_mode = 'throw',
//     max_execution_time = 30, max_memory_usage = 4000000000;
//   GRANT SELECT ON analyst.* TO analyst;      -- nothing on the raw database, nothing on system.*
//   REVOKE SHOW ON *.* FROM analyst; GRANT SHOW TABLES, SHOW COLUMNS ON analyst.* TO analyst;
// The views are created with SQL SECURITY DEFINER, so they read the raw tables (and the key)
// with their creator's rights while the analyst user holds none.
import { createClient } from '@clickhouse/client'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { connectClickHouse, quoteIdentifier, type ClickHouse, type ClickHouseConfig } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'

export const ANALYST_DATABASE = 'analyst'

/**
 * Every table analysts may read. `pseudonymize`: identifier columns replaced by their pseudonym;
 * `omit`: columns that may hold identifiers in free text or raw device payloads.
 * A table with a patient_id column that is in neither list nor ANALYST_EXCLUDED fails a test.
 */
export const ANALYST_VIEWS = {
  observations: { pseudonymize: ['patient_id'], omit: [] },
  triage_results: { pseudonymize: ['patient_id'], omit: [] },
  lab_results: { pseudonymize: ['patient_id', 'order_id'], omit: ['comments'] },
  waveforms: { pseudonymize: ['patient_id'], omit: [] },
  rejected_readings: { pseudonymize: [], omit: ['payload'] },
  // The record: every id pseudonymized with the same key, so the views still join on them;
  // complaints without their free text (a name or a phone number may be in it), codes kept.
  emr_patients: { pseudonymize: ['patient_id'], omit: [] },
  encounters: { pseudonymize: ['patient_id', 'encounter_id'], omit: [] },
  complaints: { pseudonymize: ['patient_id', 'encounter_id', 'complaint_id'], omit: ['text'] },
  diagnoses: { pseudonymize: ['patient_id', 'encounter_id', 'diagnosis_id', 'author_id'], omit: [] },
  // Rollups (0008): read them with the -Merge combinators, e.g. avgMerge(avg_value).
  vitals_per_minute: { pseudonymize: ['patient_id'], omit: [] },
  ed_arrivals_per_hour: { pseudonymize: [], omit: [] },
  // 0011: transports keep the unit and destination; orders lose their free text and people.
  transports: { pseudonymize: ['patient_id'], omit: [] },
  orders: { pseudonymize: ['patient_id', 'encounter_id', 'order_id', 'ordered_by', 'updated_by'], omit: ['text'] },
  // Alarms (0009): the alarm id names a device and its own alarm counter, not a person; who
  // acknowledged is a pseudonym like a diagnosis' author, and the note is free text.
  alarms: { pseudonymize: ['patient_id'], omit: [] },
  alarm_acks: { pseudonymize: ['user'], omit: ['note'] },
  alarms_per_ward_hour: { pseudonymize: [], omit: [] },
  // Decision support (0007): ids with the same key as the record's, so they join with it.
  dx_suggestions: { pseudonymize: ['suggestion_id', 'encounter_id', 'patient_id'], omit: [] },
  dx_agreement: { pseudonymize: ['suggestion_id', 'encounter_id', 'patient_id'], omit: [] },
} as const satisfies Record<string, { pseudonymize: readonly string[]; omit: readonly string[] }>

/** Tables deliberately not offered to analysts, with why. */
export const ANALYST_EXCLUDED = {
  analyst_audit: 'other analysts’ queries',
  analyst_pseudonym_key: 'the pseudonym key',
  triage_models: 'model files, not clinical data',
  triage_model_events: 'model registry log',
  ingest_batches: 'ingest ledger',
  schema_migrations: 'schema bookkeeping',
  vitals_per_minute_mv: 'materialized view: analysts read its table, vitals_per_minute',
  ed_arrivals_per_hour_mv: 'materialized view: analysts read its table, ed_arrivals_per_hour',
  users: 'accounts and password hashes (0010)',
  user_sessions: 'session token hashes (0010)',
  record_views: 'who viewed which patient: for the privacy officer, not analysts (0010)',
  login_audit: 'login attempts (0010)',
  gateway_credentials: 'gateway token hashes (0010)',
  alarms_per_ward_hour_mv: 'materialized view: analysts read its table, alarms_per_ward_hour',
  dx_models: 'model artifacts, not clinical data',
} as const

/** Table functions that generate data and read nothing. */
const ALLOWED_TABLE_FUNCTIONS = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateSeries', 'values'])
/** Functions that read a table, dictionary or file named by a string argument. */
const REFUSED_FUNCTION = /^(file|dict[A-Za-z]*|joinGet[A-Za-z]*|hasColumnInTable)$/

export const ANALYST_ERRORS = {
  NEVA_ANALYST_SYNTAX: { outcome: 'refused', message: 'not one valid ClickHouse statement' },
  NEVA_ANALYST_NOT_A_READ: { outcome: 'refused', message: 'only reads are allowed (one SELECT)' },
  NEVA_ANALYST_SETTINGS: { outcome: 'refused', message: 'a SETTINGS clause is not allowed; limits are set by Neva' },
  NEVA_ANALYST_TABLE: { outcome: 'refused', message: `only the ${ANALYST_DATABASE} views may be read` },
  NEVA_ANALYST_TABLE_FUNCTION: { outcome: 'refused', message: 'this table function is not allowed (analyst SQL is readonly and reads only the analyst views)' },
  NEVA_ANALYST_FUNCTION: { outcome: 'refused', message: 'this function reads data outside the analyst views' },
  NEVA_ANALYST_PARAM: { outcome: 'refused', message: 'bad query parameter' },
  NEVA_ANALYST_LIMIT: { outcome: 'limit', message: 'the query exceeded a limit' },
  NEVA_ANALYST_FAILED: { outcome: 'failed', message: 'ClickHouse refused the query' },
  NEVA_ANALYST_AUDIT_UNAVAILABLE: { outcome: 'failed', message: 'the audit trail cannot be written, so no query runs' },
} as const

export type AnalystErrorCode = keyof typeof ANALYST_ERRORS
export type AnalystOutcome = 'ok' | (typeof ANALYST_ERRORS)[AnalystErrorCode]['outcome']

export class AnalystError extends Error {
  readonly code: AnalystErrorCode
  readonly outcome: AnalystOutcome
  constructor(code: AnalystErrorCode, detail?: string, options?: ErrorOptions) {
    super(detail ? `${ANALYST_ERRORS[code].message}: ${detail}` : ANALYST_ERRORS[code].message, options)
    this.code = code
    this.outcome = ANALYST_ERRORS[code].outcome
  }
}

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
  /** Tables read, as ClickHouse resolved them. */
  tables: string[]
  duration_ms: number
}

export interface Analyst {
  /** The main connection: raw tables, the audit trail. Never runs analyst SQL. */
  readonly ch: ClickHouse
  /** The database holding the raw tables. */
  readonly rawDatabase: string
  /** Runs fn on the connection whose default database is `analyst` (see openAnalyst). */
  withReader<T>(fn: (reader: ClickHouse) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface AnalystOptions {
  /** Secret the pseudonym key is derived from. Absent: a random key kept in the database. */
  secret?: string | undefined
  /** A ClickHouse user for analyst queries on a server (see the GRANTs above). */
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
    // The embedded engine keeps SET settings per session: name the token so none carries over.
    clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 },
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
 * Prepares the analyst views and opens the connection analyst SQL runs on. `ch` must be
 * migrated. Embedded: a second session on the same data directory, so that its default
 * database (and anything a query sets) never touches the main session.
 */
export async function openAnalyst(ch: ClickHouse, config: ClickHouseConfig, options: AnalystOptions = {}): Promise<Analyst> {
  const rawDatabase = (await text(ch, 'SELECT currentDatabase()')).trim()
  await ensurePseudonymKey(ch, options.secret)
  await ensureAnalystViews(ch, rawDatabase)
  if (ch.kind === 'server' && config.url) {
    const client = createClient({
      url: config.url,
      username: options.username ?? config.username,
      password: options.username ? options.password : config.password,
      database: ANALYST_DATABASE,
    })
    const reader: ClickHouse = { client, kind: 'server', location: `${ch.location} (analyst)`, close: () => client.close() }
    return { ch, rawDatabase, withReader: (fn) => fn(reader), close: () => reader.close() }
  }
  const open = async () => {
    const session = await connectClickHouse({ path: ch.location })
    await session.client.command({ query: `USE ${quoteIdentifier(ANALYST_DATABASE)}` })
    return session
  }
  let reader = await open()
  let queue: Promise<unknown> = Promise.resolve()
  return {
    ch,
    rawDatabase,
    // One query at a time, and a fresh session after any failure: the embedded engine can hand
    // the partial output of a failed query to the next one on the same session.
    withReader<T>(fn: (r: ClickHouse) => Promise<T>): Promise<T> {
      const next = queue.then(async () => {
        try {
          return await fn(reader)
        } catch (err) {
          await reader.close()
          reader = await open()
          throw err
        }
      })
      queue = next.catch(() => undefined)
      return next
    },
    close: async () => {
      await queue
      await reader.close()
    },
  }
}

/** Runs one analyst query: inspected, limited, read-only, audited. Throws AnalystError. */
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
    const settings =
      `max_result_rows = ${Math.floor(limits.maxRows)}, result_overflow_mode = 'throw', ` +
      `max_memory_usage = ${Math.floor(limits.maxMemoryBytes)}, max_execution_time = ${limits.maxSeconds}, ` +
      // readonly last: once it is set, no other setting may change.
      `readonly = 1`
    result = await analyst.withReader(async (reader) => {
      const inspected = await inspect(analyst, reader, request.sql, params, settings)
      tables = inspected.tables
      const rs = await run(reader, `SELECT * FROM (${inspected.sql}) SETTINGS ${settings}`, params, 'JSON')
      const json = (await rs.json()) as unknown as { meta: AnalystColumn[]; data: Record<string, unknown>[] }
      return { columns: json.meta, rows: json.data, count: json.data.length, tables, duration_ms: 0 }
    })
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
        sql: request.sql,
        params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
        tables,
        outcome: failure?.outcome ?? 'ok',
        error_code: failure?.code ?? '',
        error: failure?.message ?? '',
        rows: result?.count ?? 0,
        duration_ms,
      }],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 },
    })
  } catch (cause) {
    throw new AnalystError('NEVA_ANALYST_AUDIT_UNAVAILABLE', (cause as Error).message, { cause })
  }
  if (failure) throw failure
  return { ...result!, duration_ms }
}

async function run(ch: ClickHouse, query: string, params: Record<string, AnalystParamValue>, format: 'JSON' | 'TabSeparatedRaw') {
  return ch.client.query({ query, format, ...(Object.keys(params).length ? { query_params: params } : {}) })
}

/**
 * Decides whether a query may run, with ClickHouse's own parser and analyzer, in an order that
 * reads no data before it is known to read only analyst views:
 * 1. formatQuerySingleLine: exactly one statement, comments gone; this text is what runs;
 * 2. EXPLAIN AST: the statement is a SELECT;
 * 3. EXPLAIN QUERY TREE passes=0 (parsed, nothing resolved or evaluated): no name qualified by a
 *    database other than `analyst`, no SETTINGS, no table function or function reading elsewhere;
 * 4. EXPLAIN QUERY TREE (resolved; scalar subqueries are evaluated here, hence step 3 first):
 *    every table read is an analyst view, every table function generates data only.
 */
async function inspect(analyst: Analyst, reader: ClickHouse, sql: string, params: Record<string, AnalystParamValue>, settings: string): Promise<{ sql: string; tables: string[] }> {
  let formatted: string
  try {
    formatted = (await text(reader, 'SELECT formatQuerySingleLine({q:String})', { q: sql })).trim()
  } catch (err) {
    throw new AnalystError('NEVA_ANALYST_SYNTAX', clickhouseMessage(err))
  }
  if (!formatted) throw new AnalystError('NEVA_ANALYST_SYNTAX', 'empty query')
  const ast = await explain(reader, `EXPLAIN AST ${formatted}`, params, 'NEVA_ANALYST_SYNTAX')
  const kind = (ast.split('\n')[0] ?? '').replace(/"/g, '').trim().split(/\s+/)[0] ?? ''
  if (kind !== 'SelectWithUnionQuery' && kind !== 'SelectIntersectExceptQuery') {
    throw new AnalystError('NEVA_ANALYST_NOT_A_READ', `ClickHouse reads this as ${kind || 'an unknown statement'}`)
  }

  const databases = new Set((await text(analyst.ch, 'SELECT name FROM system.databases')).split('\n').filter(Boolean))
  databases.delete(ANALYST_DATABASE)
  const parsed = await explain(reader, `EXPLAIN QUERY TREE passes=0 ${formatted}`, params, 'NEVA_ANALYST_SYNTAX')
  for (const line of parsed.split('\n')) {
    if (/^\s*SETTINGS\b/.test(line)) throw new AnalystError('NEVA_ANALYST_SETTINGS')
    const id = /\bidentifier: ([^,]+?)(?:,|$)/.exec(line)?.[1]
    if (id && id !== 'system.one') {
      const db = id.split('.')[0]!.replace(/`/g, '')
      if (id.includes('.') && databases.has(db)) throw new AnalystError('NEVA_ANALYST_TABLE', `${id} is outside the ${ANALYST_DATABASE} database`)
    }
    const tf = /\btable_function_name: (\S+?)(?:,|$)/.exec(line)?.[1]
    if (tf && !ALLOWED_TABLE_FUNCTIONS.has(tf)) throw new AnalystError('NEVA_ANALYST_TABLE_FUNCTION', `${tf}()`)
    const fn = /\bfunction_name: (\S+?)(?:,|$)/.exec(line)?.[1]
    if (fn && REFUSED_FUNCTION.test(fn)) throw new AnalystError('NEVA_ANALYST_FUNCTION', `${fn}()`)
  }

  const resolved = await explain(reader, `EXPLAIN QUERY TREE SELECT * FROM (${formatted}) SETTINGS ${settings}`, params, 'NEVA_ANALYST_FAILED')
  const allowed = new Set([...Object.keys(ANALYST_VIEWS).map((t) => `${ANALYST_DATABASE}.${t}`), 'system.one'])
  const tables = new Set<string>()
  for (const line of resolved.split('\n')) {
    const table = /\btable_name: (\S+?)(?:,|$)/.exec(line)?.[1]
    if (table) {
      if (!allowed.has(table)) throw new AnalystError('NEVA_ANALYST_TABLE', `${table} is not an analyst view`)
      tables.add(table)
    }
    const tf = /\btable_function_name: (\S+?)(?:,|$)/.exec(line)?.[1]
    if (tf && !ALLOWED_TABLE_FUNCTIONS.has(tf)) throw new AnalystError('NEVA_ANALYST_TABLE_FUNCTION', `${tf}()`)
  }
  return { sql: formatted, tables: [...tables].sort() }
}

async function explain(ch: ClickHouse, query: string, params: Record<string, AnalystParamValue>, code: AnalystErrorCode): Promise<string> {
  try {
    return await (await run(ch, query, params, 'TabSeparatedRaw')).text()
  } catch (err) {
    const classified = classify(err)
    if (classified.code !== 'NEVA_ANALYST_FAILED') throw classified
    throw new AnalystError(code, clickhouseMessage(err), { cause: err })
  }
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
