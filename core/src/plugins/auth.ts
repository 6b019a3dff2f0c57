// Gateway authentication: a bearer token per gateway. Configured tokens alone are compared by
// their SHA-256 in constant time; with GatewayKeys (configured + issued by admins) the SHA-256
// is looked up in memory, which reveals nothing about the token itself.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { hashToken } from '../config.js'
import { CoreError } from '../errors.js'
import { GatewayKeys } from '../gateway-keys.js'

/** gateway id → sha256 (hex) of its token, or the live set of configured and issued tokens. */
export type GatewayCredentials = Record<string, string> | GatewayKeys

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
  return m?.[1]
}

export function gatewayAuthenticator(gateways: GatewayCredentials) {
  if (gateways instanceof GatewayKeys) {
    return function authenticate(request: FastifyRequest): string {
      const token = bearerToken(request)
      const found = token === undefined ? undefined : gateways.gatewayOf(token)
      if (found === undefined) throw new CoreError('NEVA_CORE_UNAUTHORIZED')
      return found
    }
  }
  const entries = Object.entries(gateways).map(([id, hash]) => [id, Buffer.from(hash, 'hex')] as const)
  return function authenticate(request: FastifyRequest): string {
    const token = bearerToken(request)
    if (token === undefined) throw new CoreError('NEVA_CORE_UNAUTHORIZED')
    const presented = Buffer.from(hashToken(token), 'hex')
    let found: string | undefined
    // Compare against every entry so timing does not reveal which gateway matched.
    for (const [id, hash] of entries) if (timingSafeEqual(hash, presented) && found === undefined) found = id
    if (found === undefined) throw new CoreError('NEVA_CORE_UNAUTHORIZED')
    return found
  }
}
