// Gateway authentication: a bearer token per gateway, compared by its SHA-256 in constant time.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { hashToken } from '../config.js'
import { CoreError } from '../errors.js'

export function gatewayAuthenticator(gateways: Record<string, string>) {
  const entries = Object.entries(gateways).map(([id, hash]) => [id, Buffer.from(hash, 'hex')] as const)
  return function authenticate(request: FastifyRequest): string {
    const header = request.headers.authorization
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
    if (!m) throw new CoreError('NEVA_CORE_UNAUTHORIZED')
    const presented = Buffer.from(hashToken(m[1]!), 'hex')
    let found: string | undefined
    // Compare against every entry so timing does not reveal which gateway matched.
    for (const [id, hash] of entries) if (timingSafeEqual(hash, presented) && found === undefined) found = id
    if (found === undefined) throw new CoreError('NEVA_CORE_UNAUTHORIZED')
    return found
  }
}
