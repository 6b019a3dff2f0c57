// OpenID Connect bearer tokens at the core: a local JWKS on 127.0.0.1 serves keys made by jose at
// test time. A valid token is accepted with its claims mapped to roles and grants; a token with
// the wrong issuer or audience, expired, signed by another key, with an unknown kid, or not
// signed with the provider's asymmetric key is refused.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { hashToken, startCore } from '@neva/core'
import { admit, TEST_SITE } from './people-helpers.js'

const ISSUER = 'https://id.hospital.example/realms/city'
const AUDIENCE = 'neva-core'
const provider = await generateKeyPair('RS256', { extractable: true })
const stranger = await generateKeyPair('RS256', { extractable: true })
const jwks = { keys: [{ ...(await exportJWK(provider.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }
let jwksFetches = 0
const jwksServer = createServer((_req, res) => {
  jwksFetches++
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks))
})
await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
after(() => jwksServer.close())

const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-oidc-')) },
  gateways: { 'gw-1': hashToken('gw-token') },
  metricsTokens: { prometheus: hashToken('metrics-token') },
  logLevel: 'silent',
  bodyLimit: 1024 * 1024,
  people: {
    oidc: {
      issuer: ISSUER, audience: AUDIENCE, jwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/certs`,
      rolesClaim: 'neva_roles', wardsClaim: 'neva_wards', sitesClaim: 'neva_sites', nameClaim: 'name',
    },
  },
})
after(() => core.close())
await admit(core, ['oidc-icu-1'])
await core.store.storeBatch({
  gateway_id: 'gw-1', batch_id: 'b1', sent_time: Date.now(), triage: [], rejected: [],
  observations: [{ gateway_id: 'gw-1', seq: 1, device_id: 'm', patient_id: 'oidc-icu-1', source: 'mqtt', mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 94, unit: '%', device_time: Date.now() - 1000, received_time: Date.now(), flags: [] }],
})

const NURSE_CLAIMS = { name: 'Olga OIDC', neva_roles: ['nurse', 'superuser'], neva_wards: [`${TEST_SITE}/ICU`, 'not-a-ward-grant'] }
async function token(claims: JWTPayload = NURSE_CLAIMS, o: { key?: typeof provider.privateKey; kid?: string; iss?: string; aud?: string; exp?: string | number } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'k1' })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setSubject('olga-123')
    .setIssuedAt()
    .setExpirationTime(o.exp ?? '5m')
    .sign(o.key ?? provider.privateKey)
}
const get = (path: string, jwt: string) => fetch(`${core.url}${path}`, { headers: { authorization: `Bearer ${jwt}` } })
const refused = async (jwt: string, why: RegExp) => {
  const res = await get('/v1/me', jwt)
  assert.equal(res.status, 401)
  const body = (await res.json()) as { error: string; message: string }
  assert.equal(body.error, 'NEVA_CORE_UNAUTHENTICATED')
  assert.match(body.message, why)
}

test('a valid token is accepted: roles and grants from the configured claims, unknown values dropped', async () => {
  const res = await get('/v1/me', await token())
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { id: 'oidc:olga-123', name: 'Olga OIDC', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`], sites: [], via: 'oidc' })
})

test('an OIDC nurse sees her ward and the view is audited as hers; other wards refused', async () => {
  const jwt = await token()
  const res = await get('/v1/patients/oidc-icu-1/latest', jwt)
  assert.equal(res.status, 200)
  const rs = await core.clickhouse.client.query({ query: "SELECT user_id, via FROM record_views WHERE patient_id = 'oidc-icu-1'", format: 'JSONEachRow' })
  assert.deepEqual(await rs.json(), [{ user_id: 'oidc:olga-123', via: 'oidc' }])
  await admit(core, ['oidc-cardio-1'], 'Cardiology')
  assert.equal((await get('/v1/patients/oidc-cardio-1/latest', jwt)).status, 403)
  // Without the nurse role in the token: refused with 403.
  assert.equal((await get('/v1/patients/oidc-icu-1/latest', await token({ ...NURSE_CLAIMS, neva_roles: ['analyst'] }))).status, 403)
})

test('refused: wrong issuer, wrong audience, expired, bad signature, unknown kid, HS256, no token of the right shape', async () => {
  await refused(await token(NURSE_CLAIMS, { iss: 'https://evil.example/realms/city' }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*iss/)
  await refused(await token(NURSE_CLAIMS, { aud: 'another-app' }), /ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/)
  await refused(await token(NURSE_CLAIMS, { exp: Math.floor(Date.now() / 1000) - 120 }), /ERR_JWT_EXPIRED/)
  await refused(await token(NURSE_CLAIMS, { key: stranger.privateKey }), /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/)
  await refused(await token(NURSE_CLAIMS, { key: stranger.privateKey, kid: 'k-unknown' }), /ERR_JWKS_NO_MATCHING_KEY/)
  // A token "signed" with HMAC, using the provider's public key as the secret (algorithm confusion).
  const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]))
  const hs = await new SignJWT(NURSE_CLAIMS).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x').setExpirationTime('5m').sign(secret)
  await refused(hs, /ERR_JOSE_ALG_NOT_ALLOWED/)
  // Tampered claims under a valid signature.
  const [h, , s] = (await token()).split('.')
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...NURSE_CLAIMS, neva_sites: [TEST_SITE], iss: ISSUER, aud: AUDIENCE, sub: 'olga-123', exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url')}.${s}`
  await refused(forged, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/)
  // Not a JWT: not an OIDC token, just no user.
  const res = await get('/v1/me', 'some-opaque-token')
  assert.equal(res.status, 401)
  const metrics = await (await fetch(`${core.url}/metrics`, { headers: { authorization: 'Bearer metrics-token' } })).text()
  assert.match(metrics, /neva_core_auth_refusals_total\{code="oidc"\} ([7-9]|\d\d)/)
  assert.ok(jwksFetches >= 1)
  // Each refusal is in login_audit with why (the claimed subject, unverified, shows who was tried);
  // the same stale token retried is written once, not per request.
  await refused(await token(NURSE_CLAIMS, { exp: Math.floor(Date.now() / 1000) - 120 }), /ERR_JWT_EXPIRED/)
  const rs = await core.clickhouse.client.query({ query: "SELECT outcome, username, count() AS n FROM login_audit WHERE via = 'oidc' GROUP BY outcome, username ORDER BY outcome", format: 'JSONEachRow' })
  const audit = await rs.json<{ outcome: string; username: string; n: string }>()
  assert.deepEqual(audit.map((r) => r.outcome), ['oidc_claim_invalid', 'oidc_expired', 'oidc_invalid', 'oidc_no_key', 'oidc_signature_invalid'])
  assert.ok(audit.every((r) => r.username.startsWith('oidc:')))
  assert.equal(Number(audit.find((r) => r.outcome === 'oidc_expired')!.n), 1)
})

test('an OIDC token is no gateway credential; admin only when the provider says so', async () => {
  const jwt = await token({ ...NURSE_CLAIMS, neva_roles: ['nurse', 'admin'] })
  const ingest = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: '{}' })
  assert.equal(ingest.status, 401)
  // The provider says admin: the admin API takes it (the hospital's provider is trusted for roles).
  assert.equal((await get('/v1/admin/users', jwt)).status, 200)
  assert.equal((await get('/v1/admin/users', await token())).status, 403)
})
