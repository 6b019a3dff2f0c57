// The core over HTTPS (NEVA_CORE_TLS_CERT / NEVA_CORE_TLS_KEY): a certificate made by openssl at
// test time; HSTS is sent, the session cookie is Secure and __Host- prefixed, and plain HTTP to
// the TLS port gets no answer.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { coreConfigFromEnv, hashToken, startCore } from '@neva/core'

const dir = mkdtempSync(join(tmpdir(), 'neva-core-https-'))
let openssl = true
try {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
} catch {
  openssl = false
}
const skip = openssl ? false : 'openssl is not installed (apt-get install openssl)'

const config = openssl ? coreConfigFromEnv({ NEVA_CORE_TLS_CERT: join(dir, 'cert.pem'), NEVA_CORE_TLS_KEY: join(dir, 'key.pem') }, {
  host: '127.0.0.1', port: 0, clickhouse: { path: join(dir, 'clickhouse') }, gateways: { 'gw-1': hashToken('gw-token') }, logLevel: 'silent',
}) : undefined
const core = config ? await startCore(config) : undefined
after(() => core?.close())
const ca = openssl ? readFileSync(join(dir, 'cert.pem')) : undefined

function call(path: string, method = 'GET', body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${core!.url}${path}`, { method, ca, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

test('over HTTPS: HSTS, upgrade-insecure-requests, and a Secure __Host- session cookie', { skip }, async () => {
  assert.match(core!.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  const page = await call('/login')
  assert.equal(page.status, 200)
  assert.match(String(page.headers['strict-transport-security']), /max-age=31536000/)
  assert.match(String(page.headers['content-security-policy']), /upgrade-insecure-requests/)
  await core!.people.add({ id: 'tina', name: 'Tina', password: 'a secure enough pass', roles: ['nurse'] }, 'test')
  const login = await call('/login', 'POST', JSON.stringify({ username: 'tina', password: 'a secure enough pass' }))
  assert.equal(login.status, 200)
  const cookie = String(login.headers['set-cookie'])
  assert.match(cookie, /^__Host-neva_session=/)
  assert.match(cookie, /; Secure/)
  assert.match(cookie, /; HttpOnly/)
  assert.match(cookie, /; Path=\//)
})

test('plain HTTP to the TLS port is not served', { skip }, async () => {
  const plain = core!.url.replace('https:', 'http:')
  await assert.rejects(fetch(`${plain}/v1/me`, { signal: AbortSignal.timeout(5000) }))
})

test('half a TLS configuration is refused at start-up, naming both variables', () => {
  assert.throws(() => coreConfigFromEnv({ NEVA_CORE_TLS_CERT: '/x/cert.pem' }), /NEVA_CORE_TLS_CERT and NEVA_CORE_TLS_KEY/)
  assert.throws(() => coreConfigFromEnv({ NEVA_CORE_TLS_CERT: '/nonexistent/cert.pem', NEVA_CORE_TLS_KEY: '/nonexistent/key.pem' }), /NEVA_CORE_TLS_CERT: cannot read/)
  assert.throws(() => coreConfigFromEnv({ NEVA_OIDC_ISSUER: 'https://id.example' }), /NEVA_OIDC_ISSUER, NEVA_OIDC_AUDIENCE and NEVA_OIDC_JWKS_URL go together/)
  assert.throws(() => coreConfigFromEnv({ NEVA_OIDC_ISSUER: 'a', NEVA_OIDC_AUDIENCE: 'b', NEVA_OIDC_JWKS_URL: 'http://id.example/certs' }), /must be https/)
  assert.throws(() => coreConfigFromEnv({ NEVA_SESSION_TTL_S: '-5' }), /NEVA_SESSION_TTL_S: expected a whole number > 0/)
  assert.throws(() => coreConfigFromEnv({ NEVA_CORE_PUBLIC_ORIGIN: 'https://neva.example/boards' }), /NEVA_CORE_PUBLIC_ORIGIN/)
})
