// Patients at home through the real core and embedded ClickHouse: patient tokens issued by the
// hospital system and every refusal tried as an attack; surveys answered once (resend, conflict,
// not yet due); the chemotherapist's queue with risk, deadline, escalation, review and the
// telemedicine consultation's states; home vitals stored once when sent twice, kept aside when
// invalid, queued when out of range, and served by FHIR as patient-reported.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DAY_MS, hashToken, reviewDeadline, startCore, SurveyStore } from '@neva/core'
import { admit, userClient, TEST_SITE } from './people-helpers.js'
import { schemaErrors } from './fhir-schema.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-home-')) },
  gateways: { 'gw-1': hashToken('gw-token') }, emrSystems: { his: hashToken('his-token'), clinic: hashToken('clinic-token') }, logLevel: 'silent', bodyLimit: 1024 * 1024,
}, { surveyRemindEveryMs: 0 })
after(() => core.close())

const P1 = 'onc-p1'
const P2 = 'onc-p2'
await admit(core, [P1, P2], 'Oncology day unit')
const onco = await userClient(core, { id: 'dr-onc', name: 'Dr Onc', roles: ['clinician'], wards: [`${TEST_SITE}/Oncology day unit`] })
const icuDoc = await userClient(core, { id: 'dr-icu', name: 'Dr ICU', roles: ['clinician'], wards: [`${TEST_SITE}/ICU`] })
const store = new SurveyStore(core.clickhouse)

async function call(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${core.url}${path}`, {
    method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> }
}
const emr = (method: string, path: string, body?: unknown) => call(method, path, 'his-token', body)
const issue = async (patient_id: string) => (await emr('POST', '/v1/emr/patient-tokens', { patient_id })).body as { token_id: string; token: string; page: string; expires_time: number }
const count = async (query: string, query_params: Record<string, unknown> = {}) =>
  Number(((await (await core.clickhouse.client.query({ query, query_params, format: 'JSONEachRow' })).json()) as Array<{ n: string }>)[0]!.n)

// Cycle 1 of P1 started 8 days ago: day 9 today (neutropenic window of q21d).
const now = Date.now()
const start = Math.floor(now / DAY_MS) * DAY_MS - 8 * DAY_MS
const p1 = await issue(P1)
const p2 = await issue(P2)

test('issuing: only a hospital system; the token shown once, stored as its SHA-256, linked through the fragment', async () => {
  assert.match(p1.token, /^npt_[A-Za-z0-9_-]{43}$/)
  assert.equal(p1.page, `/home#patient=${P1}&token=${p1.token}`)
  assert.equal(await count('SELECT count() AS n FROM patient_tokens WHERE token_sha256 = {h:String}', { h: hashToken(p1.token) }), 1)
  assert.equal(await count("SELECT count() AS n FROM patient_tokens WHERE position(token_sha256, 'npt_') > 0"), 0)
  for (const token of [null, 'gw-token', p1.token]) assert.equal((await call('POST', '/v1/emr/patient-tokens', token, { patient_id: P1 })).status, 401)
  // A clinician's session is not a hospital system either.
  assert.equal((await onco.json('/v1/emr/patient-tokens', { method: 'POST', body: { patient_id: P1 } })).status, 401)
  assert.equal((await emr('POST', '/v1/emr/patient-tokens', { patient_id: P1, valid_days: 365 })).status, 400)
  assert.equal((await emr('POST', '/v1/emr/survey-cycles', { cycle_id: 'c1', patient_id: P1, regimen: 'q99d', start_time: start })).status, 400)
  assert.equal((await emr('POST', '/v1/emr/survey-cycles', { cycle_id: 'c1', patient_id: P1, regimen: 'q21d', start_time: start })).status, 200)
  assert.equal((await emr('POST', '/v1/emr/survey-cycles', { cycle_id: 'c2', patient_id: P2, regimen: 'q21d', start_time: start })).status, 200)
})

test('attacks on the patient API: refused, and every presentation audited', async () => {
  const path = (p: string) => `/v1/home/${p}/surveys`
  // Another patient's id with a valid token.
  const other = await call('GET', path(P2), p1.token)
  assert.equal(other.status, 403)
  assert.equal(other.body.error, 'NEVA_CORE_FORBIDDEN')
  // No token, a made-up one, the hospital system's, a gateway's.
  for (const token of [null, 'npt_' + 'A'.repeat(43), 'his-token', 'gw-token']) {
    const r = await call('GET', path(P1), token)
    assert.equal(r.status, 401, String(token))
    assert.equal(r.body.error, 'NEVA_CORE_PATIENT_TOKEN')
  }
  // A clinician's session (cookie) on a patient endpoint.
  assert.equal((await onco.json(path(P1))).status, 401)
  // A patient token on clinicians' endpoints.
  for (const p of ['/v1/surveys/queue', `/v1/patients/${P1}/latest`, `/v1/patients/${P1}/summary`, `/fhir/R4/Observation?patient=${P1}`]) {
    assert.equal((await call('GET', p, p1.token, undefined, { accept: 'application/json' })).status, 401, p)
  }
  // Expired: a token whose time ran out.
  await store.putToken({ token_id: 'pt-expired', token_sha256: hashToken('npt_expired-token-for-the-test-0000000000000'), patient_id: P1, issued_by: 'his', issued_time: now - 40 * DAY_MS, expires_time: now - DAY_MS, revoked_time: null })
  assert.equal((await call('GET', path(P1), 'npt_expired-token-for-the-test-0000000000000')).body.message, 'a valid patient token is needed (Authorization: Bearer npt_…); this one is expired')
  // Revoked, then replayed: refused from the next request on.
  const spare = await issue(P1)
  assert.equal((await call('GET', path(P1), spare.token)).status, 200)
  assert.equal((await emr('DELETE', `/v1/emr/patient-tokens/${spare.token_id}`)).status, 200)
  for (let i = 0; i < 2; i++) assert.equal((await call('GET', path(P1), spare.token)).body.message, 'a valid patient token is needed (Authorization: Bearer npt_…); this one is revoked')
  assert.equal((await call('POST', `/v1/home/${P1}/vitals`, spare.token, { id: 'replay-1', time: now, values: { pulse: { value: 70, unit: '/min' } } })).status, 401)
  assert.equal((await emr('DELETE', '/v1/emr/patient-tokens/pt-nope')).status, 404)
  // Another hospital's system cannot revoke (or learn of) a token it did not issue: the same 404
  // as a made-up id, and the token still works.
  const theirs = await issue(P1)
  const cut = await call('DELETE', `/v1/emr/patient-tokens/${theirs.token_id}`, 'clinic-token')
  assert.equal(cut.status, 404)
  const madeUp = await call('DELETE', '/v1/emr/patient-tokens/pt-nope', 'clinic-token')
  assert.deepEqual([cut.body.error, cut.body.message], [madeUp.body.error, madeUp.body.message.replace('pt-nope', theirs.token_id)])
  assert.equal(cut.body.error, 'NEVA_CORE_PATIENT_TOKEN_NOT_FOUND')
  assert.equal((await call('GET', path(P1), theirs.token)).status, 200)
  assert.equal((await store.tokenById(theirs.token_id))!.revoked_time, null)
  const uses = await store.tokenUses(P1)
  const outcomes = uses.map((u) => u.outcome)
  for (const o of ['ok', 'missing', 'unknown', 'expired', 'revoked']) assert.ok(outcomes.includes(o), o)
  assert.ok((await store.tokenUses(P2)).some((u) => u.outcome === 'wrong_patient' && u.token_id === p1.token_id))
})

test('surveys: listed with states, answered once, a resend acknowledged, other answers and future days refused', async () => {
  const list = await call('GET', `/v1/home/${P1}/surveys`, p1.token)
  assert.equal(list.status, 200)
  assert.equal(list.body.questionnaire.items.length, 12)
  const states = Object.fromEntries((list.body.surveys as Array<{ cycle_day: number; state: string }>).map((s) => [s.cycle_day, s.state]))
  assert.deepEqual([states[7], states[8], states[9], states[10]], ['overdue', 'overdue', 'due', 'upcoming'])
  const answers = { fever: { presence: 1, temperature_c: 38.4 }, nausea: { frequency: 2, severity: 1 } }
  const first = await call('POST', `/v1/home/${P1}/surveys/c1:d9`, p1.token, { answers })
  assert.equal(first.status, 200)
  assert.equal(first.body.stored, true)
  const again = await call('POST', `/v1/home/${P1}/surveys/c1:d9`, p1.token, { answers: { nausea: { severity: 1, frequency: 2 }, fever: { temperature_c: 38.4, presence: 1 } } })
  assert.deepEqual([again.status, again.body.stored], [200, false])
  assert.equal((await call('POST', `/v1/home/${P1}/surveys/c1:d9`, p1.token, { answers: { nausea: { severity: 0 } } })).body.error, 'NEVA_CORE_SURVEY_CONFLICT')
  assert.equal((await call('POST', `/v1/home/${P1}/surveys/c1:d10`, p1.token, { answers })).body.error, 'NEVA_CORE_SURVEY_NOT_DUE')
  assert.equal((await call('POST', `/v1/home/${P1}/surveys/c2:d9`, p1.token, { answers })).body.error, 'NEVA_CORE_SURVEY_NOT_FOUND')
  const bad = await call('POST', `/v1/home/${P1}/surveys/c1:d8`, p1.token, { answers: { nausea: { severity: 7 } } })
  assert.deepEqual([bad.status, bad.body.message], [400, 'the answers are not valid: nausea.severity must be an integer from 0 to 4'])
  // Two copies at once: one stored.
  const both = await Promise.all([0, 1].map(() => call('POST', `/v1/home/${P1}/surveys/c1:d8`, p1.token, { answers: { fatigue: { severity: 2, interference: 1 } } })))
  assert.deepEqual(both.map((r) => r.body.stored).sort(), [false, true])
  assert.equal(await count("SELECT count() AS n FROM survey_responses WHERE patient_id = {p:String}", { p: P1 }), 2)
  // Reminders: due and overdue, once each however often the task runs.
  await core.surveys.remind(Date.now())
  await core.surveys.remind(Date.now())
  const reminders = (await call('GET', `/v1/home/${P1}/reminders`, p1.token)).body.reminders as Array<{ response_id: string; kind: string }>
  assert.ok(reminders.some((r) => r.response_id === 'c1:d7' && r.kind === 'overdue'))
  assert.ok(!reminders.some((r) => r.response_id === 'c1:d9'), 'answered surveys get no reminder')
  assert.equal(reminders.length, new Set(reminders.map((r) => `${r.response_id}/${r.kind}`)).size)
  assert.ok((await call('GET', `/v1/home/${P2}/reminders`, p2.token)).body.reminders.some((r: { response_id: string; kind: string }) => r.response_id === 'c2:d9' && r.kind === 'due'))
})

test('review queue: by risk with reasons and deadline; overdue escalated first; others\' wards refused; review and teleconsult audited', async () => {
  // An answer from three days ago nobody reviewed: past its deadline.
  const old = now - 3 * DAY_MS
  await store.putResponse({ response_id: 'c2:d4', patient_id: P2, cycle_id: 'c2', cycle_day: 4, due_time: start + 3 * DAY_MS, submitted_time: old, answers: '{"nausea":{"severity":2}}', answers_sha256: 'x', risk: 'low', reasons: ['low: Nausea: severity moderate'], review_due: reviewDeadline(old), site: TEST_SITE, ward: 'Oncology day unit' })
  // Escalated by the background task, before anyone opens the queue.
  assert.deepEqual([...await core.surveys.escalate()], ['c2:d4'])
  const q = await onco.json('/v1/surveys/queue')
  assert.equal(q.status, 200)
  const items = q.body.items as Array<Record<string, any>>
  assert.deepEqual(items.map((i) => i.id), ['c2:d4', 'c1:d9', 'c1:d8'])
  assert.deepEqual([items[0]!.escalated, items[0]!.overdue], [true, true])
  assert.equal(items[1]!.risk, 'high')
  assert.match(items[1]!.reasons[0], /^high: temperature 38\.4 °C on cycle day 9, in the neutropenic window/)
  assert.equal(items[1]!.review_due, reviewDeadline(items[1]!.submitted_time))
  assert.equal(items[1]!.escalated, false)
  assert.equal(await count("SELECT count() AS n FROM survey_events WHERE kind = 'escalated'"), 1)
  await onco.json('/v1/surveys/queue')
  assert.equal(await count("SELECT count() AS n FROM survey_events WHERE kind = 'escalated'"), 1, 'escalated once')
  // A clinician of another ward sees none of it and may not act on it.
  assert.deepEqual((await icuDoc.json('/v1/surveys/queue')).body.items, [])
  assert.equal((await icuDoc.json('/v1/surveys/c1:d9/teleconsult', { method: 'POST', body: {} })).status, 403)
  // One click: an urgent teleconsultation with the survey attached, then its states.
  const tc = await onco.json('/v1/surveys/c1:d9/teleconsult', { method: 'POST', body: { note: 'febrile on day 9' } })
  assert.equal(tc.body.status, 'requested')
  assert.equal(tc.body.response_id, 'c1:d9')
  const id = tc.body.consult_id as string
  assert.equal((await onco.json(`/v1/teleconsults/${id}/status`, { method: 'POST', body: { status: 'done' } })).body.error, 'NEVA_CORE_CONSULT_TRANSITION')
  assert.equal((await onco.json(`/v1/teleconsults/${id}/status`, { method: 'POST', body: { status: 'scheduled', scheduled_time: now + 3600_000 } })).body.status, 'scheduled')
  assert.equal((await onco.json(`/v1/teleconsults/${id}/status`, { method: 'POST', body: { status: 'done' } })).body.status, 'done')
  assert.equal((await onco.json(`/v1/teleconsults/${id}/status`, { method: 'POST', body: { status: 'cancelled' } })).status, 409)
  assert.equal((await onco.json('/v1/teleconsults/tc-none/status', { method: 'POST', body: { status: 'done' } })).status, 404)
  const listed = ((await onco.json('/v1/surveys/queue')).body.items as Array<Record<string, any>>).find((i) => i.id === 'c1:d9')!
  assert.equal(listed.consults[0].status, 'done')
  // Reviewed: leaves the queue.
  assert.equal((await onco.json('/v1/surveys/c1:d9/review', { method: 'POST', body: { note: 'called, seen in clinic' } })).status, 200)
  assert.ok(!((await onco.json('/v1/surveys/queue')).body.items as Array<{ id: string }>).some((i) => i.id === 'c1:d9'))
  const audit = await count("SELECT count() AS n FROM record_views WHERE user_id = 'dr-onc' AND what IN ('survey queue', 'teleconsult requested', 'teleconsult scheduled', 'teleconsult done', 'survey reviewed')")
  assert.ok(audit >= 6, String(audit))
  assert.equal(await count("SELECT count() AS n FROM record_views WHERE user_id = 'dr-icu' AND what = 'teleconsult request refused'"), 1)
})

test('home vitals: sent twice stored once, patient_reported; invalid kept aside; out of range queued; FHIR marks them', async () => {
  const t = now - 10 * 60_000
  const body = { id: 'phone-0001', time: t, values: { systolic_bp: { value: 186, unit: 'mmHg' }, diastolic_bp: { value: 92, unit: 'mmHg' }, pulse: { value: 88, unit: '/min' }, spo2: { value: 97, unit: '%' }, weight: { value: 71.5, unit: 'kg' }, glucose: { value: 6.1, unit: 'mmol/L' } } }
  const first = await call('POST', `/v1/home/${P1}/vitals`, p1.token, body)
  assert.equal(first.status, 200)
  assert.deepEqual([first.body.stored, first.body.readings, first.body.out_of_range], [true, 6, ['systolic blood pressure 186 mm[Hg], at or above 180']])
  const second = await call('POST', `/v1/home/${P1}/vitals`, p1.token, body)
  assert.deepEqual([second.status, second.body.stored], [200, false])
  assert.equal(await count("SELECT count() AS n FROM observations WHERE patient_id = {p:String} AND has(flags, 'patient_reported') AND source = 'patient_app'", { p: P1 }), 6)
  assert.equal(await count("SELECT count() AS n FROM survey_events WHERE kind = 'vitals_out_of_range' AND patient_id = {p:String}", { p: P1 }), 1)
  const bad = await call('POST', `/v1/home/${P1}/vitals`, p1.token, { id: 'phone-0002', time: t, values: { spo2: { value: 140, unit: '%' } } })
  assert.deepEqual([bad.status, bad.body.error], [400, 'NEVA_CORE_HOME_VITAL_INVALID'])
  assert.equal(await count("SELECT count() AS n FROM rejected_readings WHERE gateway_id = 'patient-app' AND code = 'NEVA_CORE_HOME_VITAL_INVALID'"), 1)
  assert.equal((await call('POST', `/v1/home/${P1}/vitals`, p1.token, { id: 'phone-0003', time: t, values: { pulse: { value: null, unit: '/min' } } })).status, 400)
  // A gateway cannot pass its readings off as a patient's app: patient_app is not a gateway source.
  const forged = { gateway_id: 'gw-1', batch_id: 'forged-1', sent_time: now, triage: [], rejected: [],
    observations: [{ gateway_id: 'gw-1', seq: 1, device_id: 'x', patient_id: P1, source: 'patient_app', mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 80, unit: '%', device_time: t, received_time: t, flags: ['patient_reported'] }] }
  assert.equal((await call('POST', '/v1/ingest', 'gw-token', forged)).status, 400)
  // The clinic's queue has the high pressure.
  const queued = ((await onco.json('/v1/surveys/queue')).body.items as Array<Record<string, any>>).find((i) => i.kind === 'home_vitals')!
  assert.equal(queued.patient_id, P1)
  assert.match(queued.reasons[0], /systolic blood pressure 186/)
  assert.equal((await onco.json(`/v1/surveys/${encodeURIComponent(queued.id)}/review`, { method: 'POST', body: {} })).status, 200)
  // The record: the patient page's summary and FHIR.
  const summary = await onco.json(`/v1/patients/${P1}/summary?hours=1`)
  assert.equal(summary.status, 200)
  const bundle = await onco.json(`/fhir/R4/Observation?patient=${P1}`, { headers: { accept: 'application/fhir+json' } })
  assert.equal(bundle.status, 200, JSON.stringify(bundle.body))
  const obs = (bundle.body.entry as Array<{ resource: Record<string, any> }>).map((e) => e.resource)
  const sys = obs.find((o) => o.code.coding?.some((c: { code: string }) => c.code === '8480-6'))!
  assert.equal(sys.valueQuantity.value, 186)
  assert.deepEqual(sys.meta.tag, [{ system: 'urn:neva:observation-flag', code: 'patient-reported', display: 'Patient-reported (entered at home)' }])
  assert.deepEqual(sys.performer, [{ reference: `Patient/${P1}` }])
  assert.equal(obs.filter((o) => o.meta?.tag).length, 6)
  for (const o of obs) assert.deepEqual(schemaErrors(o), [], JSON.stringify(o))
  // The patient page's "From home" section, behind the same locks.
  const home = (await onco.json(`/v1/patients/${P1}/home`)) as { status: number; body: Record<string, any> }
  assert.equal(home.status, 200)
  assert.equal(home.body.readings.length, 6)
  const d9 = home.body.surveys.find((x: { response_id: string }) => x.response_id === 'c1:d9')
  assert.deepEqual([d9.risk, d9.reviewed.by, d9.consults[0].status], ['high', 'dr-onc', 'done'])
  assert.equal((await icuDoc.json(`/v1/patients/${P1}/home`)).status, 403)
  assert.equal((await call('GET', `/v1/patients/${P1}/home`, p1.token)).status, 401)
})

test('patient routes are rate limited per address (every presentation is audited, so a flood must not be free)', async () => {
  let refused: Record<string, any> | undefined
  for (let i = 0; i < 130 && !refused; i++) {
    const r = await call('GET', `/v1/home/${P1}/reminders`, 'npt_' + 'B'.repeat(43))
    if (r.status === 429) refused = r.body
    else assert.equal(r.status, 401)
  }
  assert.equal(refused?.error, 'NEVA_CORE_RATE_LIMITED')
})
