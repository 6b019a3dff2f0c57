// neva core: the core on the configured ClickHouse until Ctrl-C.
import { coreConfigFromEnv, startCore } from '@neva/core'
import { numberOption, parse, untilInterrupted } from '../args.js'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { host: { type: 'string' }, port: { type: 'string' }, data: { type: 'string' } })
  const config = coreConfigFromEnv()
  if (values.host) config.host = values.host
  config.port = numberOption(values.port, 'port', config.port, { integer: true })
  if (values.data) config.clickhouse.path = `${values.data}/clickhouse`
  if (Object.keys(config.gateways).length === 0) {
    process.stderr.write('neva core: no gateway credentials (set NEVA_GATEWAY_TOKENS="gw-1=secret" or NEVA_GATEWAY_TOKENS_FILE); ingest will refuse every gateway\n')
  }
  const core = await startCore(config)
  process.stderr.write(`neva core: listening on ${core.url} (ClickHouse ${core.clickhouse.kind}: ${core.clickhouse.location})\n`)
  await untilInterrupted()
  await core.close()
  return 0
}
