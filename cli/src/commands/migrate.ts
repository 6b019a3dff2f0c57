// neva migrate [--data DIR]: applies the schema migrations to the configured ClickHouse (the core
// does this itself at start-up). With --cluster NAME --print it prints the same schema as
// ClickHouse cluster DDL instead (ReplicatedMergeTree tables ON CLUSTER, Distributed tables under
// the usual names), for an operator to review and run; --cluster NAME without --print applies it.
import { clickhouseConfigFromEnv, clusterPreamble, connectClickHouse, loadMigrations, migrate, renderClusterMigrations, renderClusterSql } from '@neva/analytics'
import { parse, UsageError } from '../args.js'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { cluster: { type: 'string' }, database: { type: 'string' }, print: { type: 'boolean', default: false }, data: { type: 'string' } })
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
  } finally {
    await ch.close()
  }
  return 0
}
