// FHIR R4 read and search at /fhir/R4 (JSON only), under the boards' locks: a clinician or nurse,
// only patients with an open encounter on a ward or site granted to them, every answer audited as
// a record view first. OIDC tokens also need a SMART scope for the type (fhir/scopes.ts). Errors
// are OperationOutcome. Searches other than Patient's name one patient (patient= or subject=).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { canSee } from '@neva/contracts'
import { FhirStore, type ClickHouse, type FhirSource, type FhirTimeBound } from '@neva/analytics'
import { CoreError, stored, type CoreErrorCode } from '../errors.js'
import { capabilityStatement } from '../fhir/capability.js'
import type { Resource } from '../fhir/common.js'
import { Cursors } from '../fhir/cursor.js'
import { fhirId, keyOf } from '../fhir/ids.js'
import { fhirError, operationOutcome } from '../fhir/outcome.js'
import { patientResource } from '../fhir/patient.js'
import { accessOf, allows, type FhirAccess } from '../fhir/scopes.js'
import { codeParam, countParam, dateParam, patientParam, single, values, type Query } from '../fhir/search-params.js'
import { FHIR_TYPES, pageOf, toResource, TYPE_OF_SOURCE, type FhirType } from '../fhir/types.js'

export const FHIR_PREFIX = '/fhir/R4'
const FHIR_JSON = 'application/fhir+json; charset=utf-8'
const ACCEPTED = /(^|[,\s])(application\/fhir\+json|application\/json|application\/\*|\*\/\*)(\s*;[^,]*)?(\s*,|$)/
const FORMATS = new Set(['json', 'application/json', 'application/fhir+json'])
const CONTROL = new Set(['_count', '_cursor', '_include', '_format'])

export interface FhirOptions {
  clickhouse: ClickHouse
  /** The public origin, for links and fullUrl; else the request's own. */
  publicOrigin?: string | undefined
  /** What paging cursors are signed with (cursorKeyOf). */
  cursorKey: Buffer
}

export async function fhirPlugin(app: FastifyInstance, { clickhouse, publicOrigin, cursorKey }: FhirOptions): Promise<void> {
  const store = new FhirStore(clickhouse)
  const cursors = new Cursors(cursorKey)
  const base = (request: FastifyRequest) => `${publicOrigin ?? `${request.protocol}://${request.host}`}${FHIR_PREFIX}`
  const send = (reply: FastifyReply, body: object) => reply.type(FHIR_JSON).header('cache-control', 'no-store').send(JSON.stringify(body))

  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode ?? 500
    if (status >= 500) request.log.error({ err: error }, 'FHIR request failed')
    const code = (error as { code?: string }).code ?? ('NEVA_CORE_INTERNAL' satisfies CoreErrorCode)
    const message = status >= 500 && status !== 503 ? 'internal error' : (error as Error).message
    void reply.status(status)
    return send(reply, operationOutcome(status, code.startsWith('FST_') ? ('NEVA_CORE_FHIR_BAD_SEARCH' satisfies CoreErrorCode) : code, message))
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404)
    return send(reply, operationOutcome(404, 'NEVA_CORE_FHIR_UNKNOWN_TYPE' satisfies CoreErrorCode, `no route ${request.method} ${request.url.split('?')[0]}`))
  })
  // JSON only: an Accept or _format asking for anything else is refused up front.
  app.addHook('onRequest', async (request) => {
    const accept = request.headers.accept
    if (accept && !ACCEPTED.test(accept)) throw fhirError('NEVA_CORE_FHIR_FORMAT', `Accept: ${accept.slice(0, 80)}`)
    const format = (request.query as Query)._format
    if (format !== undefined && (Array.isArray(format) || !FORMATS.has(format))) throw fhirError('NEVA_CORE_FHIR_FORMAT', `_format=${String(format).slice(0, 80)}`)
  })

  app.get('/metadata', async (request, reply) => send(reply, capabilityStatement(base(request), 'Neva')))

  const requireReader = app.requireUser('clinician', 'nurse')

  /** What the caller may read: all types for a session, the token's scopes for OIDC. */
  function accessFor(request: FastifyRequest, type: string): FhirAccess {
    const user = request.user!
    const scoped = user.via === 'oidc' ? app.people.oidcScopesOf(user) ?? { scopes: [], patient: undefined } : undefined
    const access = accessOf(scoped?.scopes, scoped?.patient)
    if (!allows(access, type)) throw fhirError('NEVA_CORE_FHIR_SCOPE', `needs patient/${type}.read or user/${type}.read`)
    return access
  }

  /** Refused (403) unless the patient is the token's (patient/ scopes) and on a granted ward or site. */
  async function requireGranted(request: FastifyRequest, access: FhirAccess, patient: string): Promise<void> {
    if (access.patient !== undefined && access.patient !== patient) throw fhirError('NEVA_CORE_FHIR_SCOPE', 'the token is for another patient')
    const place = await stored(() => app.people.placeOf(patient))
    if (!place || !canSee(request.user, place)) throw new CoreError('NEVA_CORE_NOT_GRANTED', `${request.user!.id} may not read ${fhirId(patient)}`)
  }

  function typeOf(name: string): FhirType {
    const t = FHIR_TYPES[name]
    if (!t || !Object.hasOwn(FHIR_TYPES, name)) throw fhirError('NEVA_CORE_FHIR_UNKNOWN_TYPE', name.slice(0, 64))
    return t
  }

  app.get('/:type/:id', { onRequest: requireReader }, async (request, reply) => {
    const { type: name, id } = request.params as { type: string; id: string }
    const type = typeOf(name)
    const access = accessFor(request, name)
    const key = keyOf(id)
    if (!key) throw fhirError('NEVA_CORE_FHIR_NOT_FOUND', `${name}/${id.slice(0, 80)}`)
    if (name === 'Patient') {
      if (!('key' in key)) throw fhirError('NEVA_CORE_FHIR_NOT_FOUND', `Patient/${id}`)
      await requireGranted(request, access, key.key)
      const [row] = await stored(() => store.page('patient', { patient: key.key, limit: 1 }))
      if (!row && !(await stored(() => store.known(key.key)))) throw fhirError('NEVA_CORE_FHIR_NOT_FOUND', `Patient/${id}`)
      await app.auditView(request, { patient_id: key.key, what: 'fhir Patient read' })
      return send(reply, patientResource(row as never, key.key))
    }
    const filter = 'key' in key ? { keys: [key.key] } : { hashes: [key.hash] }
    const page = await stored(() => pageOf(store, type.sources, { ...filter, limit: 1 }))
    const found = page.rows[0]
    if (!found) throw fhirError('NEVA_CORE_FHIR_NOT_FOUND', `${name}/${id}`)
    await requireGranted(request, access, found.row.patient_id)
    await app.auditView(request, { patient_id: found.row.patient_id, what: `fhir ${name} read` })
    return send(reply, toResource(found.source, found.row))
  })

  app.get('/:type', { onRequest: requireReader }, async (request, reply) => {
    const { type: name } = request.params as { type: string }
    const query = request.query as Query
    const type = typeOf(name)
    const access = accessFor(request, name)
    const allowed = new Set([...CONTROL, ...type.patientParams, ...(type.codes ? ['code'] : []), ...(type.categories ? ['category'] : []), ...(type.date ? ['date'] : [])])
    const unknown = Object.keys(query).filter((k) => !allowed.has(k))
    if (unknown.length > 0) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `${name} is not searched by ${unknown.map((k) => k.slice(0, 40)).join(', ')} (it is by ${[...allowed].join(', ')})`)
    const patient = patientParam(query, type.patientParams) ?? access.patient
    if (patient === undefined) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `${name} is searched for one patient: give ${type.patientParams.join(' or ')}`)
    const codes = type.codes ? codeParam(query, type.codes) : undefined
    const time: FhirTimeBound[] = type.date ? dateParam(query) : []
    const limit = countParam(query)
    let sources: FhirSource[] = type.sources
    if (type.categories) {
      const asked = values(query, 'category').map((c) => c.replace(/^http:\/\/terminology\.hl7\.org\/CodeSystem\/observation-category\|/, ''))
      for (const c of asked) if (!Object.hasOwn(type.categories, c)) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `category: ${JSON.stringify(c.slice(0, 40))} is not one of ${Object.keys(type.categories).join(', ')}`)
      if (asked.length > 0) sources = [...new Set(asked.flatMap((c) => type.categories![c]!))]
    }
    const includes = values(query, '_include').map((inc) => {
      const [of, param] = inc.split(':')
      const target = of === name && param !== undefined && Object.hasOwn(type.includes, param) ? type.includes[param] : undefined
      if (!target) throw fhirError('NEVA_CORE_FHIR_BAD_SEARCH', `_include: ${JSON.stringify(inc.slice(0, 60))} is not one of ${Object.keys(type.includes).map((p) => `${name}:${p}`).join(', ') || '(none)'}`)
      return target
    })
    const search = Cursors.searchOf(name, query, request.user!.id)
    const cursor = single(query, '_cursor')
    const after = cursor === undefined ? undefined : cursors.read(search, cursor)

    await requireGranted(request, access, patient)
    const page = await stored(() => pageOf(store, sources, { patient, ...(codes ? { codes } : {}), time, ...(after ? { after } : {}), limit }))
    const resources = page.rows.map(({ source, row }) => toResource(source, row))
    const included = await stored(() => includedOf(resources, [...new Set(includes)], patient))
    await app.auditView(request, { patient_id: patient, what: `fhir ${name} search` })

    const self = `${base(request)}/${name}${request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''}`
    const link = [{ relation: 'self', url: self }]
    if (page.next) {
      const params = new URLSearchParams()
      for (const [k, v] of Object.entries(query)) if (k !== '_cursor' && v !== undefined) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one)
      params.append('_cursor', cursors.make(search, page.next))
      link.push({ relation: 'next', url: `${base(request)}/${name}?${params}` })
    }
    return send(reply, {
      resourceType: 'Bundle',
      type: 'searchset',
      link,
      entry: [
        ...resources.map((r) => ({ fullUrl: `${base(request)}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'match' } })),
        ...included.map((r) => ({ fullUrl: `${base(request)}/${r.resourceType}/${r.id}`, resource: r, search: { mode: 'include' } })),
      ],
    })
  })

  /** The resources `resources` refer to, of the asked types, read for the same patient only. */
  async function includedOf(resources: Resource[], targets: string[], patient: string): Promise<Resource[]> {
    const out: Resource[] = []
    for (const target of targets) {
      const keys = new Set<string>()
      for (const r of resources) {
        for (const reference of referencesIn(r)) {
          if (!reference.startsWith(`${target}/`)) continue
          const key = keyOf(reference.slice(target.length + 1))
          if (key && 'key' in key) keys.add(key.key)
        }
      }
      if (keys.size === 0) continue
      if (target === 'Patient') {
        const [row] = await store.page('patient', { patient, limit: 1 })
        out.push(patientResource(row as never, patient))
        continue
      }
      const sources = FHIR_TYPES[target]!.sources
      const page = await pageOf(store, sources, { patient, keys: [...keys], limit: keys.size })
      for (const { source, row } of page.rows) if (TYPE_OF_SOURCE[source] === target) out.push(toResource(source, row))
    }
    return out
  }
}

function referencesIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) referencesIn(v, out)
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string') out.push(v)
      else referencesIn(v, out)
    }
  }
  return out
}

