// neva sql "SELECT …": analyst SQL against the configured ClickHouse (the embedded data directory
// by default), through the same path as the core's POST /v1/analytics/sql: Neva's analyst-SQL
// grammar decides that it is one SELECT reading only the pseudonymous analyst views and prints
// the SQL that runs, with readonly=1 and limits, audited with the OS user. There is no --raw: operators who need raw rows
// use clickhouse-client on the server, which its own query log records. With --core URL the
// query goes to a running core instead (which owns the embedded engine while it runs).
import { runAnalystQuery } from '@neva/analytics'
import { parse, UsageError } from '../args.js'
import { asCli, checkFormat, cliUser, formatResult, viaCore, withAnalyst } from './query.js'

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string', default: 'PrettyCompactMonoBlock' }, data: { type: 'string' }, core: { type: 'string' } }, true)
  const sql = positionals.join(' ').trim()
  if (!sql) throw new UsageError('usage: neva sql [--format F] [--data DIR | --core URL] "SELECT …"')
  const format = checkFormat(values.format as string)
  const statement = sql.replace(/;\s*$/, '')
  const core = (values.core as string | undefined) ?? process.env.NEVA_CORE_URL
  const result = core
    ? await viaCore(core, '/v1/analytics/sql', { sql: statement })
    : await withAnalyst(values.data as string | undefined, (analyst) =>
      asCli(() => runAnalystQuery(analyst, { sql: statement, user: cliUser(), via: 'cli' })),
    )
  process.stdout.write(formatResult(result, format))
  return 0
}
