// neva query NAME --param k=v: a named query from analytics/queries through the analyst path
// (read-only, limited, pseudonymous, audited with the OS user). `neva query` alone lists them.
import { userInfo } from 'node:os'
import {
  AnalystError, analystOptionsFromEnv, clickhouseConfigFromEnv, connectClickHouse, loadQueries, migrate, openAnalyst, runNamedQuery,
  type Analyst, type AnalystResult,
} from '@neva/analytics'
import { parse, UsageError } from '../args.js'

export const FORMATS = ['PrettyCompactMonoBlock', 'TabSeparated', 'TabSeparatedWithNames', 'CSVWithNames', 'JSONEachRow', 'JSON', 'Vertical'] as const
export type Format = (typeof FORMATS)[number]

export function checkFormat(format: string): Format {
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format: one of ${FORMATS.join(', ')}`)
  return format as Format
}

/** The OS user, as the audit trail names CLI queries. */
export const cliUser = (): string => `os:${userInfo().username}`

/** Opens the configured ClickHouse (embedded under --data by default) ready for analyst queries. */
export async function withAnalyst<T>(data: string | undefined, fn: (analyst: Analyst) => Promise<T>): Promise<T> {
  const config = clickhouseConfigFromEnv()
  if (data) config.path = `${data}/clickhouse`
  const ch = await connectClickHouse(config)
  try {
    await migrate(ch)
    const analyst = await openAnalyst(ch, config, analystOptionsFromEnv())
    try {
      return await fn(analyst)
    } finally {
      await analyst.close()
    }
  } finally {
    await ch.close()
  }
}

/**
 * The same query through a running core's API (--core URL or NEVA_CORE_URL), as the analyst
 * whose token is in NEVA_ANALYST_TOKEN (an environment variable, not a flag, to keep it out of
 * shell history and the process list). The embedded engine has one owner: while a core runs on a
 * data directory, this is the way in, and the core audits the analyst's name.
 */
export async function viaCore(core: string, path: string, body?: object): Promise<AnalystResult> {
  const token = process.env.NEVA_ANALYST_TOKEN
  if (!token) throw new UsageError('--core: set NEVA_ANALYST_TOKEN to your analyst token')
  let base: URL
  try {
    base = new URL(core)
  } catch {
    throw new UsageError(`--core: not a URL: ${JSON.stringify(core)}`)
  }
  const res = await fetch(new URL(path, base), {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const answer = (await res.json().catch(() => ({}))) as Partial<AnalystResult> & { error?: string; message?: string }
  if (res.status === 401 || res.status === 403) throw new UsageError(`the core at ${base.origin} refused NEVA_ANALYST_TOKEN (${answer.error ?? res.status})`)
  if (res.status >= 400 && res.status < 500) throw new UsageError(`${answer.message ?? res.statusText} [${answer.error ?? res.status}; audited]`)
  if (res.status !== 200) throw new Error(`the core at ${base.origin} answered ${res.status}: ${answer.message ?? res.statusText}`)
  return { columns: answer.columns ?? [], rows: answer.rows ?? [], count: answer.count ?? 0 } as AnalystResult
}

/** Refusals and bad parameters are the user's to fix (exit 2); the rest is a failure (exit 1). */
export async function asCli(fn: () => Promise<AnalystResult>): Promise<AnalystResult> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof AnalystError && err.outcome === 'refused') throw new UsageError(`${err.message} [${err.code}; audited]`)
    throw err
  }
}

const text = (v: unknown): string => (v === null || v === undefined ? '\\N' : typeof v === 'object' ? JSON.stringify(v) : String(v))
const tsv = (v: unknown) => text(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n')
const csv = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(text(v)) ? `"${text(v).replace(/"/g, '""')}"` : text(v))

export function formatResult(result: AnalystResult, format: Format): string {
  const names = result.columns.map((c) => c.name)
  const cells = result.rows.map((r) => names.map((n) => r[n]))
  switch (format) {
    case 'JSON':
      return `${JSON.stringify({ count: result.count, columns: result.columns, rows: result.rows })}\n`
    case 'JSONEachRow':
      return result.rows.map((r) => `${JSON.stringify(r)}\n`).join('')
    case 'TabSeparated':
    case 'TabSeparatedWithNames': {
      const lines = cells.map((row) => row.map(tsv).join('\t'))
      if (format === 'TabSeparatedWithNames') lines.unshift(names.map(tsv).join('\t'))
      return lines.map((l) => `${l}\n`).join('')
    }
    case 'CSVWithNames':
      return [names, ...cells].map((row) => `${row.map(csv).join(',')}\n`).join('')
    case 'Vertical':
      return cells.map((row, i) => `Row ${i + 1}:\n${'─'.repeat(6)}\n${row.map((v, j) => `${names[j]}: ${text(v)}`).join('\n')}\n`).join('\n')
    case 'PrettyCompactMonoBlock': {
      const shown = cells.map((row) => row.map((v) => text(v).replace(/\n/g, '\\n')))
      const widths = names.map((n, j) => Math.max(n.length, ...shown.map((row) => row[j]!.length)))
      const line = (row: string[]) => `│ ${row.map((v, j) => v.padEnd(widths[j]!)).join(' │ ')} │`
      return [
        `┌─${widths.map((w) => '─'.repeat(w)).join('─┬─')}─┐`, line(names),
        `├─${widths.map((w) => '─'.repeat(w)).join('─┼─')}─┤`, ...shown.map(line),
        `└─${widths.map((w) => '─'.repeat(w)).join('─┴─')}─┘`, `${result.count} row${result.count === 1 ? '' : 's'}`,
      ].join('\n') + '\n'
    }
  }
}

function listing(): string {
  const out: string[] = ['named queries (neva query NAME --param name=value …):', '']
  for (const q of loadQueries().values()) {
    out.push(`  ${q.name}`, `      ${q.description}`)
    for (const p of q.params) out.push(`      --param ${p.name}=<${p.type}>  ${p.description}`)
    out.push('')
  }
  return out.join('\n')
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { param: { type: 'string', multiple: true, short: 'p' }, format: { type: 'string', default: 'PrettyCompactMonoBlock' }, data: { type: 'string' }, core: { type: 'string' } },
    true,
  )
  if (positionals.length === 0) {
    process.stdout.write(listing())
    return 0
  }
  if (positionals.length > 1) throw new UsageError('usage: neva query NAME [--param k=v …] [--format F] [--data DIR | --core URL]')
  const name = positionals[0]!
  const query = loadQueries().get(name)
  if (!query) throw new UsageError(`no named query ${JSON.stringify(name)}; \`neva query\` lists them`)
  const format = checkFormat(values.format as string)
  const params: Record<string, string> = {}
  for (const p of (values.param as string[] | undefined) ?? []) {
    const eq = p.indexOf('=')
    if (eq <= 0) throw new UsageError(`--param: expected name=value, got ${JSON.stringify(p)}`)
    params[p.slice(0, eq)] = p.slice(eq + 1)
  }
  const core = (values.core as string | undefined) ?? process.env.NEVA_CORE_URL
  const result = core
    ? await viaCore(core, `/v1/analytics/queries/${encodeURIComponent(name)}?${new URLSearchParams(params)}`)
    : await withAnalyst(values.data as string | undefined, (analyst) =>
      asCli(() => runNamedQuery(analyst, query, params, { user: cliUser(), via: 'cli' })),
    )
  process.stdout.write(formatResult(result, format))
  return 0
}
