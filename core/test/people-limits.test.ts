// Limits on people at the core, on a core with short windows: session expiry, failed logins
// limited per account and per address (429, audited, counted), and the request ceiling on
// POST /login.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { hashToken, startCore } from '@neva/core'
import { cookieOf } from './people-helpers.js'

const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-people-limits-')) },
  gateways: { 'gw-1': hashToken('gw-token') },
  metricsTokens: { prometheus: hashToken('metrics-token') },
  logLevel: 'silent',
  bodyLimit: 1024 * 1024,
  people: { sessionTtlS: 2, loginFailuresPerAccount: 3, loginFailuresPerAddress: 6, loginWindowS: 60, loginRequestsPerMinute: 12 },
})
after(() => core.close())

const PASSWORD = 'a perfectly fine passphrase'
for (const id of ['tess', 'mark', 'lena']) await core.people.add({ id, name: id, password: PASSWORD, roles: ['nurse'] }, 'test')
let loginRequests = 0
const login = (username: string, password: string) => {
  loginRequests++
  return fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })
}

test('a session expires after its lifetime: the cookie is refused, and says why', async () => {
  const res = await login('tess', PASSWORD)
  assert.equal(res.status, 200)
  assert.match(res.headers.getSetCookie().join(''), /Max-Age=[12];/)
  const cookie = cookieOf(res)
  assert.equal((await fetch(`${core.url}/v1/me`, { headers: { cookie } })).status, 200)
  await sleep(2100)
  const expired = await fetch(`${core.url}/v1/me`, { headers: { cookie } })
  assert.equal(expired.status, 401)
  assert.equal(((await expired.json()) as { error: string }).error, 'NEVA_CORE_UNAUTHENTICATED')
})

test('a live stream ends when its session expires (within the change poll, not at the next heartbeat)', async () => {
  const res = await login('tess', PASSWORD)
  assert.equal(res.status, 200)
  const stream = await fetch(`${core.url}/v1/live?board=icu`, { headers: { cookie: cookieOf(res) } })
  assert.equal(stream.status, 200)
  const opened = Date.now()
  let text = ''
  const decoder = new TextDecoder()
  try {
    for await (const chunk of stream.body!) text += decoder.decode(chunk, { stream: true })
  } catch {
    // ended by the server
  }
  const lasted = Date.now() - opened
  assert.match(text, /event: failure\ndata: \{"error":"NEVA_CORE_SESSION_ENDED"/)
  assert.ok(lasted < 2000 + 1500, `the stream lasted ${lasted} ms for a 2 s session`)
})

test('failed logins per account from one address: after 3, even the right password from that address gets 429 with Retry-After; audited and counted', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await login('mark', `wrong guess ${i}`)).status, 401)
  const limited = await login('mark', PASSWORD)
  assert.equal(limited.status, 429)
  assert.equal(((await limited.json()) as { error: string }).error, 'NEVA_CORE_LOGIN_RATE_LIMITED')
  assert.ok(Number(limited.headers.get('retry-after')) > 0)
  assert.equal(limited.headers.getSetCookie().length, 0)
  // Another account from the same address is not locked by mark's failures.
  assert.equal((await login('lena', PASSWORD)).status, 200)
  const rs = await core.clickhouse.client.query({ query: "SELECT outcome, count() AS n FROM login_audit WHERE username = 'mark' GROUP BY outcome ORDER BY outcome", format: 'JSONEachRow' })
  assert.deepEqual(await rs.json(), [{ outcome: 'rate_limited', n: 1 }, { outcome: 'wrong_password', n: 3 }])
  const metrics = await (await fetch(`${core.url}/metrics`, { headers: { authorization: 'Bearer metrics-token' } })).text()
  assert.match(metrics, /neva_core_logins_total\{outcome="rate_limited"\} 1/)
  assert.match(metrics, /neva_core_logins_total\{outcome="wrong_password"\} 3/)
})

test('failed logins per address: guessing many names from one address is limited too', async () => {
  // 3 failures so far from 127.0.0.1 (mark); 3 more made-up names reach the address limit of 6.
  for (const name of ['guess-a', 'guess-b', 'guess-c']) assert.equal((await login(name, 'whatever it is')).status, 401)
  const limited = await login('tess', PASSWORD)
  assert.equal(limited.status, 429)
  assert.equal(((await limited.json()) as { error: string }).error, 'NEVA_CORE_LOGIN_RATE_LIMITED')
})

test('requests to POST /login are capped per address whatever their outcome (12 a minute here)', async () => {
  // The address is already refused for its failures (429 NEVA_CORE_LOGIN_RATE_LIMITED); the
  // 13th request of the minute is refused before it is even read.
  let code = ''
  while (loginRequests < 13) {
    const res = await login('tess', PASSWORD)
    assert.equal(res.status, 429)
    code = ((await res.json()) as { error: string }).error
    if (loginRequests <= 12) assert.equal(code, 'NEVA_CORE_LOGIN_RATE_LIMITED')
  }
  assert.equal(code, 'NEVA_CORE_RATE_LIMITED')
})
