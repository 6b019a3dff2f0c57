// neva migrate [--data DIR]: applies the schema migrations to the configured ClickHouse (the core
// does this itself at start-up). With --cluster NAME --print it prints the same schema as
// ClickHouse cluster DDL instead (ReplicatedMergeTree tables ON CLUSTER, Distributed tables under
// the usual names), for an operator to review and run; --cluster NAME without --print applies it.
// On a ClickHouse server with CLICKHOUSE_ANALYST_USER / CLICKHOUSE_ANALYST_PASSWORD set, it then
// creates (or updates) that user: SELECT on the analyst views only (analystUserDdl). With
// --print-analyst-user it prints those statements instead (the password only as its SHA-256).
import {
  analystOptionsFromEnv, analystUserDdl, clickhouseConfigFromEnv, clusterPreamble, connectClickHouse, loadMigrations, migrate, renderClusterMigrations, renderClusterSql,
} from '@neva/analytics'
import { parse, UsageError } from '../args.js'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    cluster: { type: 'string' }, database: { type: 'string' }, print: { type: 'boolean', default: false }, data: { type: 'string' },
    'print-analyst-user': { type: 'boolean', default: false },
  })
  const analyst = analystOptionsFromEnv()
  const analystDdl = () => {
    if (!analyst.username || !analyst.password) throw new UsageError('set CLICKHOUSE_ANALYST_USER and CLICKHOUSE_ANALYST_PASSWORD for the analyst user')
    return analystUserDdl(analyst.username, analyst.password)
  }
  if (values['print-analyst-user']) {
    process.stdout.write(analystDdl().map((s) => `${s};\n`).join(''))
    return 0
  }
  if (values.print && !values.cluster) throw new UsageError('--print renders cluster DDL: name the cluster with --cluster NAME')
  const config = clickhouseConfigFromEnv()
  const database = values.database ?? config.database ?? 'neva'
  if (values.cluster && values.print) {
    process.stdout.write(renderClusterSql(loadMigrations(), { cluster: values.cluster, database }))
    return 0
  }
  if (values.data) config.path = `${values.data}/clickhouse`
  const ch = await connectClickHouse(config)
  try {
    if (values.cluster) {
      const options = { cluster: values.cluster, database }
      for (const statement of clusterPreamble(options)) await ch.client.command({ query: statement })
      const report = await migrate(ch, renderClusterMigrations(loadMigrations(), options))
      process.stdout.write(`cluster ${values.cluster}: applied ${report.applied.join(', ') || 'nothing'}; already applied ${report.alreadyApplied.length}\n`)
    } else {
      const report = await migrate(ch)
      process.stdout.write(`${ch.location}: applied ${report.applied.join(', ') || 'nothing'}; already applied ${report.alreadyApplied.length}\n`)
    }
    if (ch.kind === 'server' && analyst.username) {
      for (const statement of analystDdl()) await ch.client.command({ query: statement })
      process.stdout.write(`analyst user ${analyst.username}: SELECT on the analyst views only\n`)
    }
  } finally {
    await ch.close()
  }
  return 0
}
