// The local API built from the api section, and where it listens.
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from '../config.js'
import { readTls } from '../security/start-up.js'
import type { MllpSource } from '../sources/mllp-source.js'
import type { MqttSource } from '../sources/mqtt-source.js'
import { buildEdgeApi, type EdgeApiDeps } from './server.js'

export type ApiDeps = Omit<EdgeApiDeps, 'mqtt' | 'mllp' | 'tls' | 'tokenSha256' | 'rateLimitPerMinute'> & {
  mqtt: MqttSource
  mllp: MllpSource | undefined
}

export function edgeApi(config: GatewayConfig['api'], { mqtt, mllp, ...deps }: ApiDeps, logLevel: string): FastifyInstance {
  return buildEdgeApi({
    ...deps, mqtt: () => mqtt.status(),
    mllp: () => mllp ? mllp.status() : null,
    tls: config.tls ? readTls(config.tls, '/api/tls') : undefined,
    tokenSha256: config.token_sha256,
    rateLimitPerMinute: config.rate_limit_per_minute,
  }, logLevel)
}

/** Listens where the api section says; resolves with the API's URL (its port when 0 was asked). */
export async function listenApi(api: FastifyInstance, config: GatewayConfig['api']): Promise<string> {
  await api.listen({ host: config.host, port: config.port })
  const address = api.server.address()
  const apiPort = typeof address === 'object' && address ? address.port : config.port
  return `${config.tls ? 'https' : 'http'}://${config.host}:${apiPort}`
}
