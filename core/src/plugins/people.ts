// The locks for people: who the caller is (request.user), app.requireUser(...roles) for routes,
// app.auditView for every view of a patient's record, and the login, logout and /v1/me routes.
// Installed on the root instance (not encapsulated) so that every plugin's routes can use them.
//
// CSRF: the session cookie is SameSite=Strict, so browsers do not send it from other sites; on
// top of that every cookie-authenticated request that may change something (not GET/HEAD/OPTIONS)
// must carry an Origin (or, failing that, a Referer) of this site.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import cookie from '@fastify/cookie'
import { LoginBody, type Role, type User } from '@neva/contracts'
import { Value } from '@sinclair/typebox/value'
import { CoreError } from '../errors.js'
import type { CoreMetrics } from '../metrics.js'
import { LOGIN_CSS, loginPage, safeNext } from '../login-page.js'
import type { People } from '../people.js'
import { bearerToken } from './auth.js'

export interface PeopleOptions {
  people: People
  metrics: CoreMetrics
  /** Served over HTTPS (or behind an HTTPS proxy): the cookie is Secure and __Host- prefixed. */
  secure: boolean
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const looksLikeJwt = (t: string) => /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(t)
const wantsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html')

export type UserHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>

export async function installPeople(app: FastifyInstance, { people, metrics, secure }: PeopleOptions): Promise<void> {
  const cookieName = secure ? '__Host-neva_session' : 'neva_session'
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure }
  await app.register(cookie)
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  const sameOrigin = (request: FastifyRequest): boolean => {
    const expected = people.config.publicOrigin ?? `${request.protocol}://${request.host}`
    const origin = request.headers.origin
    if (origin !== undefined) return origin === expected
    const referer = request.headers.referer
    return referer !== undefined && (referer === expected || referer.startsWith(`${expected}/`))
  }
  const refuse = (code: string, error: CoreError) => {
    metrics.refusals.inc({ code })
    return error
  }

  app.decorateRequest('user', undefined)
  app.decorateRequest('sessionHash', undefined)
  app.decorateRequest('authProblem', undefined)
  app.decorate('people', people)

  app.addHook('onRequest', async (request) => {
    // The ingest hot path carries gateway tokens only.
    if (request.url.startsWith('/v1/ingest')) return
    const token = request.cookies[cookieName]
    if (token) {
      let found
      try {
        found = await people.sessionUser(token, request.ip)
      } catch (cause) {
        // A session this core has not seen could not be looked up: neither accepted nor refused.
        throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', 'the session could not be checked', { cause })
      }
      if (found) {
        if (!SAFE_METHODS.has(request.method) && !sameOrigin(request)) throw refuse('csrf', new CoreError('NEVA_CORE_CSRF', `${request.method} ${request.url.split('?')[0]}`))
        request.user = found.user
        request.sessionHash = found.sessionHash
        return
      }
      request.authProblem = 'the session has expired or ended; log in again'
    }
    const bearer = bearerToken(request)
    if (bearer && people.oidcEnabled && looksLikeJwt(bearer)) {
      try {
        request.user = await people.oidcUser(bearer)
      } catch (err) {
        metrics.refusals.inc({ code: 'oidc' })
        request.authProblem = (err as Error).message
        await people.oidcRefused(bearer, err, request.ip, String(request.headers['user-agent'] ?? ''))
          .catch((error: Error) => request.log.error({ err: error }, 'login audit of a refused OIDC token failed'))
      }
    }
  })

  app.decorate('requireUser', (...roles: Role[]): UserHook => async (request, reply) => {
    const user = request.user
    if (!user) {
      metrics.refusals.inc({ code: 'unauthenticated' })
      if (request.method === 'GET' && wantsHtml(request)) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 302)
      throw new CoreError('NEVA_CORE_UNAUTHENTICATED', request.authProblem)
    }
    if (roles.length > 0 && !roles.some((r) => user.roles.includes(r))) {
      throw refuse('forbidden', new CoreError('NEVA_CORE_FORBIDDEN', `${user.id} (${user.roles.join(', ') || 'no role'}): needs ${roles.join(' or ')}`))
    }
    return undefined
  })

  app.decorate('currentUser', (request: FastifyRequest): User | undefined => {
    const user = request.user
    if (!user) return undefined
    if (request.sessionHash !== undefined) return people.sessionUserNow(request.sessionHash)
    if (user.via === 'oidc') {
      const expiresAt = people.oidcExpiresAt(user)
      return expiresAt !== undefined && expiresAt > Date.now() ? user : undefined
    }
    return user
  })

  app.decorate('auditView', async (request: FastifyRequest, view: { patient_id: string; what: string }) => {
    const user = request.user
    if (!user) throw new CoreError('NEVA_CORE_UNAUTHENTICATED')
    try {
      await people.store.recordView({
        at: Date.now(), user_id: user.id, user_name: user.name, via: user.via, roles: user.roles, patient_id: view.patient_id, what: view.what,
        address: request.ip, user_agent: String(request.headers['user-agent'] ?? '').slice(0, 300),
      })
    } catch (cause) {
      // No audit row, no record: the caller must not answer with the patient's data.
      throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', 'the record view could not be audited', { cause })
    }
    metrics.recordViews.inc()
  })

  app.get('/login', async (request, reply) => {
    const { next } = request.query as { next?: string }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(loginPage({ next: safeNext(next) }))
  })
  app.get('/login.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(LOGIN_CSS))

  app.post('/login', { config: { rateLimit: { max: people.config.loginRequestsPerMinute, timeWindow: 60_000 } } }, async (request, reply) => {
    const form = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ?? false
    // Login CSRF: a page elsewhere must not log a browser in to someone else's account.
    if (request.headers.origin !== undefined && !sameOrigin(request)) throw refuse('csrf', new CoreError('NEVA_CORE_CSRF', 'POST /login'))
    if (!Value.Check(LoginBody, request.body)) {
      const first = [...Value.Errors(LoginBody, request.body)][0]
      throw new CoreError('NEVA_CORE_BAD_LOGIN', `body${first?.path ?? ''} ${first?.message ?? 'is not a login'}`)
    }
    const { username, password, next } = request.body
    const address = request.ip
    const userAgent = String(request.headers['user-agent'] ?? '')
    let result
    try {
      result = await people.login(username, password, address, userAgent)
    } catch (cause) {
      throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', undefined, { cause })
    }
    const outcome = result.ok ? 'ok' : result.outcome
    metrics.logins.inc({ outcome })
    await people.store.loginAttempt({ at: Date.now(), username: username.slice(0, 64), address, user_agent: userAgent.slice(0, 300), outcome, via: 'session' })
      .catch((err: Error) => request.log.error({ err }, 'login audit failed'))
    if (!result.ok) {
      const error = result.outcome === 'rate_limited'
        ? new CoreError('NEVA_CORE_LOGIN_RATE_LIMITED', `retry in ${Math.ceil((result.retryAfterMs ?? 0) / 1000)} s`)
        : new CoreError('NEVA_CORE_LOGIN_FAILED')
      if (result.retryAfterMs) void reply.header('retry-after', String(Math.ceil(result.retryAfterMs / 1000)))
      if (result.outcome !== 'rate_limited') request.log.warn({ username: username.slice(0, 64), address, outcome }, 'login refused')
      if (form) return reply.status(error.statusCode).type('text/html; charset=utf-8').send(loginPage({ next: safeNext(next), error: error.message, username }))
      throw error
    }
    void reply.setCookie(cookieName, result.token, { ...cookieOptions, maxAge: Math.floor((result.expiresAt - Date.now()) / 1000) })
    if (form) return reply.redirect(safeNext(next), 303)
    return { user: result.user, expires_at: result.expiresAt }
  })

  app.post('/logout', async (request, reply) => {
    if (request.sessionHash) {
      try {
        await people.logout(request.sessionHash)
      } catch (cause) {
        throw new CoreError('NEVA_CORE_STORAGE_UNAVAILABLE', 'the session could not be ended', { cause })
      }
    }
    void reply.clearCookie(cookieName, cookieOptions)
    if (wantsHtml(request)) return reply.redirect('/login', 303)
    return { logged_out: request.sessionHash !== undefined }
  })

  app.get('/v1/me', { onRequest: app.requireUser() }, async (request) => request.user)
}

declare module 'fastify' {
  interface FastifyInstance {
    /** A hook for onRequest/preHandler: 401 without a user (pages: redirect to /login), 403 without one of `roles` (none: any user). */
    requireUser(...roles: Role[]): UserHook
    /**
     * The request's user as of now, from memory (no query): undefined once its session ended or
     * expired, its account was disabled (here or on another core) or its OIDC token expired; the
     * account's current roles and grants otherwise. For long requests (live streams).
     */
    currentUser(request: FastifyRequest): User | undefined
    /** Writes who viewed which patient's record; throws (503) when it cannot, so no data goes out unaudited. */
    auditView(request: FastifyRequest, view: { patient_id: string; what: string }): Promise<void>
    people: People
  }
  interface FastifyRequest {
    user: User | undefined
    /** sha256 of the session token, when the user came from a session cookie. */
    sessionHash: string | undefined
    /** Why a presented session or token was not accepted, for the 401's message. */
    authProblem: string | undefined
  }
}
