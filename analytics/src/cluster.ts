// Cluster DDL: renders the single-node migrations for a named ClickHouse cluster.
//
// Every `CREATE TABLE x … ENGINE = <Family>MergeTree(args)` becomes two tables, both ON CLUSTER:
//   x_local  ENGINE = Replicated<Family>MergeTree('/clickhouse/tables/{shard}/{database}/x_local', '{replica}', args)
//   x        AS x_local ENGINE = Distributed(cluster, database, x_local, <sharding key>)
// so that the code keeps reading and writing `x`. `ALTER TABLE x` column changes go to both
// tables; storage-only changes (indexes, TTL, settings) to the local one. A plain view is rendered
// ON CLUSTER over the Distributed tables (it reads the whole cluster). A materialized view must
// write `TO` a table; it is rendered ON CLUSTER, reading and writing the local tables, so that it
// fires on each shard for the rows that shard receives. Anything else is refused with an error
// naming the migration and the construct: the migrations are ours, so a clear refusal is enough.
//
// Sharding key, per table (deterministic, never rand(): a retried batch must split the same way
// so that each shard's insert deduplication recognises its part of the batch):
//   - a `patient_id` column: cityHash64(patient_id), so one patient's timeline lives on one shard
//     and per-patient queries touch one shard. Nullable patient_id: rows with a patient go by the
//     patient, rows without one by their identity (below) rather than all piling onto one shard.
//   - otherwise the row identity: (gateway_id, seq) when the table has both, else the ORDER BY
//     key.
//   - engines that merge rows (Replacing, Collapsing, …) merge only within a shard, so for them
//     the key must be made of ORDER BY columns; when patient_id is not in the ORDER BY key, the
//     ORDER BY key itself is used.
// Current tables: observations, triage_results, waveforms → cityHash64(patient_id);
// lab_results, alarms → patient, else (gateway_id, seq); rejected_readings → (gateway_id, seq);
// alarm_acks → (alarm_id, acked_at) (the board's queries aggregate across shards);
// ingest_batches → (gateway_id, batch_id) (ReplacingMergeTree: a batch's versions meet);
// triage_models → (id, version, uploaded_at); triage_model_events → seq.
import type { Migration } from './migrate.js'
import { quoteIdentifier } from './connection.js'

export interface ClusterOptions {
  /** Cluster name as in the servers' `remote_servers`. */
  cluster: string
  /** Database the tables live in (`Distributed` needs it by name). */
  database: string
  /** Suffix of the per-shard tables. */
  localSuffix?: string
  /** Overrides of the sharding key by table name (the SQL expression). */
  shardingKeys?: Readonly<Record<string, string>>
}

export interface ClusterMigration extends Migration {
  /** The source migration's checksum is kept: the ledger records which file was applied. */
  statements: string[]
}

// ─── Tokens ──────────────────────────────────────────────────────────────────────────────────
type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'punct'
interface Token { kind: TokenKind; text: string; start: number; end: number }

function tokenize(sql: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) { i++; continue }
    if (sql.startsWith('--', i)) { const nl = sql.indexOf('\n', i); i = nl < 0 ? sql.length : nl; continue }
    if (sql.startsWith('/*', i)) {
      const close = sql.indexOf('*/', i + 2)
      if (close < 0) throw new Error(`unterminated comment at offset ${i}`)
      i = close + 2
      continue
    }
    const start = i
    if (c === "'" || c === '`' || c === '"') {
      i++
      while (i < sql.length && sql[i] !== c) i += sql[i] === '\\' ? 2 : 1
      if (i >= sql.length) throw new Error(`unterminated ${c === "'" ? 'string' : 'identifier'} at offset ${start}`)
      i++
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text: sql.slice(start, i), start, end: i })
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < sql.length && /[A-Za-z0-9_]/.test(sql[i]!)) i++
      tokens.push({ kind: 'word', text: sql.slice(start, i), start, end: i })
    } else if (/[0-9]/.test(c)) {
      while (i < sql.length && /[0-9A-Za-z_.]/.test(sql[i]!)) i++
      tokens.push({ kind: 'number', text: sql.slice(start, i), start, end: i })
    } else {
      i++
      tokens.push({ kind: 'punct', text: c, start, end: i })
    }
  }
  return tokens
}

/** A cursor over one statement's tokens; slices of the original text are reused verbatim. */
class Cursor {
  pos = 0
  constructor(readonly sql: string, readonly tokens: Token[]) {}
  peek(offset = 0): Token | undefined { return this.tokens[this.pos + offset] }
  isWord(...words: string[]): boolean {
    return words.every((w, k) => { const t = this.peek(k); return t?.kind === 'word' && t.text.toUpperCase() === w })
  }
  acceptWords(...words: string[]): boolean {
    if (!this.isWord(...words)) return false
    this.pos += words.length
    return true
  }
  expectWords(...words: string[]): void {
    if (!this.acceptWords(...words)) throw new Error(`expected ${words.join(' ')} at ${this.where()}`)
  }
  accept(punct: string): boolean {
    if (this.peek()?.kind === 'punct' && this.peek()!.text === punct) { this.pos++; return true }
    return false
  }
  expect(punct: string): void {
    if (!this.accept(punct)) throw new Error(`expected "${punct}" at ${this.where()}`)
  }
  identifier(): string {
    const t = this.peek()
    if (!t || (t.kind !== 'word' && t.kind !== 'quoted')) throw new Error(`expected a name at ${this.where()}`)
    this.pos++
    return t.kind === 'quoted' ? t.text.slice(1, -1) : t.text
  }
  /** `[db.]name`; the database is dropped: rendered names are qualified with the target database. */
  tableName(): string {
    const first = this.identifier()
    return this.accept('.') ? this.identifier() : first
  }
  /** Index just past the balanced group opened at `pos` (which must be `(`). */
  skipGroup(): void {
    let depth = 0
    do {
      const t = this.peek()
      if (!t) throw new Error('unbalanced parentheses')
      if (t.kind === 'punct' && t.text === '(') depth++
      if (t.kind === 'punct' && t.text === ')') depth--
      this.pos++
    } while (depth > 0)
  }
  /** Tokens up to (not including) a top-level token matching `stop`, or the end. */
  until(stop: (c: Cursor) => boolean): Token[] {
    const from = this.pos
    while (this.peek() && !stop(this)) {
      if (this.peek()!.kind === 'punct' && this.peek()!.text === '(') this.skipGroup()
      else this.pos++
    }
    return this.tokens.slice(from, this.pos)
  }
  text(tokens: Token[]): string {
    return tokens.length === 0 ? '' : this.sql.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end)
  }
  where(): string {
    const t = this.peek()
    return t ? `offset ${t.start} ("${this.sql.slice(t.start, t.start + 24)}")` : 'end of statement'
  }
  atEnd(): boolean { return this.pos >= this.tokens.length }
}

/** Splits a token list at top-level commas. */
function splitTopLevel(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]]
  let depth = 0
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') depth++
    if (t.kind === 'punct' && t.text === ')') depth--
    if (depth === 0 && t.kind === 'punct' && t.text === ',') parts.push([])
    else parts[parts.length - 1]!.push(t)
  }
  return parts.filter((p) => p.length > 0)
}

// ─── CREATE TABLE ────────────────────────────────────────────────────────────────────────────
const MERGE_TREE_FAMILY = new Set([
  'MergeTree', 'ReplacingMergeTree', 'SummingMergeTree', 'AggregatingMergeTree', 'CollapsingMergeTree',
  'VersionedCollapsingMergeTree', 'GraphiteMergeTree', 'CoalescingMergeTree',
])
/** Settings that exist only for non-replicated tables, and their replicated counterpart. */
const NON_REPLICATED_SETTINGS: Readonly<Record<string, string | null>> = {
  non_replicated_deduplication_window: 'replicated_deduplication_window',
}
const TABLE_CLAUSES = [['PARTITION', 'BY'], ['ORDER', 'BY'], ['PRIMARY', 'KEY'], ['SAMPLE', 'BY'], ['TTL'], ['SETTINGS'], ['COMMENT']] as const
const COLUMN_STOP = new Set(['DEFAULT', 'MATERIALIZED', 'ALIAS', 'EPHEMERAL', 'CODEC', 'COMMENT', 'TTL', 'NULL', 'NOT', 'PRIMARY', 'STATISTICS', 'SETTINGS'])

interface CreateTable {
  name: string
  ifNotExists: boolean
  columnsText: string
  columns: Map<string, string>
  engine: string
  engineArgs: string
  clauses: Map<string, string>
}

function parseCreateTable(c: Cursor): CreateTable {
  c.expectWords('CREATE', 'TABLE')
  const ifNotExists = c.acceptWords('IF', 'NOT', 'EXISTS')
  const name = c.tableName()
  if (c.isWord('ON', 'CLUSTER')) throw new Error('already has ON CLUSTER')
  if (c.isWord('AS')) throw new Error('CREATE TABLE … AS is not supported: list the columns')
  const open = c.pos
  c.expect('(')
  c.pos = open
  c.skipGroup()
  const inner = c.tokens.slice(open + 1, c.pos - 1)
  const columns = new Map<string, string>()
  for (const element of splitTopLevel(inner)) {
    const head = element[0]!
    if (head.kind === 'word' && ['INDEX', 'PROJECTION', 'CONSTRAINT'].includes(head.text.toUpperCase())) continue
    let end = 1
    while (end < element.length && !(element[end]!.kind === 'word' && COLUMN_STOP.has(element[end]!.text.toUpperCase()))) end++
    const colName = head.kind === 'quoted' ? head.text.slice(1, -1) : head.text
    columns.set(colName, c.text(element.slice(1, end)))
  }
  c.expectWords('ENGINE')
  c.expect('=')
  const engine = c.identifier()
  let engineArgs = ''
  if (c.peek()?.text === '(') {
    const from = c.pos
    c.skipGroup()
    engineArgs = c.text(c.tokens.slice(from + 1, c.pos - 1))
  }
  const clauses = new Map<string, string>()
  const atClause = (cur: Cursor) => TABLE_CLAUSES.some((words) => cur.isWord(...words))
  while (!c.atEnd()) {
    const clause = TABLE_CLAUSES.find((words) => c.isWord(...words))
    if (!clause) throw new Error(`unsupported table clause at ${c.where()}`)
    c.pos += clause.length
    clauses.set(clause.join(' '), c.text(c.until(atClause)))
  }
  return { name, ifNotExists, columnsText: c.text(inner), columns, engine, engineArgs, clauses }
}

function parseSettings(text: string): Array<[string, string]> {
  return splitTopLevel(tokenize(text)).map((part) => {
    const eq = part.findIndex((t) => t.text === '=')
    if (eq !== 1) throw new Error(`cannot read setting "${part.map((t) => t.text).join(' ')}"`)
    return [part[0]!.text, text.slice(part[2]!.start, part[part.length - 1]!.end)]
  })
}

function isNullable(type: string): boolean {
  return /^(LowCardinality\s*\(\s*)?Nullable\s*\(/.test(type)
}

function orderByExpressions(orderBy: string): string[] {
  const tokens = tokenize(orderBy)
  const inner = tokens.length > 1 && tokens[0]!.text === '(' && tokens[tokens.length - 1]!.text === ')' ? tokens.slice(1, -1) : tokens
  return splitTopLevel(inner).map((p) => orderBy.slice(p[0]!.start, p[p.length - 1]!.end))
}

/** The sharding key for a table; the rules are documented at the top of this file. */
export function shardingKey(table: { name: string; engine: string; columns: ReadonlyMap<string, string>; orderBy: string }): string {
  const orderBy = orderByExpressions(table.orderBy)
  const mergesRows = table.engine !== 'MergeTree'
  const patient = table.columns.get('patient_id')
  const sortedByPatient = orderBy.some((e) => /\bpatient_id\b/.test(e))
  if (patient !== undefined && (!mergesRows || sortedByPatient)) {
    if (!isNullable(patient)) return 'cityHash64(patient_id)'
    const identity = table.columns.has('gateway_id') && table.columns.has('seq') && !mergesRows ? ['gateway_id', 'seq'] : orderBy
    return `if(isNull(patient_id), cityHash64(${identity.join(', ')}), cityHash64(assumeNotNull(patient_id)))`
  }
  if (!mergesRows && table.columns.has('gateway_id') && table.columns.has('seq')) return 'cityHash64(gateway_id, seq)'
  if (orderBy.length === 0 || orderBy[0] === 'tuple()') throw new Error(`${table.name}: no ORDER BY key to shard by; give a sharding key`)
  return `cityHash64(${orderBy.join(', ')})`
}

function renderCreateTable(t: CreateTable, o: Required<Omit<ClusterOptions, 'shardingKeys'>> & ClusterOptions): string[] {
  if (!MERGE_TREE_FAMILY.has(t.engine)) {
    throw new Error(`table ${t.name}: engine ${t.engine} is not a MergeTree-family engine; only those can be replicated`)
  }
  const orderBy = t.clauses.get('ORDER BY')
  if (orderBy === undefined) throw new Error(`table ${t.name}: no ORDER BY (old-style MergeTree syntax is not supported)`)
  const db = quoteIdentifier(o.database)
  const cluster = quoteIdentifier(o.cluster)
  const local = `${t.name}${o.localSuffix}`
  const ifne = t.ifNotExists ? 'IF NOT EXISTS ' : ''
  const zkPath = `'/clickhouse/tables/{shard}/{database}/${local}'`
  const args = [zkPath, "'{replica}'", ...(t.engineArgs.trim() ? [t.engineArgs.trim()] : [])].join(', ')
  const lines = [
    `CREATE TABLE ${ifne}${db}.${quoteIdentifier(local)} ON CLUSTER ${cluster}`,
    `(\n    ${t.columnsText.trim()}\n)`,
    `ENGINE = Replicated${t.engine}(${args})`,
  ]
  for (const [clause, text] of t.clauses) {
    if (clause !== 'SETTINGS') { lines.push(`${clause} ${text.trim()}`); continue }
    const settings = parseSettings(text)
    const names = new Set(settings.map(([k]) => k))
    const kept = settings.flatMap(([k, v]): Array<[string, string]> => {
      if (!(k in NON_REPLICATED_SETTINGS)) return [[k, v]]
      const counterpart = NON_REPLICATED_SETTINGS[k]
      // The same deduplication horizon, kept by Keeper instead of the local disk.
      return counterpart && !names.has(counterpart) ? [[counterpart, v]] : []
    })
    if (kept.length > 0) lines.push(`SETTINGS ${kept.map(([k, v]) => `${k} = ${v}`).join(', ')}`)
  }
  const key = o.shardingKeys?.[t.name] ?? shardingKey({ name: t.name, engine: t.engine, columns: t.columns, orderBy })
  const distributed = [
    `CREATE TABLE ${ifne}${db}.${quoteIdentifier(t.name)} ON CLUSTER ${cluster}`,
    `AS ${db}.${quoteIdentifier(local)}`,
    `ENGINE = Distributed(${cluster}, ${db}, ${quoteIdentifier(local)}, ${key})`,
  ]
  return [lines.join('\n'), distributed.join('\n')]
}

// ─── ALTER TABLE ─────────────────────────────────────────────────────────────────────────────
/** Commands that change columns (both tables) and those that change storage only (local). */
const BOTH = [['ADD', 'COLUMN'], ['DROP', 'COLUMN'], ['MODIFY', 'COLUMN'], ['RENAME', 'COLUMN'], ['COMMENT', 'COLUMN']] as const
const LOCAL_ONLY = [
  ['CLEAR', 'COLUMN'], ['ADD', 'INDEX'], ['DROP', 'INDEX'], ['MATERIALIZE', 'INDEX'], ['MATERIALIZE', 'COLUMN'],
  ['MODIFY', 'TTL'], ['REMOVE', 'TTL'], ['MODIFY', 'SETTING'], ['RESET', 'SETTING'], ['MODIFY', 'ORDER', 'BY'],
  ['ADD', 'PROJECTION'], ['DROP', 'PROJECTION'], ['MATERIALIZE', 'PROJECTION'], ['DELETE', 'WHERE'],
] as const

function renderAlter(c: Cursor, tables: Set<string>, views: Set<string>, o: Required<Omit<ClusterOptions, 'shardingKeys'>>): string[] {
  c.expectWords('ALTER', 'TABLE')
  const name = c.tableName()
  if (c.isWord('ON', 'CLUSTER')) throw new Error('already has ON CLUSTER')
  if (views.has(name)) {
    // A materialized view's new SELECT: it reads the shard's local tables, as when it was created.
    if (!c.acceptWords('MODIFY', 'QUERY')) throw new Error(`ALTER TABLE ${name}: a materialized view takes MODIFY QUERY only`)
    const select = pointTablesAt(c, tables, o.database, o.localSuffix, `materialized view ${name}`)
    return [`ALTER TABLE ${quoteIdentifier(o.database)}.${quoteIdentifier(name)} ON CLUSTER ${quoteIdentifier(o.cluster)} MODIFY QUERY\n${select}`]
  }
  if (!tables.has(name)) throw new Error(`ALTER TABLE ${name}: no earlier migration creates this table`)
  const commands = splitTopLevel(c.tokens.slice(c.pos))
  let toBoth = 0
  for (const command of commands) {
    const sub = new Cursor(c.sql, command)
    if (BOTH.some((w) => sub.isWord(...w))) toBoth++
    else if (!LOCAL_ONLY.some((w) => sub.isWord(...w))) throw new Error(`ALTER TABLE ${name}: unsupported command "${c.text(command.slice(0, 3))}…"`)
  }
  if (toBoth !== 0 && toBoth !== commands.length) {
    throw new Error(`ALTER TABLE ${name}: split column changes and storage changes into separate statements`)
  }
  const db = quoteIdentifier(o.database)
  const cluster = quoteIdentifier(o.cluster)
  const body = c.text(c.tokens.slice(c.pos))
  const local = `ALTER TABLE ${db}.${quoteIdentifier(name + o.localSuffix)} ON CLUSTER ${cluster} ${body}`
  // The local tables first: the distributed table must never expose a column the shards lack.
  return toBoth ? [local, `ALTER TABLE ${db}.${quoteIdentifier(name)} ON CLUSTER ${cluster} ${body}`] : [local]
}

// ─── VIEWS ───────────────────────────────────────────────────────────────────────────────────
/**
 * The rest of the statement (a SELECT) with every table named after FROM/JOIN qualified with the
 * database and suffixed: `_local` for a materialized view (it fires per shard), nothing for a plain
 * view (it reads the Distributed tables, i.e. the whole cluster).
 */
function pointTablesAt(c: Cursor, tables: Set<string>, database: string, suffix: string, what: string): string {
  const db = quoteIdentifier(database)
  const select = c.tokens.slice(c.pos)
  let out = ''
  let last = select[0]?.start ?? 0
  for (let k = 0; k < select.length; k++) {
    const t = select[k]!
    if (!(t.kind === 'word' && /^(FROM|JOIN)$/i.test(t.text))) continue
    let n = k + 1
    if (select[n + 1]?.text === '.') n += 2
    const ref = select[n]
    // A subquery or a table function is left as written.
    if (!ref || (ref.kind !== 'word' && ref.kind !== 'quoted') || select[n + 1]?.text === '(') continue
    const refName = ref.kind === 'quoted' ? ref.text.slice(1, -1) : ref.text
    if (!tables.has(refName)) throw new Error(`${what}: reads ${refName}, which the migrations do not create`)
    out += c.sql.slice(last, select[k + 1]!.start) + `${db}.${quoteIdentifier(refName + suffix)}`
    last = ref.end
  }
  return out + c.sql.slice(last, select[select.length - 1]?.end ?? last)
}

function renderView(c: Cursor, tables: Set<string>, o: Required<Omit<ClusterOptions, 'shardingKeys'>>): string {
  c.expectWords('CREATE')
  // A later migration that changes a view replaces it.
  const orReplace = c.acceptWords('OR', 'REPLACE')
  c.expectWords('VIEW')
  const ifNotExists = c.acceptWords('IF', 'NOT', 'EXISTS')
  const name = c.tableName()
  if (c.isWord('ON', 'CLUSTER')) throw new Error('already has ON CLUSTER')
  c.expectWords('AS')
  const select = pointTablesAt(c, tables, o.database, '', `view ${name}`)
  const ifne = ifNotExists ? 'IF NOT EXISTS ' : ''
  return `CREATE ${orReplace ? 'OR REPLACE ' : ''}VIEW ${ifne}${quoteIdentifier(o.database)}.${quoteIdentifier(name)} ON CLUSTER ${quoteIdentifier(o.cluster)}\nAS ${select}`
}

function renderMaterializedView(c: Cursor, tables: Set<string>, views: Set<string>, o: Required<Omit<ClusterOptions, 'shardingKeys'>>): string {
  c.expectWords('CREATE', 'MATERIALIZED', 'VIEW')
  const ifNotExists = c.acceptWords('IF', 'NOT', 'EXISTS')
  const name = c.tableName()
  views.add(name)
  if (!c.acceptWords('TO')) throw new Error(`materialized view ${name}: only views that write TO a table are supported`)
  const target = c.tableName()
  if (!tables.has(target)) throw new Error(`materialized view ${name}: target ${target} is not created by the migrations`)
  if (c.peek()?.text === '(') c.skipGroup()
  c.expectWords('AS')
  const out = pointTablesAt(c, tables, o.database, o.localSuffix, `materialized view ${name}`)
  const db = quoteIdentifier(o.database)
  const ifne = ifNotExists ? 'IF NOT EXISTS ' : ''
  return `CREATE MATERIALIZED VIEW ${ifne}${db}.${quoteIdentifier(name)} ON CLUSTER ${quoteIdentifier(o.cluster)}\nTO ${db}.${quoteIdentifier(target + o.localSuffix)}\nAS ${out}`
}

/**
 * A backfill (INSERT INTO t SELECT … FROM u): the Distributed tables on both sides, so every
 * shard's rows are read and each row goes to the shard its sharding key names (the patient's, where
 * its view would have written it). Runs once, on the node `migrate` talks to: no ON CLUSTER.
 */
function renderInsertSelect(c: Cursor, tables: Set<string>, o: Required<Omit<ClusterOptions, 'shardingKeys'>>): string {
  c.expectWords('INSERT', 'INTO')
  const name = c.tableName()
  if (!tables.has(name)) throw new Error(`INSERT INTO ${name}: no earlier migration creates this table`)
  if (!c.isWord('SELECT')) throw new Error(`INSERT INTO ${name}: only INSERT … SELECT is supported`)
  return `INSERT INTO ${quoteIdentifier(o.database)}.${quoteIdentifier(name)}\n${pointTablesAt(c, tables, o.database, '', `INSERT INTO ${name}`)}`
}

// ─── Public API ──────────────────────────────────────────────────────────────────────────────
/** Renders each migration's statements as cluster DDL. Pure; throws naming the migration on what it does not support. */
export function renderClusterMigrations(migrations: readonly Migration[], options: ClusterOptions): ClusterMigration[] {
  const o = { localSuffix: '_local', ...options }
  quoteIdentifier(o.cluster)
  quoteIdentifier(o.database)
  const tables = new Set<string>()
  const views = new Set<string>()
  return migrations.map((m) => ({
    ...m,
    statements: m.statements.flatMap((statement, index) => {
      try {
        const c = new Cursor(statement, tokenize(statement))
        if (c.isWord('CREATE', 'TABLE')) {
          const t = parseCreateTable(c)
          const rendered = renderCreateTable(t, o)
          tables.add(t.name)
          return rendered
        }
        if (c.isWord('ALTER', 'TABLE')) return renderAlter(c, tables, views, o)
        if (c.isWord('CREATE', 'VIEW') || c.isWord('CREATE', 'OR', 'REPLACE', 'VIEW')) return [renderView(c, tables, o)]
        if (c.isWord('CREATE', 'MATERIALIZED', 'VIEW')) return [renderMaterializedView(c, tables, views, o)]
        if (c.isWord('INSERT', 'INTO')) return [renderInsertSelect(c, tables, o)]
        throw new Error(`unsupported statement "${c.text(c.tokens.slice(0, 3))}…"`)
      } catch (cause) {
        throw new Error(`migration ${m.version}_${m.name}, statement ${index + 1}: ${(cause as Error).message}`, { cause })
      }
    }),
  }))
}

/**
 * Statements to run before the migrations on a cluster: the database on every node and the
 * migration ledger, replicated to every node (one Keeper path for all shards) so that whichever
 * node `migrate` talks to sees what was applied.
 */
export function clusterPreamble(options: ClusterOptions): string[] {
  const db = quoteIdentifier(options.database)
  const cluster = quoteIdentifier(options.cluster)
  return [
    `CREATE DATABASE IF NOT EXISTS ${db} ON CLUSTER ${cluster}`,
    `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations ON CLUSTER ${cluster}\n` +
      `(version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))\n` +
      `ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{shard}-{replica}', applied_at)\n` +
      `ORDER BY version`,
  ]
}

/** The whole cluster schema as one SQL script (for `neva migrate --cluster NAME`, printed or applied). */
export function renderClusterSql(migrations: readonly Migration[], options: ClusterOptions): string {
  const parts = [`-- Neva schema for ClickHouse cluster ${options.cluster}, database ${options.database}`]
  parts.push(...clusterPreamble(options).map((s) => `${s};`))
  for (const m of renderClusterMigrations(migrations, options)) {
    parts.push(`-- ${String(m.version).padStart(4, '0')}_${m.name}`, ...m.statements.map((s) => `${s};`))
  }
  return parts.join('\n\n') + '\n'
}
