// neva sql "SELECT …": a read-only query against the configured ClickHouse (the embedded data
// directory by default). Reads only: refused before it runs unless it is a read statement, and
// run with readonly=1 so ClickHouse itself refuses any write.
import { clickhouseConfigFromEnv, connectClickHouse } from '@neva/analytics'
import { parse, UsageError } from '../args.js'

const READ_STATEMENT = /^\s*(\(\s*)*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS)\b/i
const FORMATS = ['PrettyCompactMonoBlock', 'TabSeparated', 'TabSeparatedWithNames', 'CSVWithNames', 'JSONEachRow', 'Vertical'] as const

export function assertReadOnly(sql: string): void {
  const stripped = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
  if (!READ_STATEMENT.test(stripped)) {
    throw new UsageError('only reads are allowed (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS)')
  }
  if (/;\s*\S/.test(stripped)) throw new UsageError('one statement at a time')
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string', default: 'PrettyCompactMonoBlock' }, data: { type: 'string' } }, true)
  const sql = positionals.join(' ').trim()
  if (!sql) throw new UsageError('usage: neva sql [--format F] [--data DIR] "SELECT …"')
  const format = values.format as (typeof FORMATS)[number]
  if (!FORMATS.includes(format)) throw new UsageError(`--format: one of ${FORMATS.join(', ')}`)
  assertReadOnly(sql)
  const config = clickhouseConfigFromEnv()
  if (values.data) config.path = `${values.data}/clickhouse`
  const ch = await connectClickHouse(config)
  try {
    const rs = await ch.client.query({
      query: sql.replace(/;\s*$/, ''),
      format: format as 'JSONEachRow',
      // readonly last: once it is set, no other setting may change.
      clickhouse_settings: { max_execution_time: 60, max_result_rows: '1000000', result_overflow_mode: 'throw', readonly: '1' },
    })
    process.stdout.write(await rs.text())
  } finally {
    await ch.close()
  }
  return 0
}
