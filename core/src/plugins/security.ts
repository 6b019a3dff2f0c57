// Response headers and request limits for everything the core serves (helmet, rate-limit).
// Pages are served by the core itself with no external asset, so the CSP allows this origin only.
// HSTS only over HTTPS: sent over plain HTTP it would be ignored, and on 127.0.0.1 it would pin
// a development port to HTTPS.
import type { FastifyInstance } from 'fastify'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import { CoreError } from '../errors.js'

/** Routes that skip helmet: machine-to-machine and on the hot path (no page, no browser). */
const NO_HEADERS = new Set(['/v1/ingest'])

export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
}

export async function installSecurity(app: FastifyInstance, { https }: { https: boolean }): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (NO_HEADERS.has(route.url)) route.config = Object.assign(route.config ?? {}, { helmet: { skipRoute: true } })
  })
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...CONTENT_SECURITY_POLICY, ...(https ? { 'upgrade-insecure-requests': [] } : {}) },
    },
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    // Cross-origin isolation headers would refuse nothing here and can break a tablet's viewer.
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'same-origin' },
  })
  // Off by default; routes opt in with config.rateLimit (login, admin). Keyed by the address.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new CoreError('NEVA_CORE_RATE_LIMITED', `at most ${context.max} requests per ${context.after}`),
  })
}
