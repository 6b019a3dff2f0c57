// /v1/analytics: analyst SQL and the named query library, for analyst tokens only. Every query
// goes through @neva/analytics' analyst path: read-only, limited, pseudonymous and audited.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import {
  AnalystError, analystOptionsFromEnv, loadQueries, openAnalyst, runAnalystQuery, runNamedQuery,
  type AnalystLimits, type AnalystOptions, type AnalystResult, type ClickHouse, type ClickHouseConfig,
} from '@neva/analytics'
import { parseGatewayTokens, type CoreConfig } from '../config.js'
import { gatewayAuthenticator } from './auth.js'

export interface AnalyticsOptions {
  clickhouse: ClickHouse
  config: ClickHouseConfig
  /** analyst name → sha256 (hex) of its bearer token. */
  analysts: Record<string, string>
  analyst?: AnalystOptions | undefined
  limits?: Partial<AnalystLimits> | undefined
}

/**
 * Analyst credentials: CoreConfig.analysts when the config has them, else NEVA_ANALYST_TOKENS
 * ("name=token,…", like NEVA_ADMIN_TOKENS). Belongs in config.ts; kept here until it moves.
 */
export function analystTokens(config: CoreConfig & { analysts?: Record<string, string> }, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return config.analysts ?? (env.NEVA_ANALYST_TOKENS ? parseGatewayTokens(env.NEVA_ANALYST_TOKENS, 'NEVA_ANALYST_TOKENS') : {})
}

/** An analyst refusal as the core's error handler expects it: code, message, status. */
class AnalyticsHttpError extends Error {
  constructor(readonly code: string, message: string, readonly statusCode: number, options?: ErrorOptions) {
    super(message, options)
  }
}

async function answered(fn: () => Promise<AnalystResult>) {
  try {
    const { columns, rows, count, tables, duration_ms } = await fn()
    return { count, columns, rows, tables, duration_ms }
  } catch (err) {
    if (err instanceof AnalystError) {
      throw new AnalyticsHttpError(err.code, err.message, err.code === 'NEVA_ANALYST_AUDIT_UNAVAILABLE' ? 503 : 400, { cause: err })
    }
    throw err
  }
}

const Params = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()]))
const SqlBody = Type.Object({ sql: Type.String({ minLength: 1, maxLength: 100_000 }), params: Type.Optional(Params) }, { additionalProperties: false })

export const analyticsPlugin: FastifyPluginAsyncTypebox<AnalyticsOptions> = async (app, options) => {
  const analyst = await openAnalyst(options.clickhouse, options.config, options.analyst ?? analystOptionsFromEnv())
  app.addHook('onClose', () => analyst.close())
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

  app.post('/v1/analytics/sql', { onRequest, schema: { body: SqlBody } }, async (request) =>
    answered(() => runAnalystQuery(analyst, { sql: request.body.sql, params: request.body.params, user: userOf(request), via: 'http', limits: options.limits })),
  )

  app.get('/v1/analytics/queries', { onRequest }, async () => ({
    queries: [...queries.values()].map(({ name, description, params }) => ({ name, description, params })),
  }))

  app.get(
    '/v1/analytics/queries/:name',
    { onRequest, schema: { params: Type.Object({ name: Type.String({ maxLength: 100 }) }), querystring: Type.Record(Type.String(), Type.String()) } },
    async (request) => {
      const query = queries.get(request.params.name)
      if (!query) throw new AnalyticsHttpError('NEVA_ANALYST_UNKNOWN_QUERY', `no named query ${JSON.stringify(request.params.name)}; GET /v1/analytics/queries lists them`, 404)
      return answered(() => runNamedQuery(analyst, query, request.query, { user: userOf(request), via: 'http', limits: options.limits }))
    },
  )
}
