// The named query library: analytics/queries/NAME.sql, run through the analyst path.
// A file starts with a one-line description comment, then one `-- @param name Type description`
// line per parameter; the SQL uses each as a ClickHouse query parameter {name:Type}, never as text.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AnalystError } from './errors.js'
import { runAnalystQuery, type Analyst, type AnalystLimits, type AnalystParamValue, type AnalystResult } from './analyst.js'

export const QUERIES_DIR = fileURLToPath(new URL('../queries/', import.meta.url))

export interface QueryParam {
  name: string
  type: string
  description: string
}

export interface NamedQuery {
  name: string
  description: string
  params: QueryParam[]
  sql: string
}

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  UInt8: [0n, 255n], UInt16: [0n, 65535n], UInt32: [0n, 4294967295n], UInt64: [0n, 18446744073709551615n],
  Int8: [-128n, 127n], Int16: [-32768n, 32767n], Int32: [-2147483648n, 2147483647n], Int64: [-9223372036854775808n, 9223372036854775807n],
}
const MAX_STRING = 10_000

/** The types a parameter may be declared with: what validateParam knows how to check. */
function supportedType(type: string): boolean {
  return type === 'String' || type in INTEGER_RANGES || type === 'Float64' || type === 'Date' || type === 'DateTime' || /^DateTime64\(\s*3\s*(,\s*'UTC'\s*)?\)$/.test(type)
}

const normalizeType = (t: string) => t.replace(/\s+/g, '').replace(/,/g, ', ')

export function parseNamedQuery(name: string, text: string): NamedQuery {
  const where = `query ${name}`
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`${where}: the file name must be kebab-case (a-z, 0-9, -)`)
  const lines = text.split('\n')
  const description = /^--\s*(.*\S)\s*$/.exec(lines[0] ?? '')?.[1]
  if (!description || description.startsWith('@')) throw new Error(`${where}: the first line must be a "-- description" comment`)
  const params: QueryParam[] = []
  for (const line of lines.slice(1)) {
    if (!/^--\s*@param\b/.test(line)) continue
    const m = /^--\s*@param\s+([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z][A-Za-z0-9]*(?:\([^)]*\))?)\s*(.*)$/.exec(line)
    if (!m) throw new Error(`${where}: cannot read ${JSON.stringify(line)}; expected "-- @param name Type description"`)
    const [, pname, type, desc] = m as unknown as [string, string, string, string]
    if (!supportedType(type)) throw new Error(`${where}: parameter ${pname}: unsupported type ${type}`)
    if (params.some((p) => p.name === pname)) throw new Error(`${where}: parameter ${pname} is declared twice`)
    params.push({ name: pname, type: normalizeType(type), description: desc.trim() })
  }
  const used = new Map<string, string>()
  for (const m of text.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*):([^}]+)\}/g)) {
    const [, pname, type] = m as unknown as [string, string, string]
    const declared = params.find((p) => p.name === pname)
    if (!declared) throw new Error(`${where}: {${pname}:${type}} is used but not declared with -- @param`)
    if (normalizeType(type) !== declared.type) throw new Error(`${where}: {${pname}:${type}} does not match its declared type ${declared.type}`)
    used.set(pname, type)
  }
  for (const p of params) if (!used.has(p.name)) throw new Error(`${where}: parameter ${p.name} is declared but never used`)
  return { name, description, params, sql: text }
}

/** Every NAME.sql in the library, parsed and validated; a bad file fails the whole load. */
export function loadQueries(dir = QUERIES_DIR): Map<string, NamedQuery> {
  const out = new Map<string, NamedQuery>()
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue
    const name = file.slice(0, -4)
    out.set(name, parseNamedQuery(name, readFileSync(join(dir, file), 'utf8')))
  }
  return out
}

/** One value, as text from a command line or a query string, checked against its type. */
export function validateParam(param: QueryParam, raw: string): AnalystParamValue {
  const bad = (why: string) => new AnalystError('NEVA_ANALYST_PARAM', `${param.name} (${param.type}): ${why}, got ${JSON.stringify(raw.slice(0, 100))}`)
  const { type } = param
  if (type === 'String') {
    if (raw.length > MAX_STRING) throw bad(`longer than ${MAX_STRING} characters`)
    return raw
  }
  const range = INTEGER_RANGES[type]
  if (range) {
    if (!/^[+-]?\d{1,20}$/.test(raw)) throw bad('expected an integer')
    const n = BigInt(raw)
    if (n < range[0] || n > range[1]) throw bad(`out of range ${range[0]}…${range[1]}`)
    return n.toString()
  }
  if (type === 'Float64') {
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(n)) throw bad('expected a finite number')
    return n
  }
  if (type === 'Date') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) throw bad('expected a date YYYY-MM-DD')
    return raw
  }
  // DateTime and DateTime64(3, 'UTC'): ISO 8601 (UTC unless a zone is given) or epoch milliseconds.
  let ms: number
  if (/^\d{10,15}$/.test(raw)) ms = Number(raw)
  else if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(raw)) {
    const iso = raw.replace(' ', 'T')
    ms = Date.parse(/T/.test(iso) && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? `${iso}Z` : iso)
  } else ms = Number.NaN
  if (!Number.isFinite(ms)) throw bad('expected an ISO 8601 time (e.g. 2026-03-01T08:00:00Z) or epoch milliseconds')
  const text = new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
  return type === 'DateTime' ? text.slice(0, 19) : text
}

export function bindParams(query: NamedQuery, raw: Record<string, string | undefined>): Record<string, AnalystParamValue> {
  const unknown = Object.keys(raw).filter((k) => !query.params.some((p) => p.name === k))
  if (unknown.length) {
    throw new AnalystError('NEVA_ANALYST_PARAM', `${query.name} has no parameter ${unknown.join(', ')} (it takes: ${query.params.map((p) => p.name).join(', ') || 'none'})`)
  }
  const out: Record<string, AnalystParamValue> = {}
  for (const p of query.params) {
    const value = raw[p.name]
    if (value === undefined) throw new AnalystError('NEVA_ANALYST_PARAM', `${query.name} needs ${p.name} (${p.type}: ${p.description})`)
    out[p.name] = validateParam(p, value)
  }
  return out
}

export interface NamedRunOptions {
  user: string
  via?: string | undefined
  limits?: Partial<AnalystLimits> | undefined
}

/** Runs a named query through the analyst path: same checks, limits, pseudonyms and audit. */
export async function runNamedQuery(analyst: Analyst, query: NamedQuery, raw: Record<string, string | undefined>, options: NamedRunOptions): Promise<AnalystResult> {
  let params: Record<string, AnalystParamValue>
  try {
    params = bindParams(query, raw)
  } catch (err) {
    // A bad parameter is refused and audited like any other refusal.
    const given = Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => e[1] !== undefined))
    return runAnalystQuery(analyst, { sql: query.sql, user: options.user, via: options.via, queryName: query.name, params: given, limits: options.limits, refused: err as AnalystError })
  }
  return runAnalystQuery(analyst, { sql: query.sql, user: options.user, via: options.via, queryName: query.name, params, limits: options.limits })
}
