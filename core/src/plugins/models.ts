// /v1/models/triage (and /v1/models/risk, the deterioration model's registry): admins upload,
// activate and roll back models; gateways (and admins) read the current one and download its ONNX bytes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type, type Static, type TObject } from '@sinclair/typebox'
import { Identifier, ModelManifest } from '@neva/contracts'
import { CoreError, stored } from '../errors.js'
import type { ModelRegistry, RegistryManifest } from '../model-registry.js'
import { gatewayAuthenticator, type GatewayCredentials } from './auth.js'

export interface ModelsOptions {
  registry: ModelRegistry<RegistryManifest>
  gateways: GatewayCredentials
  admins: Record<string, string>
  /** The registry's path under /v1/models/ (a constant, never from a request); default triage. */
  kind?: 'triage' | 'risk'
  /** The manifest's schema (default: the triage model's ModelManifest). */
  manifestSchema?: TObject
}

type Role = 'admin' | 'gateway'

const Base64 = Type.String({ minLength: 4, pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' })
/** `neva model sign`'s output: an Ed25519 signature of the manifest, verified by the gateways. */
const Signature = Type.Object(
  { alg: Type.Literal('ed25519'), key_id: Type.String({ pattern: '^[0-9a-f]{16}$' }), signature: Type.String({ minLength: 4, maxLength: 256, pattern: '^[A-Za-z0-9+/]+={0,2}$' }) },
  { additionalProperties: false },
)
const upload = (manifest: TObject) => Type.Object({ manifest, onnx_base64: Base64, signature: Type.Optional(Signature) }, { additionalProperties: false })
const ModelParams = Type.Object({ id: Identifier, version: ModelManifest.properties.version })

/** 401 for a missing or unknown token; 403 for a known token whose role may not call the route. */
function roleAuthenticator(admins: Record<string, string>, gateways: GatewayCredentials) {
  const byRole: Array<[Role, (r: FastifyRequest) => string]> = [
    ['admin', gatewayAuthenticator(admins)],
    ['gateway', gatewayAuthenticator(gateways)],
  ]
  return (request: FastifyRequest, allowed: readonly Role[]): string => {
    for (const [role, authenticate] of byRole) {
      let name: string
      try {
        name = authenticate(request)
      } catch {
        continue
      }
      if (!allowed.includes(role)) throw new CoreError('NEVA_CORE_FORBIDDEN', `${role} ${name}: this route needs ${allowed.join(' or ')} credentials`)
      return `${role}:${name}`
    }
    throw new CoreError('NEVA_CORE_UNAUTHORIZED')
  }
}

export const modelsPlugin: FastifyPluginAsyncTypebox<ModelsOptions> = async (app, { registry, gateways, admins, kind = 'triage', manifestSchema = ModelManifest }) => {
  const base = `/v1/models/${kind}`
  const Upload = upload(manifestSchema)
  const authorize = roleAuthenticator(admins, gateways)
  // Authenticate before the body is parsed and validated.
  const only = (...roles: Role[]) => ({
    onRequest: async (request: FastifyRequest) => {
      request.modelActor = authorize(request, roles)
    },
  })

  app.post(
    base,
    {
      ...only('admin'),
      schema: {
        body: Upload,
        querystring: Type.Object({ activate: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => {
      const { manifest: body, onnx_base64, signature } = request.body as unknown as { manifest: RegistryManifest; onnx_base64: string; signature?: Static<typeof Signature> }
      const manifest = body
      const onnx = Buffer.from(onnx_base64, 'base64')
      if (onnx.length === 0) throw new CoreError('NEVA_CORE_MODEL_BAD_ONNX')
      const activate = request.query.activate !== 'false'
      await stored(() => registry.upload(manifest, onnx, request.modelActor!, activate, signature ?? null))
      request.log.info({ id: manifest.id, version: manifest.version, activate, signed_by: signature?.key_id ?? null, by: request.modelActor }, `${kind} model uploaded`)
      // Gateways install only signed models; an unsigned upload is stored but will be refused there.
      if (!signature) request.log.warn({ id: manifest.id, version: manifest.version }, `${kind} model uploaded without a signature: gateways will refuse it (neva model sign)`)
      return reply.status(201).send({ id: manifest.id, version: manifest.version, sha256: manifest.sha256, current: activate })
    },
  )

  app.get(base, only('admin', 'gateway'), async () => {
    const [models, current] = await stored(() => Promise.all([registry.list(), registry.current()]))
    const isCurrent = (m: { id: string; version: string }) => current?.manifest.id === m.id && current.manifest.version === m.version
    return { models: models.map((m) => ({ ...m, current: isCurrent(m) })) }
  })

  app.get(`${base}/current`, only('admin', 'gateway'), async (request, reply) => {
    const current = await stored(() => registry.current())
    if (!current) throw new CoreError('NEVA_CORE_MODEL_NO_CURRENT')
    void reply.header('etag', current.etag)
    if (request.headers['if-none-match'] === current.etag) return reply.status(304).send()
    return current
  })

  app.get(`${base}/:id/:version/onnx`, { ...only('admin', 'gateway'), schema: { params: ModelParams } }, async (request, reply) => {
    const { id, version } = request.params
    const bytes = await stored(() => registry.onnx(id, version))
    if (!bytes) throw new CoreError('NEVA_CORE_MODEL_NOT_FOUND', `${id}@${version}`)
    return reply.header('content-type', 'application/octet-stream').send(bytes)
  })

  app.post(`${base}/:id/:version/activate`, { ...only('admin'), schema: { params: ModelParams } }, async (request) => {
    const { id, version } = request.params
    const changed = await stored(() => registry.activate(id, version, request.modelActor!))
    if (changed) request.log.info({ id, version, by: request.modelActor }, `${kind} model activated`)
    return { id, version, current: true, changed }
  })

  app.post(`${base}/rollback`, only('admin'), async (request) => {
    const target = await stored(() => registry.rollback(request.modelActor!))
    request.log.warn({ ...target, by: request.modelActor }, `${kind} model rolled back`)
    return { ...target, current: true }
  })
}

declare module 'fastify' {
  interface FastifyRequest {
    /** "admin:<name>" or "gateway:<id>", set by the models routes' authentication. */
    modelActor?: string
  }
}
