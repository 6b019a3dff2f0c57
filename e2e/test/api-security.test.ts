// The gateway's local API over HTTPS: security headers on every answer, patient data only with
// the bearer token, and a rate limit that answers 429. Tried with a real HTTPS client that
// trusts a throwaway CA made at test time.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Agent, fetch } from 'undici'
import { parseGatewayConfig, startGateway, type Gateway } from '@neva/edge'
import { startTestCore, tempDir } from './helpers.js'
import { TestCa } from '@neva/edge/test-certs'

const core = await startTestCore({ 'gw-api': 'tok-api' })
after(() => core.close())

const TOKEN = 'edge-api-token-for-the-ward-tablet'
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

async function gatewayWith(api: object): Promise<Gateway> {
  return startGateway(parseGatewayConfig({
    gateway_id: 'gw-api',
    data_dir: tempDir('api'),
    mqtt: { port: 0 },
    api: { port: 0, ...api },
    core: { url: core.url, token: 'tok-api' },
    triage: { model: null, sync_interval_ms: 0 },
    log_level: 'silent',
  }), () => {})
}

test('HTTPS: served with the configured certificate and security headers; /patients needs the token', async () => {
  const pki = new TestCa()
  const server = pki.issue('server', '127.0.0.1', { ip: '127.0.0.1' })
  const gateway = await gatewayWith({ tls: { cert_file: server.certFile, key_file: server.keyFile }, token_sha256: sha256(TOKEN) })
  const dispatcher = new Agent({ connect: { ca: pki.ca.cert } })
  try {
    assert.match(gateway.apiUrl, /^https:\/\/127\.0\.0\.1:\d+$/)
    const status = await fetch(`${gateway.apiUrl}/status`, { dispatcher })
    assert.equal(status.status, 200)
    assert.equal(status.headers.get('x-content-type-options'), 'nosniff')
    assert.match(status.headers.get('strict-transport-security') ?? '', /max-age=\d+/)
    assert.match(status.headers.get('content-security-policy') ?? '', /default-src 'none'/)
    assert.equal(status.headers.get('x-frame-options'), 'SAMEORIGIN')
    assert.ok(status.headers.get('x-ratelimit-limit'))

    const none = await fetch(`${gateway.apiUrl}/patients`, { dispatcher })
    assert.equal(none.status, 401)
    assert.equal(((await none.json()) as { error: string }).error, 'NEVA_EDGE_API_UNAUTHORIZED')
    assert.equal(none.headers.get('x-content-type-options'), 'nosniff', 'refusals carry the headers too')
    const wrong = await fetch(`${gateway.apiUrl}/patients`, { dispatcher, headers: { authorization: `Bearer ${TOKEN}x` } })
    assert.equal(wrong.status, 401)
    const basic = await fetch(`${gateway.apiUrl}/patients`, { dispatcher, headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } })
    assert.equal(basic.status, 401)
    const right = await fetch(`${gateway.apiUrl}/patients`, { dispatcher, headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(right.status, 200)
    assert.deepEqual(await right.json(), { patients: [] })

    // Plain HTTP to the HTTPS port gets no answer from the API.
    const plain = await fetch(gateway.apiUrl.replace('https:', 'http:') + '/status').then((r) => r.status, () => 'failed')
    assert.notEqual(plain, 200)
    // A client that does not trust the CA refuses the gateway.
    await assert.rejects(fetch(`${gateway.apiUrl}/status`, { dispatcher: new Agent({ connect: { ca: new TestCa('other').ca.cert } }) }))

    const metrics = await (await fetch(`${gateway.apiUrl}/metrics`, { dispatcher })).text()
    assert.match(metrics, /neva_edge_api_denied_total\{code="NEVA_EDGE_API_UNAUTHORIZED"\} 3/)
  } finally {
    await dispatcher.close()
    await gateway.stop()
  }
})

test('no token configured: /patients is refused for everyone; HTTP without a certificate', async () => {
  const gateway = await gatewayWith({})
  try {
    assert.match(gateway.apiUrl, /^http:\/\//)
    const res = await fetch(`${gateway.apiUrl}/patients`, { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.status, 403)
    assert.equal(((await res.json()) as { error: string }).error, 'NEVA_EDGE_API_NO_TOKEN')
    assert.equal((await fetch(`${gateway.apiUrl}/healthz`)).status, 200)
  } finally {
    await gateway.stop()
  }
})

test('rate limit: above the configured requests per minute, 429 with Retry-After', async () => {
  const gateway = await gatewayWith({ rate_limit_per_minute: 5 })
  try {
    const codes: number[] = []
    for (let i = 0; i < 7; i++) codes.push((await fetch(`${gateway.apiUrl}/healthz`)).status)
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429])
    const limited = await fetch(`${gateway.apiUrl}/status`)
    assert.equal(limited.status, 429)
    assert.ok(Number(limited.headers.get('retry-after')) > 0)
    assert.equal(((await limited.json()) as { error: string }).error, 'NEVA_EDGE_API_RATE_LIMITED')
  } finally {
    await gateway.stop()
  }
})

test('NEVA_EDGE_API_TOKEN gives the token without writing it in the config file', async () => {
  const { loadGatewayConfig } = await import('@neva/edge')
  const { writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const file = join(tempDir('cfg'), 'gateway.json')
  writeFileSync(file, JSON.stringify({ gateway_id: 'gw', core: { token: 't' } }))
  assert.equal(loadGatewayConfig(file, { NEVA_EDGE_API_TOKEN: TOKEN }).api.token_sha256, sha256(TOKEN))
  assert.equal(loadGatewayConfig(file, {}).api.token_sha256, undefined)
})
