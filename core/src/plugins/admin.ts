// /v1/admin: accounts and gateway credentials, for people with the admin role only. Every
// change names the admin who made it (updated_by, issued_by, revoked_by).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Grants, Identifier, NewUser, Password, UserId } from '@neva/contracts'
import { CoreError, stored } from '../errors.js'
import type { GatewayKeys } from '../gateway-keys.js'
import type { People } from '../people.js'

export interface AdminOptions {
  people: People
  gatewayKeys: GatewayKeys
  /** Requests per minute per address on the admin routes. */
  requestsPerMinute?: number
}

const UserParams = Type.Object({ id: UserId })
const GatewayParams = Type.Object({ id: Identifier })
const CredentialParams = Type.Object({ id: Identifier, credential: Type.String({ format: 'uuid' }) })
const Disabled = Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false })
const PasswordBody = Type.Object({ password: Password }, { additionalProperties: false })

export const adminPlugin: FastifyPluginAsyncTypebox<AdminOptions> = async (app, { people, gatewayKeys, requestsPerMinute = 300 }) => {
  const admin = app.requireUser('admin')
  const by = (request: { user: { id: string } | undefined }) => request.user!.id
  // Every route here: admins only, checked before the body is read.
  app.addHook('onRequest', admin)
  const config = { rateLimit: { max: requestsPerMinute, timeWindow: 60_000 } }

  app.get('/v1/admin/users', { config }, async () => ({ users: people.list() }))

  app.post('/v1/admin/users', { config, schema: { body: NewUser } }, async (request, reply) => {
    const account = await stored(() => people.add(request.body, by(request)))
    request.log.info({ user: account.id, roles: account.roles, by: by(request) }, 'account created')
    return reply.status(201).send(account)
  })

  app.post('/v1/admin/users/:id/grant', { config, schema: { params: UserParams, body: Grants } }, async (request) =>
    stored(() => people.grant(request.params.id, by(request), request.body)),
  )

  app.post('/v1/admin/users/:id/revoke', { config, schema: { params: UserParams, body: Grants } }, async (request) => {
    if (request.params.id === by(request) && request.body.roles?.includes('admin')) throw new CoreError('NEVA_CORE_SELF_LOCKOUT')
    return stored(() => people.revoke(request.params.id, by(request), request.body))
  })

  app.put('/v1/admin/users/:id/disabled', { config, schema: { params: UserParams, body: Disabled } }, async (request) => {
    if (request.params.id === by(request) && request.body.disabled) throw new CoreError('NEVA_CORE_SELF_LOCKOUT')
    const account = await stored(() => people.setDisabled(request.params.id, by(request), request.body.disabled))
    request.log.warn({ user: account.id, disabled: account.disabled, by: by(request) }, 'account disabled flag changed')
    return account
  })

  app.put('/v1/admin/users/:id/password', { config, schema: { params: UserParams, body: PasswordBody } }, async (request) =>
    stored(() => people.setPassword(request.params.id, by(request), request.body.password)),
  )

  app.get('/v1/admin/gateways/credentials', { config }, async () => ({ credentials: gatewayKeys.list() }))

  app.post('/v1/admin/gateways/:id/credentials', { config, schema: { params: GatewayParams } }, async (request, reply) => {
    const issued = await stored(() => gatewayKeys.issue(request.params.id, by(request)))
    request.log.warn({ gateway: issued.gateway_id, credential: issued.credential_id, by: by(request) }, 'gateway credential issued')
    return reply.status(201).header('cache-control', 'no-store').send(issued)
  })

  app.delete('/v1/admin/gateways/:id/credentials', { config, schema: { params: GatewayParams } }, async (request) => {
    const revoked = await stored(() => gatewayKeys.revoke(request.params.id, undefined, by(request)))
    request.log.warn({ gateway: request.params.id, revoked, by: by(request) }, 'gateway credentials revoked')
    return { gateway_id: request.params.id, revoked }
  })

  app.delete('/v1/admin/gateways/:id/credentials/:credential', { config, schema: { params: CredentialParams } }, async (request) => {
    const revoked = await stored(() => gatewayKeys.revoke(request.params.id, request.params.credential, by(request)))
    request.log.warn({ gateway: request.params.id, credential: request.params.credential, by: by(request) }, 'gateway credential revoked')
    return { gateway_id: request.params.id, credential_id: request.params.credential, revoked }
  })
}
