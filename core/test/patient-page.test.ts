// The patient page's data (/v1/patients/:id/summary) and shell (/patients/:id) over the real
// embedded ClickHouse: vitals averaged per bucket, labs with flags, alarms, triage with the model
// version; the window checked (hours not 1, 8, 24 or 168 is a 400 naming it); ids by the contracts'
// rule; a patient outside the grants refused, page and data, with the refusal audited.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashToken, startCore } from '@neva/core'
import { admit, userClient, TEST_SITE } from './people-helpers.js'
import { seedPatient } from './fhir-fixtures.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-patient-page-')) }, gateways: { 'gw-1': hashToken('gw-token') },
})
after(() => core.close())

const T0 = Date.now() - 30 * 60_000
await admit(core, ['pp-1'])
await admit(core, ['pp-other'], 'Cardiology')
await seedPatient(core, 'pp-1', T0, { vitals: 10 })
await seedPatient(core, 'pp-other', T0)
const nurse = await userClient(core, { id: 'pp-nurse', name: 'Nurse', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })
const analyst = await userClient(core, { id: 'pp-analyst', name: 'Analyst', roles: ['analyst'], sites: [TEST_SITE] })

async function audit(patient: string): Promise<string[]> {
  const rs = await core.clickhouse.client.query({ query: 'SELECT what FROM record_views WHERE patient_id = {p:String} ORDER BY at', query_params: { p: patient }, format: 'JSONEachRow' })
  return (await rs.json<{ what: string }>()).map((r) => r.what)
}

test('summary: vitals per bucket, labs with flags, alarms, triage with model version; audited', async () => {
  const { status, body } = await nurse.json('/v1/patients/pp-1/summary?hours=1')
  assert.equal(status, 200)
  assert.equal(body.step_s, 5)
  const vitals = body.vitals as Array<{ name: string; unit: string; t: number[]; avg: number[] }>
  const hr = vitals.find((v) => v.name === 'heart_rate')!
  assert.equal(hr.unit, '/min')
  assert.equal(hr.t.length, 10)
  assert.deepEqual(hr.avg, [80, 81, 82, 83, 84, 85, 86, 87, 88, 89])
  const labs = body.labs as Array<{ test_code: string; abnormal_flag: string | null; reference_range: string }>
  const glu = labs.find((l) => l.test_code === 'GLU')!
  assert.equal(glu.abnormal_flag, 'H')
  assert.equal(glu.reference_range, '3.9-6.1')
  const alarms = body.alarms as Array<{ event_text: string; acks: unknown[] }>
  assert.equal(alarms[0]!.event_text, 'HR high')
  assert.deepEqual(alarms[0]!.acks, [])
  const triage = body.triage as Array<{ model_version: string; news2_score: number; inputs: Record<string, unknown> }>
  assert.equal(triage[0]!.model_version, 'news2-rcp-2017')
  assert.equal(triage[0]!.news2_score, 3)
  assert.deepEqual((triage[0]!.inputs.respiratory_rate as { value: number }).value, 7)
  assert.equal((body.diagnoses as Array<{ icd10: string }>)[0]!.icd10, 'J18.9')
  assert.equal((body.encounters as Array<{ ward: string }>)[0]!.ward, 'ICU')
  assert.ok((await audit('pp-1')).includes('patient summary 1h'))

  // 24 h per 5 minutes, 7 days per hour, both from the 5-minute rollup (0034): each bucket the
  // mean, min and max of its readings (a minute apart), and the unit as the readings'.
  const bucketsOf = (stepMs: number) => {
    const by = new Map<number, number[]>()
    hr.t.forEach((t, i) => {
      const b = Math.floor(t / stepMs) * stepMs
      by.set(b, [...(by.get(b) ?? []), hr.avg[i]!])
    })
    return { t: [...by.keys()], avg: [...by.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length), min: [...by.values()].map((v) => Math.min(...v)), max: [...by.values()].map((v) => Math.max(...v)) }
  }
  for (const [hours, stepS] of [[24, 300], [168, 3600]] as const) {
    const r = await nurse.json(`/v1/patients/pp-1/summary?hours=${hours}`)
    assert.equal(r.status, 200)
    assert.equal(r.body.step_s, stepS)
    const v = (r.body.vitals as Array<{ name: string; unit: string; t: number[]; avg: number[]; min: number[]; max: number[] }>).find((x) => x.name === 'heart_rate')!
    assert.deepEqual({ t: v.t, avg: v.avg, min: v.min, max: v.max }, bucketsOf(stepS * 1000), `${hours} h`)
    assert.equal(v.unit, '/min')
  }
  const day = await nurse.json('/v1/patients/pp-1/summary?hours=24')
  // The latest reading itself, whatever the bucket: the tenth heart rate, 9 minutes after the first.
  const latest = day.body.latest as Array<{ name: string; value: number; time: number }>
  assert.deepEqual(latest.find((l) => l.name === 'heart_rate'), { name: 'heart_rate', value: 89, time: T0 + 9 * 60_000 })
  const dayHr = (day.body.vitals as Array<{ name: string; unit: string; avg: number[] }>).find((v) => v.name === 'heart_rate')!
  assert.equal(dayHr.unit, '/min')
})

test('summary: hours outside 1, 8, 24, 168 is a 400 naming it; unknown parameters and bad ids refused', async () => {
  for (const hours of ['2', '0', '-1', '1e3', '168.0', "1' OR 1=1", '']) {
    const { status, body } = await nurse.json(`/v1/patients/pp-1/summary?hours=${encodeURIComponent(hours)}`)
    assert.equal(status, 400, hours)
    assert.equal(body.error, 'NEVA_CORE_PATIENT_BAD_HOURS')
    assert.match(String(body.message), /hours must be one of 1, 8, 24 or 168/)
    assert.ok(String(body.message).includes(JSON.stringify(hours)), String(body.message))
  }
  assert.equal((await nurse.json('/v1/patients/pp-1/summary?hours=1&limit=5')).status, 400)
  assert.equal((await nurse.json('/v1/patients/pp-1/summary?hours=1&hours=8')).status, 400)
  for (const id of ['a%20b', 'x'.repeat(129), '%3Cb%3E', "p'1"]) {
    assert.equal((await nurse.json(`/v1/patients/${id}/summary`)).status, 400, id)
    assert.equal((await nurse.fetch(`/patients/${id}`)).status, 400, id)
  }
  // The longest id the id rule allows reaches the grant check (not the router's 100-character
  // default, which answered 414); only a parameter past any id's encoded length is a 414.
  assert.equal((await nurse.json(`/v1/patients/${'x'.repeat(128)}/summary`)).status, 403)
  assert.equal((await nurse.json(`/v1/patients/${'x'.repeat(1100)}/summary`)).status, 414)
})

test('a patient outside the grants: page and data refused, the attempts audited; no session, no role', async () => {
  const before = (await audit('pp-other')).length
  const page = await nurse.fetch('/patients/pp-other', { headers: { accept: 'text/html' } })
  assert.equal(page.status, 403)
  const html = await page.text()
  assert.match(html, /may not open patient pp-other/)
  assert.doesNotMatch(html, /J18\.9|HR high/)
  const data = await nurse.json('/v1/patients/pp-other/summary?hours=24')
  assert.equal(data.status, 403)
  assert.equal(data.body.error, 'NEVA_CORE_NOT_GRANTED')
  assert.equal(data.body.vitals, undefined)
  // "../.." is a valid id by the contracts' rule (dots and slashes are allowed): a patient nobody is granted.
  assert.equal((await nurse.fetch('/patients/..%2F..')).status, 403)
  // Unknown to Neva: refused the same way (the answer does not tell who is in hospital).
  assert.equal((await nurse.json('/v1/patients/nobody-here/summary')).status, 403)
  assert.deepEqual((await audit('pp-other')).slice(before), ['patient page refused', 'patient summary refused'])

  const own = await nurse.fetch('/patients/pp-1', { headers: { accept: 'text/html' } })
  assert.equal(own.status, 200)
  assert.match(await own.text(), /data-patient="pp-1"/)
  assert.equal((await analyst.json('/v1/patients/pp-1/summary')).status, 403)
  assert.equal((await fetch(`${core.url}/v1/patients/pp-1/summary`)).status, 401)
  const anonymous = await fetch(`${core.url}/patients/pp-1`, { headers: { accept: 'text/html' }, redirect: 'manual' })
  assert.equal(anonymous.status, 302)
  assert.match(anonymous.headers.get('location') ?? '', /^\/login\?next=%2Fpatients%2Fpp-1$/)
  // The search box: a valid id goes to its page, a bad one is refused.
  const search = await nurse.fetch('/patients?id=pp-1', { redirect: 'manual' })
  assert.equal(search.status, 303)
  assert.equal(search.headers.get('location'), '/patients/pp-1')
  assert.equal((await nurse.fetch('/patients?id=%3Cscript%3E', { redirect: 'manual' })).status, 400)
})
