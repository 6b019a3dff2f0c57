// neva edge --config FILE: one gateway until Ctrl-C.
import { loadGatewayConfig, startGateway } from '@neva/edge'
import { parse, untilInterrupted, UsageError } from '../args.js'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' } })
  if (!values.config) throw new UsageError('usage: neva edge --config FILE (JSON; see edge/gateway.example.json)')
  const config = loadGatewayConfig(values.config)
  const gateway = await startGateway(config)
  process.stderr.write(`neva edge: ${config.gateway_id}: MQTT${config.mqtt.tls ? ' over TLS' : ''} on ${config.mqtt.host}:${gateway.mqttPort}, API on ${gateway.apiUrl}, core ${config.core.url}\n`)
  await untilInterrupted()
  await gateway.stop()
  return 0
}
