// People at the core, through a real core on the embedded ClickHouse over real HTTP: login and
// logout, sessions, CSRF, roles, ward grants on patient data with the record-view audit, the
// admin API, gateway credentials issued and revoked, and the security headers. Every lock is
// tried by someone who must be refused.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IngestBatch } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { admit, cookieOf, login, TEST_SITE, userClient } from './people-helpers.js'

const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-people-')) },
  gateways: { 'gw-1': hashToken('gw-config-token') },
  analysts: { ana: hashToken('analyst-token') },
  logLevel: 'silent',
  bodyLimit: 1024 * 1024,
})
after(() => core.close())

const T0 = Date.now() - 60_000
const rows = async <T>(query: string, query_params: Record<string, unknown> = {}) =>
  (await core.clickhouse.client.query({ query, query_params, format: 'JSONEachRow' })).json<T>()
const loginRaw = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
const ingest = (token: string, gateway: string, seq: number) => {
  const batch: IngestBatch = {
    gateway_id: gateway, batch_id: `${gateway}-${seq}`, sent_time: Date.now(), triage: [], rejected: [],
    observations: [{ gateway_id: gateway, seq, device_id: 'mon-1', patient_id: 'icu-1', source: 'mqtt', mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 97, unit: '%', device_time: T0 + seq, received_time: T0 + seq, flags: [] }],
  }
  return fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(batch) })
}

// Two wards of the same hospital and the same ward name at another hospital.
await admit(core, ['icu-1'], 'ICU')
await admit(core, ['cardio-1'], 'Cardiology')
await admit(core, ['other-icu-1'], 'ICU', 'Other Hospital')
assert.equal((await ingest('gw-config-token', 'gw-1', 1)).status, 200)
for (const [p, seq] of [['cardio-1', 2], ['other-icu-1', 3]] as const) {
  await core.store.storeBatch({
    gateway_id: 'gw-1', batch_id: `seed-${p}`, sent_time: Date.now(), triage: [], rejected: [],
    observations: [{ gateway_id: 'gw-1', seq, device_id: 'mon-2', patient_id: p, source: 'mqtt', mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 95, unit: '%', device_time: T0, received_time: T0, flags: [] }],
  })
}

const PASSWORD = 'correct horse battery'
await core.people.add({ id: 'nina', name: 'Nina Nurse', password: PASSWORD, roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] }, 'test')
await core.people.add({ id: 'carl', name: 'Carl Clinician', password: PASSWORD, roles: ['clinician'], sites: [TEST_SITE] }, 'test')
await core.people.add({ id: 'anya', name: 'Anya Analyst', password: PASSWORD, roles: ['analyst'], sites: [TEST_SITE] }, 'test')
await core.people.add({ id: 'root', name: 'Ada Admin', password: PASSWORD, roles: ['admin'] }, 'test')

test('login: right password sets an HttpOnly SameSite=Strict cookie; /v1/me names the user', async () => {
  const res = await loginRaw({ username: 'nina', password: PASSWORD })
  assert.equal(res.status, 200)
  const set = res.headers.getSetCookie().join('\n')
  assert.match(set, /neva_session=[\w-]{40,}/)
  assert.match(set, /HttpOnly/i)
  assert.match(set, /SameSite=Strict/i)
  assert.match(set, /Max-Age=\d+/i)
  assert.doesNotMatch(set, /Secure/i, 'plain HTTP: no Secure flag, or browsers would drop the cookie')
  const me = await fetch(`${core.url}/v1/me`, { headers: { cookie: cookieOf(res) } })
  assert.equal(me.status, 200)
  assert.deepEqual(await me.json(), { id: 'nina', name: 'Nina Nurse', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`], sites: [], via: 'session' })
})

test('login refused: wrong password, unknown user, disabled user — same answer, each audited and counted', async () => {
  await core.people.add({ id: 'dora', name: 'Disabled Dora', password: PASSWORD, roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] }, 'test')
  await core.people.setDisabled('dora', 'test', true)
  const answers = []
  for (const body of [{ username: 'nina', password: 'wrong password!' }, { username: 'nobody-here', password: PASSWORD }, { username: 'dora', password: PASSWORD }]) {
    const res = await loginRaw(body)
    assert.equal(res.status, 401, JSON.stringify(body))
    assert.equal(res.headers.getSetCookie().length, 0)
    answers.push(await res.json())
  }
  assert.deepEqual(answers[0], answers[1])
  assert.deepEqual(answers[1], answers[2])
  assert.equal((answers[0] as { error: string }).error, 'NEVA_CORE_LOGIN_FAILED')
  const audit = await rows<{ username: string; outcome: string }>("SELECT username, outcome FROM login_audit WHERE outcome != 'ok' ORDER BY at")
  for (const [username, outcome] of [['nina', 'wrong_password'], ['nobody-here', 'unknown_user'], ['dora', 'disabled']]) {
    assert.ok(audit.some((a) => a.username === username && a.outcome === outcome), `${username} ${outcome} in ${JSON.stringify(audit)}`)
  }
  const metrics = await (await (await login(core, 'root', PASSWORD)).fetch('/metrics')).text()
  for (const outcome of ['wrong_password', 'unknown_user', 'disabled']) assert.match(metrics, new RegExp(`neva_core_logins_total\\{outcome="${outcome}"\\} [1-9]`))
})

test('a user disabled while logged in is refused at the next request', async () => {
  await core.people.add({ id: 'dave', name: 'Dave', password: PASSWORD, roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] }, 'test')
  const dave = await login(core, 'dave', PASSWORD)
  assert.equal((await dave.fetch('/v1/me')).status, 200)
  const admin = await login(core, 'root', PASSWORD)
  assert.equal((await admin.json('/v1/admin/users/dave/disabled', { method: 'PUT', body: { disabled: true } })).status, 200)
  assert.equal((await dave.fetch('/v1/me')).status, 401)
  assert.equal((await dave.fetch('/v1/patients/icu-1/latest')).status, 401)
})

test('logout ends the session on the server: the old cookie is refused afterwards', async () => {
  const nina = await login(core, 'nina', PASSWORD)
  assert.equal((await nina.fetch('/v1/me')).status, 200)
  const out = await nina.fetch('/logout', { method: 'POST' })
  assert.equal(out.status, 200)
  assert.match(out.headers.getSetCookie().join('\n'), /neva_session=;/)
  const after = await nina.fetch('/v1/me')
  assert.equal(after.status, 401)
  assert.match(((await after.json()) as { message: string }).message, /session has expired or ended/)
  const [row] = await rows<{ revoked: boolean }>('SELECT revoked FROM user_sessions FINAL WHERE user_id = {u:String} ORDER BY created_at DESC LIMIT 1', { u: 'nina' })
  assert.equal(row!.revoked, true)
})

test('cross-site requests refused: cookie-authenticated POST from another Origin or with none; login from another site', async () => {
  const admin = await login(core, 'root', PASSWORD)
  const body = JSON.stringify({ id: 'eve-made', name: 'Eve', password: 'made by a forged request', roles: ['admin'] })
  const forged = await fetch(`${core.url}/v1/admin/users`, { method: 'POST', headers: { cookie: admin.cookie, origin: 'https://evil.example', 'content-type': 'application/json' }, body })
  assert.equal(forged.status, 403)
  assert.equal(((await forged.json()) as { error: string }).error, 'NEVA_CORE_CSRF')
  const bare = await fetch(`${core.url}/v1/admin/users`, { method: 'POST', headers: { cookie: admin.cookie, 'content-type': 'application/json' }, body })
  assert.equal(bare.status, 403)
  const referer = await fetch(`${core.url}/v1/admin/users`, { method: 'POST', headers: { cookie: admin.cookie, referer: 'http://127.0.0.1.evil.example/page', 'content-type': 'application/json' }, body })
  assert.equal(referer.status, 403)
  assert.equal(core.people.list().some((u) => u.id === 'eve-made'), false)
  const crossLogin = await loginRaw({ username: 'nina', password: PASSWORD }, { origin: 'https://evil.example' })
  assert.equal(crossLogin.status, 403)
  assert.equal(crossLogin.headers.getSetCookie().length, 0)
  // The same request from this site goes through.
  assert.equal((await admin.json('/v1/admin/users', { method: 'POST', body: JSON.parse(body) })).status, 201)
})

test('each role is refused where it must be', async () => {
  const nina = await login(core, 'nina', PASSWORD)
  const anya = await login(core, 'anya', PASSWORD)
  const root = await login(core, 'root', PASSWORD)
  const carl = await login(core, 'carl', PASSWORD)
  // No session: 401 for the API, a redirect to the login page for a page.
  assert.equal((await fetch(`${core.url}/v1/patients/icu-1/latest`)).status, 401)
  assert.equal((await fetch(`${core.url}/v1/admin/users`)).status, 401)
  const page = await fetch(`${core.url}/v1/me?x=1`, { headers: { accept: 'text/html' }, redirect: 'manual' })
  assert.equal(page.status, 302)
  assert.equal(page.headers.get('location'), `/login?next=${encodeURIComponent('/v1/me?x=1')}`)
  // Patient data: analysts and admins are refused even with the site granted (anya) or not.
  for (const c of [anya, root]) {
    const res = await c.json('/v1/patients/icu-1/latest')
    assert.equal(res.status, 403, c.user)
    assert.equal(res.body.error, 'NEVA_CORE_FORBIDDEN')
  }
  // Admin API: nurses, clinicians and analysts are refused, reading and writing.
  for (const c of [nina, carl, anya]) {
    assert.equal((await c.json('/v1/admin/users')).status, 403, c.user)
    assert.equal((await c.json('/v1/admin/users', { method: 'POST', body: { id: `x-${c.user}`, name: 'X', password: 'long enough password', roles: ['admin'] } })).status, 403, c.user)
    assert.equal((await c.json('/v1/admin/users/nina/grant', { method: 'POST', body: { sites: ['Other Hospital'] } })).status, 403, c.user)
    assert.equal((await c.json('/v1/admin/gateways/gw-x/credentials', { method: 'POST' })).status, 403, c.user)
    assert.equal((await c.json('/v1/admin/gateways/gw-1/credentials', { method: 'DELETE' })).status, 403, c.user)
  }
  // Analyst SQL: nurses, clinicians and admins are refused; the analyst goes through, audited by name.
  for (const c of [nina, carl, root]) assert.equal((await c.json('/v1/analytics/sql', { method: 'POST', body: { sql: 'SELECT 1' } })).status, 403, c.user)
  const ok = await anya.json('/v1/analytics/sql', { method: 'POST', body: { sql: 'SELECT count() AS n FROM observations' } })
  assert.equal(ok.status, 200, JSON.stringify(ok.body))
  const [audit] = await rows<{ user: string }>("SELECT user FROM analyst_audit WHERE user LIKE 'user:%' ORDER BY at DESC LIMIT 1")
  assert.equal(audit!.user, 'user:anya')
  // The analyst token still works.
  const token = await fetch(`${core.url}/v1/analytics/queries`, { headers: { authorization: 'Bearer analyst-token' } })
  assert.equal(token.status, 200)
})

test('patient of another ward or hospital refused and not audited; own ward allowed and audited', async () => {
  const nina = await login(core, 'nina', PASSWORD)
  const before = await rows<{ n: string }>('SELECT count() AS n FROM record_views')
  for (const p of ['cardio-1', 'other-icu-1', 'not-admitted']) {
    const res = await nina.json(`/v1/patients/${p}/latest`)
    assert.equal(res.status, 403, p)
    assert.equal(res.body.error, 'NEVA_CORE_FORBIDDEN')
    assert.equal(res.body.vitals, undefined)
  }
  assert.deepEqual(await rows('SELECT count() AS n FROM record_views'), before)
  const own = await nina.json('/v1/patients/icu-1/latest')
  assert.equal(own.status, 200, JSON.stringify(own.body))
  assert.equal((own.body.vitals as Record<string, { value: number }>).spo2!.value, 97)
  const [view] = await rows<Record<string, unknown>>("SELECT user_id, user_name, via, roles, patient_id, what, address FROM record_views WHERE patient_id = 'icu-1' ORDER BY at DESC LIMIT 1")
  assert.deepEqual(view, { user_id: 'nina', user_name: 'Nina Nurse', via: 'session', roles: ['nurse'], patient_id: 'icu-1', what: 'latest', address: '127.0.0.1' })
  // A whole-site grant covers every ward of that site, and only that site.
  const carl = await login(core, 'carl', PASSWORD)
  assert.equal((await carl.json('/v1/patients/cardio-1/latest')).status, 200)
  assert.equal((await carl.json('/v1/patients/icu-1/latest')).status, 200)
  assert.equal((await carl.json('/v1/patients/other-icu-1/latest')).status, 403)
  // Discharged: the encounter ends, the grant no longer reaches the patient.
  const start = Date.now() - 7200_000
  await admit(core, ['leaving-1'], 'ICU', TEST_SITE, start)
  assert.equal((await nina.json('/v1/patients/leaving-1/latest')).status, 404)
  await admit(core, ['leaving-1'], 'ICU', TEST_SITE, start, Date.now())
  assert.equal((await nina.json('/v1/patients/leaving-1/latest')).status, 403)
})

test('grants changed by an admin take effect at the next request', async () => {
  const nina = await login(core, 'nina', PASSWORD)
  const root = await login(core, 'root', PASSWORD)
  assert.equal((await nina.json('/v1/patients/cardio-1/latest')).status, 403)
  const granted = await root.json('/v1/admin/users/nina/grant', { method: 'POST', body: { wards: [`${TEST_SITE}/Cardiology`] } })
  assert.equal(granted.status, 200, JSON.stringify(granted.body))
  assert.equal((await nina.json('/v1/patients/cardio-1/latest')).status, 200)
  assert.equal((await root.json('/v1/admin/users/nina/revoke', { method: 'POST', body: { wards: [`${TEST_SITE}/Cardiology`] } })).status, 200)
  assert.equal((await nina.json('/v1/patients/cardio-1/latest')).status, 403)
  // A ward grant must name its site; an unknown role is refused.
  assert.equal((await root.json('/v1/admin/users/nina/grant', { method: 'POST', body: { wards: ['ICU'] } })).status, 400)
  assert.equal((await root.json('/v1/admin/users/nina/grant', { method: 'POST', body: { roles: ['superuser'] } })).status, 400)
  // An admin cannot lock themselves out.
  assert.equal((await root.json('/v1/admin/users/root/disabled', { method: 'PUT', body: { disabled: true } })).status, 409)
  const list = await root.json('/v1/admin/users')
  assert.ok(!JSON.stringify(list.body).includes('argon2'), 'password hashes never leave the core')
})

test('gateway credentials: issued → accepted by ingest; revoked → refused on the next request; config tokens still work', async () => {
  const root = await login(core, 'root', PASSWORD)
  const issued = await root.json('/v1/admin/gateways/gw-new/credentials', { method: 'POST' })
  assert.equal(issued.status, 201, JSON.stringify(issued.body))
  const token = String(issued.body.token)
  assert.match(token, /^[\w-]{43}$/)
  assert.equal((await ingest(token, 'gw-new', 10)).status, 200)
  // Only its hash is stored.
  const stored = await rows<{ token_sha256: string }>("SELECT token_sha256 FROM gateway_credentials FINAL WHERE gateway_id = 'gw-new'")
  assert.deepEqual(stored, [{ token_sha256: hashToken(token) }])
  // The token is this gateway's only: a batch in another gateway's name is refused.
  assert.equal((await ingest(token, 'gw-1', 11)).status, 403)
  // A second credential for the same gateway (rotation); revoking the first leaves the second.
  const second = await root.json('/v1/admin/gateways/gw-new/credentials', { method: 'POST' })
  const revoked = await root.json(`/v1/admin/gateways/gw-new/credentials/${String(issued.body.credential_id)}`, { method: 'DELETE' })
  assert.equal(revoked.status, 200, JSON.stringify(revoked.body))
  assert.equal((await ingest(token, 'gw-new', 12)).status, 401)
  assert.equal((await ingest(String(second.body.token), 'gw-new', 13)).status, 200)
  assert.equal((await root.json('/v1/admin/gateways/gw-new/credentials', { method: 'DELETE' })).body.revoked, 1)
  assert.equal((await ingest(String(second.body.token), 'gw-new', 14)).status, 401)
  // The revoked token cannot pull triage models either.
  assert.equal((await fetch(`${core.url}/v1/models/triage/current`, { headers: { authorization: `Bearer ${token}` } })).status, 401)
  assert.equal((await ingest('gw-config-token', 'gw-1', 15)).status, 200)
  const list = await root.json('/v1/admin/gateways/credentials')
  assert.ok(!JSON.stringify(list.body).includes(hashToken(token)))
  assert.equal((list.body.credentials as Array<{ revoked_at: number | null }>).filter((c) => c.revoked_at !== null).length, 2)
})

test('gateway credentials survive a reload from ClickHouse, revoked ones stay revoked', async () => {
  const root = await login(core, 'root', PASSWORD)
  const a = await root.json('/v1/admin/gateways/gw-reload/credentials', { method: 'POST' })
  const b = await root.json('/v1/admin/gateways/gw-reload/credentials', { method: 'POST' })
  await root.json(`/v1/admin/gateways/gw-reload/credentials/${String(a.body.credential_id)}`, { method: 'DELETE' })
  await core.gatewayKeys.load()
  assert.equal(core.gatewayKeys.gatewayOf(String(a.body.token)), undefined)
  assert.equal(core.gatewayKeys.gatewayOf(String(b.body.token)), 'gw-reload')
})

test('security headers: CSP self only, no HSTS over plain HTTP, nosniff, frame-ancestors none', async () => {
  const res = await fetch(`${core.url}/login`)
  assert.equal(res.status, 200)
  const csp = res.headers.get('content-security-policy') ?? ''
  assert.match(csp, /default-src 'self'/)
  assert.match(csp, /script-src 'self'/)
  assert.match(csp, /frame-ancestors 'none'/)
  assert.doesNotMatch(csp, /https?:\/\//, 'no external origin is allowed')
  assert.doesNotMatch(csp, /upgrade-insecure-requests/)
  assert.equal(res.headers.get('strict-transport-security'), null)
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
  assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN')
  const html = await res.text()
  assert.match(html, /<form method="post" action="\/login">/)
  assert.doesNotMatch(html, /<script|https?:\/\//, 'no script and no external asset')
  assert.equal((await fetch(`${core.url}/v1/me`)).headers.get('x-content-type-options'), 'nosniff')
})

test('the login form: a wrong password shows the form again; the right one redirects to next, never off-site', async () => {
  const form = (body: Record<string, string>) => fetch(`${core.url}/login`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: core.url }, body: new URLSearchParams(body).toString(),
  })
  const wrong = await form({ username: 'carl', password: 'not it at all', next: '/boards/icu' })
  assert.equal(wrong.status, 401)
  assert.match(await wrong.text(), /role="alert"[\s\S]*value="\/boards\/icu"/)
  const right = await form({ username: 'carl', password: PASSWORD, next: '/boards/icu' })
  assert.equal(right.status, 303)
  assert.equal(right.headers.get('location'), '/boards/icu')
  const offsite = await form({ username: 'carl', password: PASSWORD, next: '//evil.example/x' })
  assert.equal(offsite.headers.get('location'), '/')
  const me = await fetch(`${core.url}/v1/me`, { headers: { cookie: cookieOf(right) } })
  assert.equal(((await me.json()) as { id: string }).id, 'carl')
})

test('analyst created through the admin API logs in and gets the role it was given', async () => {
  const root = await login(core, 'root', PASSWORD)
  const created = await root.json('/v1/admin/users', { method: 'POST', body: { id: 'ana2', name: 'Second Analyst', password: 'a long analyst passphrase', roles: ['analyst'] } })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  assert.equal(created.body.updated_by, 'root')
  assert.equal((await root.json('/v1/admin/users', { method: 'POST', body: { id: 'ana2', name: 'Again', password: 'a long analyst passphrase', roles: ['analyst'] } })).status, 409)
  assert.equal((await root.json('/v1/admin/users', { method: 'POST', body: { id: 'short', name: 'Short', password: 'short', roles: ['analyst'] } })).status, 400)
  const ana2 = await userClient(core, { id: 'ana3', name: 'Third', roles: ['analyst'] })
  assert.deepEqual(((await ana2.json('/v1/me')).body as { roles: string[] }).roles, ['analyst'])
  const [hash] = await rows<{ password_hash: string }>("SELECT password_hash FROM users FINAL WHERE user_id = 'ana2'")
  assert.match(hash!.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
})
