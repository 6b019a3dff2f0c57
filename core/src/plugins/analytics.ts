// /v1/analytics: analyst SQL and the named query library, for analyst tokens only. Every query
// goes through @neva/analytics' analyst path: parsed by Neva's grammar, read-only, limited,
// pseudonymous and audited. Each analyst has a token bucket of queries (429 when it is empty),
// and a query's memory is capped lower than ClickHouse's own default (1 GB unless configured).
// On a ClickHouse server without an analyst user, the endpoints answer 503 NEVA_ANALYST_NO_USER.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import {
  AnalystError, loadQueries, openAnalyst, runAnalystQuery, runNamedQuery,
  type Analyst, type AnalystLimits, type AnalystOptions, type AnalystResult, type ClickHouse, type ClickHouseConfig,
} from '@neva/analytics'
import { CoreError } from '../errors.js'
import { gatewayAuthenticator } from './auth.js'

export interface AnalyticsOptions {
  clickhouse: ClickHouse
  config: ClickHouseConfig
  /** analyst name → sha256 (hex) of its bearer token. */
  analysts: Record<string, string>
  /** The pseudonym secret and, on a server, the ClickHouse user analyst queries run as (CoreConfig.analytics). */
  analyst: AnalystOptions
  limits: Partial<AnalystLimits>
  /** Queries per analyst: a bucket of `burst` refilled at `perMinute`. */
  rate: AnalystRate
}

export interface AnalystRate {
  perMinute: number
  burst: number
}

/** A token bucket per analyst: `take` says how many seconds to wait, 0 when a query may run. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()
  constructor(private readonly rate: AnalystRate, private readonly now: () => number = () => performance.now()) {}
  take(who: string): number {
    const t = this.now()
    const perMs = this.rate.perMinute / 60_000
    const b = this.buckets.get(who) ?? { tokens: this.rate.burst, at: t }
    b.tokens = Math.min(this.rate.burst, b.tokens + (t - b.at) * perMs)
    b.at = t
    this.buckets.set(who, b)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.ceil((1 - b.tokens) / perMs / 1000)
  }
}

async function answered(fn: () => Promise<AnalystResult>) {
  try {
    const { columns, rows, count, tables, duration_ms } = await fn()
    return { count, columns, rows, tables, duration_ms }
  } catch (err) {
    if (err instanceof AnalystError) {
      throw CoreError.analyst(err)
    }
    throw err
  }
}

const Params = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()]))
const SqlBody = Type.Object({ sql: Type.String({ minLength: 1, maxLength: 100_000 }), params: Type.Optional(Params) }, { additionalProperties: false })

export const analyticsPlugin: FastifyPluginAsyncTypebox<AnalyticsOptions> = async (app, options) => {
  const limits = options.limits
  const limiter = new RateLimiter(options.rate)
  let analyst: Analyst | undefined
  let unavailable: AnalystError | undefined
  try {
    analyst = await openAnalyst(options.clickhouse, options.config, options.analyst)
  } catch (err) {
    // Never the main credentials: without an analyst user the endpoints say why, the core runs.
    if (!(err instanceof AnalystError) || err.code !== 'NEVA_ANALYST_NO_USER') throw err
    unavailable = err
    app.log.warn({ code: err.code }, err.message)
  }
  app.addHook('onClose', async () => analyst?.close())
  const ready = (): Analyst => {
    if (analyst) return analyst
    throw CoreError.analyst(unavailable!)
  }
  const queries = loadQueries()
  const authenticate = gatewayAuthenticator(options.analysts)
  const users = new WeakMap<FastifyRequest, string>()
  const userOf = (request: FastifyRequest) => users.get(request) ?? 'unknown'
  const person = app.requireUser('analyst')
  // Authenticate before the body is parsed and validated: a person with the analyst role (the
  // audit names them), or an analyst token.
  const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.user) {
      await person(request, reply)
      users.set(request, `user:${request.user.id}`)
      return
    }
    users.set(request, `analyst:${authenticate(request)}`)
  }
  // After authentication, before the body is read: one token from the analyst's bucket per query.
  const rateLimit = async (request: FastifyRequest, reply: FastifyReply) => {
    ready()
    const wait = limiter.take(userOf(request))
    if (wait > 0) {
      reply.header('retry-after', String(wait))
      throw new CoreError('NEVA_ANALYST_RATE_LIMITED', String(wait))
    }
  }

  app.post('/v1/analytics/sql', { onRequest: [onRequest, rateLimit], schema: { body: SqlBody } }, async (request) =>
    answered(() => runAnalystQuery(ready(), { sql: request.body.sql, params: request.body.params, user: userOf(request), via: 'http', limits })),
  )

  app.get('/v1/analytics/queries', { onRequest }, async () => ({
    queries: [...queries.values()].map(({ name, description, params }) => ({ name, description, params })),
  }))

  app.get(
    '/v1/analytics/queries/:name',
    { onRequest: [onRequest, rateLimit], schema: { params: Type.Object({ name: Type.String({ maxLength: 100 }) }), querystring: Type.Record(Type.String(), Type.String()) } },
    async (request) => {
      const query = queries.get(request.params.name)
      if (!query) throw new CoreError('NEVA_ANALYST_UNKNOWN_QUERY', JSON.stringify(request.params.name))
      return answered(() => runNamedQuery(ready(), query, request.query, { user: userOf(request), via: 'http', limits }))
    },
  )
}
