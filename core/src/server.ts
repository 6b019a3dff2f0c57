// The core: Fastify with one plugin per concern, over one ClickHouse connection.
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AlarmStore, BoardStore, connectClickHouse, EmrStore, InfusionStore, LabMatchStore, LabOrderSetStore, LabOrderStore, migrate, OrderStore, PeopleStore, TelemetryStore, type ClickHouse } from '@neva/analytics'
import { timingSafeEqual } from 'node:crypto'
import { BackgroundTasks } from './background.js'
import { hashToken, parseCoreConfig, type CoreConfigInput } from './config.js'
import { CORE_ERRORS, CoreError, type CoreErrorCode } from './errors.js'
import { bearerToken } from './plugins/auth.js'
import { GatewayKeys } from './gateway-keys.js'
import { People } from './people.js'
import { createCoreMetrics } from './metrics.js'
import { registerEngineMemory } from './engine-metrics.js'
import { ModelRegistry } from './model-registry.js'
import { analyticsPlugin } from './plugins/analytics.js'
import { Gauge } from 'prom-client'
import { ingestPlugin } from './plugins/ingest.js'
import { CORE_GATEWAY_ID, GatewaySupervisor, storedContacts, storedGatewayState } from './gateway-supervisor.js'
import { modelsPlugin } from './plugins/models.js'
import { RiskManifestSchema } from './plugins/risk-manifest.js'
import { patientsPlugin } from './plugins/patients.js'
import { emrPlugin } from './plugins/emr.js'
import { decisionSupportPlugin } from './plugins/decision-support.js'
import { installPeople } from './plugins/people.js'
import { installSecurity } from './plugins/security.js'
import { adminPlugin } from './plugins/admin.js'
import { LiveBus } from './live/bus.js'
import { peopleAccess, type BoardAccess } from './live/access.js'
import { livePlugin, newLiveStats, type LiveOptions, type LiveStats } from './plugins/live.js'
import { boardsPlugin } from './plugins/boards.js'
import { ordersPlugin } from './plugins/orders.js'
import { alarmsPlugin } from './plugins/alarms.js'
import { FHIR_PREFIX, fhirPlugin } from './plugins/fhir.js'
import { cursorKeyOf } from './fhir/cursor.js'
import { labOrdersPlugin } from './plugins/lab-orders.js'
import { KeyedMutex } from './keyed-mutex.js'
import { LAB_MATCH_EVERY_MS, LabMatcher } from './lab-matcher.js'
import { patientPagePlugin } from './plugins/patient-page.js'
import { homePlugin } from './plugins/home.js'
import { surveyReviewPlugin } from './plugins/survey-review.js'
import { SurveyStore } from './surveys/store.js'
import { Surveys } from './surveys/service.js'
import { ctgPagePlugin } from './plugins/ctg-page.js'
import { patientLivePlugin } from './plugins/patient-live.js'

export interface Core {
  app: FastifyInstance
  clickhouse: ClickHouse
  store: TelemetryStore
  people: People
  /** Work the core does on its own; failures logged, counted and shown in /healthz. */
  background: BackgroundTasks
  gatewayKeys: GatewayKeys
  /** What the boards stream. */
  live: LiveBus
  /** Live streams open, dropped for being slow, refused over the per-user limit. */
  liveStats: LiveStats
  /** Lab results back to their orders; runs on its own every few seconds, or now with run(). */
  labMatcher: LabMatcher
  /** Symptom surveys of patients at home (docs/surveys.md). */
  surveys: Surveys
  /** Gateways silent too long: technical alarms at the core (docs/devices.md). */
  gatewaySupervisor: GatewaySupervisor
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string
  close(): Promise<void>
}

export interface CoreHooks {
  /** Who may see the boards; by default the core's login (request.user, canSee, auditView). */
  boardAccess?: BoardAccess
  /** Live stream limits (tests make them small). */
  live?: Pick<LiveOptions, 'heartbeatMs' | 'maxBufferedBytes' | 'maxStreamsPerUser' | 'maxStreams' | 'closeGraceMs'>
  /**
   * A ClickHouse connection to use instead of opening one (left open by close()): tests run two
   * cores on one embedded data directory, each with its own caches, learning of the other's
   * changes only through the store, as cores on one ClickHouse server do.
   */
  clickhouse?: ClickHouse
  /** How often lab results are matched on their own (LAB_MATCH_EVERY_MS); 0: only by core.labMatcher.run(), as tests do. */
  labMatchEveryMs?: number
  /** How often survey reminders are written (default a minute); 0: only by core.surveys.remind(now). */
  surveyRemindEveryMs?: number
}

/** Starts a core; what `input` leaves out takes CoreConfigSchema's default (coreConfigFromEnv reads the environment). */
export async function startCore(input: CoreConfigInput, hooks: CoreHooks = {}): Promise<Core> {
  const config = parseCoreConfig(input)
  const shared = hooks.clickhouse !== undefined
  const opened = hooks.clickhouse ?? (await connectClickHouse(config.clickhouse))
  const clickhouse: ClickHouse = shared ? { ...opened, client: opened.client, close: async () => {} } : opened
  try {
    await migrate(clickhouse)
  } catch (err) {
    await clickhouse.close()
    throw err
  }
  const store = new TelemetryStore(clickhouse, (err) => app.log.error({ err }, 'ingest ledger write failed; retrying'))
  const boardStores = { boards: new BoardStore(clickhouse), orders: new OrderStore(clickhouse), alarms: new AlarmStore(clickhouse), infusions: new InfusionStore(clickhouse) }
  const live = new LiveBus()
  try {
    live.load(await boardStores.boards.places())
  } catch (err) {
    await clickhouse.close()
    throw err
  }
  const metrics = createCoreMetrics()
  // Logged through the app's logger once it exists (the tasks first run a second after start).
  const background = new BackgroundTasks(metrics.registry, (task, err, consecutive) => app.log.error({ err, task, consecutive }, `background task ${task} failed`))
  const peopleConfig = config.people
  const peopleStore = new PeopleStore(clickhouse)
  const people = new People(peopleStore, peopleConfig, background)
  const gatewayKeys = new GatewayKeys(config.gateways, peopleStore)
  try {
    await people.start()
    await gatewayKeys.load(peopleConfig.usersRefreshS * 1000, background)
  } catch (err) {
    people.stop()
    gatewayKeys.close()
    await clickhouse.close()
    throw err
  }
  // A gateway silent too long is a technical alarm; the core's rows are written as any batch's.
  const supervision = config.gatewaySupervision
  const gatewaySupervisor = new GatewaySupervisor({
    gateways: () => gatewayKeys.gatewayIds(),
    periodMs: supervision.silenceS * 1000,
    periodsMs: Object.fromEntries(Object.entries(supervision.perGateway).map(([id, s]) => [id, s * 1000])),
    sites: config.gatewaySites,
    priority: 'medium',
    storedContacts: (ids) => storedContacts(clickhouse, ids),
    write: async (batch) => {
      await store.storeBatch(batch, { firstAttempt: true })
      live.publishBatch(batch)
    },
  })
  registerEngineMemory(metrics.registry, clickhouse, (err) => app.log.warn({ err }, 'ClickHouse memory figures not read for /metrics'))
  new Gauge({
    name: 'neva_core_gateways_silent',
    help: 'Known gateways silent past their period (an active technical alarm each)',
    registers: [metrics.registry],
    collect() { this.set(gatewaySupervisor.silent().length) },
  })
  try {
    if (gatewayKeys.gatewayIds().has(CORE_GATEWAY_ID)) throw new Error(`gateway id ${CORE_GATEWAY_ID} is the core's own: name the gateway otherwise`)
    const stored = await storedGatewayState(clickhouse, [...gatewayKeys.gatewayIds()])
    gatewaySupervisor.restore(stored.contacts, stored.active)
    // Any request a gateway's token opens (a batch, a model sync) says its uplink is up.
    gatewayKeys.onContact = (id) => gatewaySupervisor.contact(id)
  } catch (err) {
    people.stop()
    gatewayKeys.close()
    await clickhouse.close()
    throw err
  }
  const https = config.tls !== undefined
  const app = Fastify({
    ...(config.tls ? { https: { cert: config.tls.cert, key: config.tls.key } } : {}),
    // Logs go to stderr, as the gateway's do: stdout carries what a command prints for its caller
    // (`neva demo --json`'s summary line).
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel, stream: process.stderr },
    bodyLimit: config.bodyLimit,
    // Ids run to 128 characters (alarm ids 256), percent-encoded up to 3× that; the router's
    // default of 100 answered 414 to valid ids.
    routerOptions: { maxParamLength: 1024 },
    // Clinical data is validated as sent: no coercion (null must never become 0, "97" is not
    // a number) and unknown fields are refused, not silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    void reply.status(status).send({
      error: (error as { code?: string }).code ?? ('NEVA_CORE_INTERNAL' satisfies CoreErrorCode),
      message: status >= 500 && status !== 503 ? CORE_ERRORS.NEVA_CORE_INTERNAL.message : (error as Error).message,
    })
  })

  app.addHook('onClose', async () => {
    people.stop()
    gatewayKeys.close()
  })
  await installSecurity(app, { https })
  await installPeople(app, { people, metrics, secure: https || (peopleConfig.publicOrigin?.startsWith('https:') ?? false) })

  // Open, for load balancers, and saying no more than whether this core should get traffic: 503
  // when ClickHouse does not answer or a background task (re-reading accounts and sessions,
  // gateway credentials) keeps failing, since such a core would miss logouts made elsewhere.
  app.get('/healthz', async (_request, reply) => {
    const ping = await clickhouse.client.ping().catch((err: Error) => ({ success: false as const, error: err }))
    if (!ping.success) return reply.status(503).send({ status: 'degraded' })
    if (background.unhealthy().length > 0) return reply.status(503).send({ status: 'degraded' })
    return { status: 'ok' }
  })
  // Metrics say who logs in and how much is stored: a metrics token or an admin session.
  const metricsTokens = Object.values(config.metricsTokens).map((h) => Buffer.from(h, 'hex'))
  const metricsToken = (token: string | undefined): boolean => {
    if (token === undefined) return false
    const presented = Buffer.from(hashToken(token), 'hex')
    let ok = false
    for (const h of metricsTokens) if (timingSafeEqual(h, presented)) ok = true
    return ok
  }
  app.get('/metrics', async (request, reply) => {
    if (!metricsToken(bearerToken(request))) {
      if (!request.user) {
        metrics.refusals.inc({ code: 'unauthenticated' })
        throw new CoreError('NEVA_CORE_UNAUTHENTICATED', 'a metrics token (NEVA_METRICS_TOKENS) or an admin session')
      }
      if (!request.user.roles.includes('admin')) {
        metrics.refusals.inc({ code: 'forbidden' })
        throw new CoreError('NEVA_CORE_FORBIDDEN', 'metrics need a metrics token or the admin role')
      }
    }
    void reply.header('content-type', metrics.registry.contentType).header('cache-control', 'no-store')
    return metrics.registry.metrics()
  })
  /** Background tasks failing in a row, for an admin (not in /healthz, which is open). */
  app.get('/v1/admin/health', { onRequest: app.requireUser('admin') }, async () => ({ failing: background.unhealthy(1) }))
  await app.register(ingestPlugin, { store, gateways: gatewayKeys, metrics, live, gatewaySites: config.gatewaySites, limits: config.ingest, bodyLimit: config.bodyLimit })
  await app.register(patientsPlugin, { store })
  await app.register(adminPlugin, { people, gatewayKeys })
  await app.register(emrPlugin, { store: new EmrStore(clickhouse), systems: config.emrSystems, live })
  await app.register(decisionSupportPlugin, { clickhouse, systems: config.emrSystems })
  await app.register(modelsPlugin, { registry: new ModelRegistry(clickhouse), gateways: gatewayKeys, admins: config.admins })
  await app.register(modelsPlugin, { registry: new ModelRegistry(clickhouse, 'risk'), gateways: gatewayKeys, admins: config.admins, kind: 'risk', manifestSchema: RiskManifestSchema })
  await app.register(analyticsPlugin, { clickhouse, config: config.clickhouse, analysts: config.analysts, ...config.analytics })
  const access = hooks.boardAccess ?? peopleAccess(app)
  const liveStats: LiveStats = newLiveStats()
  await app.register(livePlugin, { bus: live, access, stores: boardStores, stats: liveStats, ...config.live, ...hooks.live })
  new Gauge({
    name: 'neva_core_live_streams',
    help: 'Board live streams: open now, and since start dropped (too slow), refused (per user), full (the core cap), ended (session or grants)',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      for (const state of ['open', 'dropped', 'refused', 'full', 'ended'] as const) this.set({ state }, liveStats[state])
    },
  })
  new Gauge({
    name: 'neva_core_live_buffered_bytes',
    help: 'Board live streams: unsent bytes of the fullest stream now (max), and the most any stream held since start (peak)',
    labelNames: ['of'] as const,
    registers: [metrics.registry],
    collect() {
      this.set({ of: 'max' }, Math.max(0, ...liveStats.buffered()))
      this.set({ of: 'peak' }, liveStats.peakBuffered)
    },
  })
  await app.register(boardsPlugin, { access, stores: boardStores })
  await app.register(ordersPlugin, { access, bus: live, stores: boardStores })
  await app.register(alarmsPlugin, { access, bus: live, alarms: boardStores.alarms })
  await app.register(fhirPlugin, {
    prefix: FHIR_PREFIX, clickhouse, publicOrigin: peopleConfig.publicOrigin,
    cursorKey: cursorKeyOf(config.fhir.cursorKey, clickhouse.kind === 'embedded' ? clickhouse.location : undefined),
  })
  const labOrders = new LabOrderStore(clickhouse)
  const labMatches = new LabMatchStore(clickhouse)
  const labOrderLocks = new KeyedMutex()
  const labMatcher = new LabMatcher(labMatches, labOrders, live, labOrderLocks)
  // Results find their orders within a few seconds of arriving (docs/lab.md).
  const labEvery = hooks.labMatchEveryMs ?? LAB_MATCH_EVERY_MS
  if (labEvery > 0) {
    const labTimer = setInterval(() => void background.run('lab_matching', () => labMatcher.tick()), labEvery)
    labTimer.unref()
    app.addHook('onClose', async () => {
      clearInterval(labTimer)
      // A pass under way would otherwise meet a closed ClickHouse (and log it) at shutdown.
      await labMatcher.idle()
    })
  }
  await app.register(labOrdersPlugin, { access, boards: boardStores.boards, orders: labOrders, matches: labMatches, orderSets: new LabOrderSetStore(clickhouse), systems: config.emrSystems, gateways: gatewayKeys, gatewaySites: config.gatewaySites, orderLocks: labOrderLocks, bus: live })
  await app.register(patientPagePlugin, { clickhouse })
  // Patients at home: tokens, surveys, home vitals, the chemotherapists' queue (docs/surveys.md).
  const surveys = new Surveys(new SurveyStore(clickhouse))
  await app.register(homePlugin, { surveys, telemetry: store, systems: config.emrSystems })
  await app.register(surveyReviewPlugin, { surveys })
  const reminderEvery = hooks.surveyRemindEveryMs ?? 60_000
  if (reminderEvery > 0) {
    const reminderTimer = setInterval(() => void background.run('survey_reminders', async () => {
      await surveys.remind(Date.now())
      await surveys.escalate()
    }), reminderEvery)
    reminderTimer.unref()
    app.addHook('onClose', async () => clearInterval(reminderTimer))
  }
  await app.register(ctgPagePlugin, { clickhouse })
  const gatewayTimer = setInterval(() => void background.run('gateway_supervision', () => gatewaySupervisor.check()), supervision.checkEveryMs)
  gatewayTimer.unref()
  app.addHook('onClose', async () => {
    clearInterval(gatewayTimer)
    await gatewaySupervisor.idle()
  })
  await app.register(patientLivePlugin, {
    bus: live, access, stats: liveStats, maxStreams: hooks.live?.maxStreams ?? config.live.maxStreams, maxStreamsPerUser: hooks.live?.maxStreamsPerUser ?? config.live.maxStreamsPerUser,
    ...(hooks.live?.heartbeatMs !== undefined ? { heartbeatMs: hooks.live.heartbeatMs } : {}),
    maxBufferedBytes: hooks.live?.maxBufferedBytes ?? config.live.maxBufferedBytes,
    ...(hooks.live?.closeGraceMs !== undefined ? { closeGraceMs: hooks.live.closeGraceMs } : {}),
  })

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
    background,
    gatewayKeys,
    live,
    liveStats,
    labMatcher,
    surveys,
    gatewaySupervisor,
    url: `${https ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    async close() {
      await app.close()
      await store.close()
      await clickhouse.close()
    },
  }
}
