// The core: Fastify with one plugin per concern, over one ClickHouse connection.
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AlarmStore, BoardStore, connectClickHouse, EmrStore, migrate, OrderStore, PeopleStore, TelemetryStore, type ClickHouse } from '@neva/analytics'
import { PEOPLE_DEFAULTS, type CoreConfig } from './config.js'
import { GatewayKeys } from './gateway-keys.js'
import { People } from './people.js'
import { createCoreMetrics } from './metrics.js'
import { ModelRegistry } from './model-registry.js'
import { analyticsPlugin, analystTokens } from './plugins/analytics.js'
import { ingestPlugin } from './plugins/ingest.js'
import { modelsPlugin } from './plugins/models.js'
import { patientsPlugin } from './plugins/patients.js'
import { emrPlugin } from './plugins/emr.js'
import { decisionSupportPlugin } from './plugins/decision-support.js'
import { installPeople } from './plugins/people.js'
import { installSecurity } from './plugins/security.js'
import { adminPlugin } from './plugins/admin.js'
import { LiveBus } from './live/bus.js'
import { peopleAccess, type BoardAccess } from './live/access.js'
import { livePlugin, type LiveOptions, type LiveStats } from './plugins/live.js'
import { boardsPlugin } from './plugins/boards.js'
import { ordersPlugin } from './plugins/orders.js'
import { alarmsPlugin } from './plugins/alarms.js'

export interface Core {
  app: FastifyInstance
  clickhouse: ClickHouse
  store: TelemetryStore
  people: People
  gatewayKeys: GatewayKeys
  /** What the boards stream. */
  live: LiveBus
  /** Live streams open, dropped for being slow, refused over the per-user limit. */
  liveStats: LiveStats
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string
  close(): Promise<void>
}

export interface CoreHooks {
  /** Who may see the boards; by default the core's login (request.user, canSee, auditView). */
  boardAccess?: BoardAccess
  /** Live stream limits (tests make them small). */
  live?: Pick<LiveOptions, 'heartbeatMs' | 'maxBufferedBytes' | 'maxStreamsPerUser'>
}

export async function startCore(config: CoreConfig, hooks: CoreHooks = {}): Promise<Core> {
  const clickhouse = await connectClickHouse(config.clickhouse)
  try {
    await migrate(clickhouse)
  } catch (err) {
    await clickhouse.close()
    throw err
  }
  const store = new TelemetryStore(clickhouse, (err) => app.log.error({ err }, 'ingest ledger write failed; retrying'))
  const boardStores = { boards: new BoardStore(clickhouse), orders: new OrderStore(clickhouse), alarms: new AlarmStore(clickhouse) }
  const live = new LiveBus()
  try {
    live.load(await boardStores.boards.places())
  } catch (err) {
    await clickhouse.close()
    throw err
  }
  const metrics = createCoreMetrics()
  const peopleConfig = { ...PEOPLE_DEFAULTS, ...config.people }
  const peopleStore = new PeopleStore(clickhouse)
  const people = new People(peopleStore, peopleConfig)
  const gatewayKeys = new GatewayKeys(config.gateways, peopleStore)
  try {
    await people.start()
    await gatewayKeys.load(peopleConfig.usersRefreshS * 1000)
  } catch (err) {
    people.stop()
    gatewayKeys.close()
    await clickhouse.close()
    throw err
  }
  const https = config.tls !== undefined
  const app = Fastify({
    ...(config.tls ? { https: { cert: config.tls.cert, key: config.tls.key } } : {}),
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // Clinical data is validated as sent: no coercion (null must never become 0, "97" is not
    // a number) and unknown fields are refused, not silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    void reply.status(status).send({
      error: (error as { code?: string }).code ?? 'NEVA_CORE_INTERNAL',
      message: status >= 500 && status !== 503 ? 'internal error' : (error as Error).message,
    })
  })

  app.get('/healthz', async (_request, reply) => {
    const ping = await clickhouse.client.ping().catch((err: Error) => ({ success: false as const, error: err }))
    if (!ping.success) return reply.status(503).send({ status: 'degraded', clickhouse: 'unavailable' })
    return { status: 'ok', clickhouse: clickhouse.kind }
  })
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType)
    return metrics.registry.metrics()
  })
  app.addHook('onClose', async () => {
    people.stop()
    gatewayKeys.close()
  })
  await installSecurity(app, { https })
  await installPeople(app, { people, metrics, secure: https || (peopleConfig.publicOrigin?.startsWith('https:') ?? false) })
  await app.register(ingestPlugin, { store, gateways: gatewayKeys, metrics, live, gatewaySites: config.gatewaySites ?? {} })
  await app.register(patientsPlugin, { store })
  await app.register(adminPlugin, { people, gatewayKeys })
  await app.register(emrPlugin, { store: new EmrStore(clickhouse), systems: config.emrSystems ?? {}, live })
  await app.register(decisionSupportPlugin, { clickhouse, systems: config.emrSystems ?? {} })
  await app.register(modelsPlugin, { registry: new ModelRegistry(clickhouse), gateways: gatewayKeys, admins: config.admins ?? {} })
  await app.register(analyticsPlugin, { clickhouse, config: config.clickhouse, analysts: analystTokens(config) })
  const access = hooks.boardAccess ?? peopleAccess(app)
  const liveStats: LiveStats = { open: 0, dropped: 0, refused: 0 }
  await app.register(livePlugin, { bus: live, access, stores: boardStores, stats: liveStats, ...hooks.live })
  await app.register(boardsPlugin, { access, stores: boardStores })
  await app.register(ordersPlugin, { access, bus: live, stores: boardStores })
  await app.register(alarmsPlugin, { access, bus: live, alarms: boardStores.alarms })

  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    await app.close()
    await clickhouse.close()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  return {
    app,
    clickhouse,
    store,
    people,
    gatewayKeys,
    live,
    liveStats,
    url: `${https ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    async close() {
      await app.close()
      await store.close()
      await clickhouse.close()
    },
  }
}
