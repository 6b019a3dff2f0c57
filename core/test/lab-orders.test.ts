// Laboratory orders through a real core on the embedded ClickHouse over real HTTP: placed by the
// hospital system and by a granted clinician, read back by id and patient with the audit, moved
// through their states with the history kept, refused when the move is not allowed, served to
// the gateway of the site as its worklist. Every lock is tried by someone who must be refused.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashToken, startCore } from '@neva/core'
import { admit, TEST_SITE, userClient } from './people-helpers.js'

const OTHER_SITE = 'Other Hospital'
const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-lab-')) },
  gateways: { 'gw-lab': hashToken('gw-lab-token'), 'gw-other': hashToken('gw-other-token'), 'gw-none': hashToken('gw-none-token') },
  gatewaySites: { 'gw-lab': [TEST_SITE], 'gw-other': [OTHER_SITE] },
  emrSystems: { his: hashToken('his-token') },
  logLevel: 'silent',
  bodyLimit: 1024 * 1024,
}, { labMatchEveryMs: 0 })
after(() => core.close())

const START = Date.now() - 3600_000
await admit(core, ['lab-p1', 'lab-p2'], 'ICU', TEST_SITE, START)
await admit(core, ['lab-far'], 'ICU', OTHER_SITE, START)
const enc = (p: string, ward = 'ICU') => `enc-${p}-${ward}-${START}`

const clinician = await userClient(core, { id: 'lab-doc', name: 'Lab Doc', roles: ['clinician'], wards: [`${TEST_SITE}/ICU`] })
const nurse = await userClient(core, { id: 'lab-nurse', name: 'Lab Nurse', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })
const elsewhere = await userClient(core, { id: 'lab-doc-far', name: 'Far Doc', roles: ['clinician'], sites: [OTHER_SITE] })

const CBC = { loinc: '58410-2', lab_code: 'CBC' }
const GLU = { loinc: '2345-7', lab_code: 'GLU' }
const K = { loinc: '2823-3', lab_code: 'K' }
const order = (specimen: string, extra: Record<string, unknown> = {}) => ({
  patient_id: 'lab-p1', encounter_id: enc('lab-p1'), specimen_id: specimen, tests: [GLU, K], priority: 'stat', diagnosis: { code: 'E87.5', text: 'hyperkalaemia?' }, ...extra,
})
const withToken = (token: string) => async (path: string, body?: unknown) => {
  const res = await fetch(`${core.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as any }
}
const his = withToken('his-token')
const gwLab = withToken('gw-lab-token')
test('the hospital system places an order; its tests, priority, reason and place are kept', async () => {
  const placed = await his('/v1/lab/orders', order('SP-0001', { ordered_by: 'dr-house' }))
  assert.equal(placed.status, 201, JSON.stringify(placed.body))
  assert.equal(placed.body.state, 'ordered')
  assert.equal(placed.body.ordered_by, 'system:his/dr-house')
  assert.deepEqual(placed.body.tests, [GLU, K])
  assert.equal(placed.body.site, TEST_SITE)
  assert.equal(placed.body.ward, 'ICU')
  assert.equal(placed.body.diagnosis_code, 'E87.5')
  const back = await his(`/v1/lab/orders/${placed.body.order_id}`)
  assert.equal(back.status, 200)
  assert.deepEqual(back.body, placed.body)
})

test('a granted clinician orders as themselves; a nurse reads it and the read is audited', async () => {
  const placed = await clinician.json('/v1/lab/orders', { method: 'POST', body: order('SP-0002', { tests: [CBC], priority: 'routine', diagnosis: undefined }) })
  assert.equal(placed.status, 201, JSON.stringify(placed.body))
  assert.equal(placed.body.ordered_by, 'user:lab-doc')
  const read = await nurse.json(`/v1/lab/orders?patient_id=lab-p1`)
  assert.equal(read.status, 200)
  const ids = (read.body.orders as Array<{ order_id: string }>).map((o) => o.order_id)
  assert.ok(ids.includes(placed.body.order_id as string))
  const audit = await core.clickhouse.client.query({ query: "SELECT patient_id, what FROM record_views WHERE user_id = 'lab-nurse'", format: 'JSONEachRow' })
  assert.deepEqual(await audit.json(), [{ patient_id: 'lab-p1', what: 'lab_orders' }])
})

test('states move forward with each change timestamped; a backward or final move is refused with the catalog code', async () => {
  const placed = await his('/v1/lab/orders', order('SP-0003'))
  const id = placed.body.order_id as string
  const step = (state: string) => nurse.json(`/v1/lab/orders/${id}/state`, { method: 'POST', body: { state } })
  for (const state of ['collected', 'received', 'in_analysis', 'resulted']) assert.equal((await step(state)).status, 200, state)
  const back = await step('collected')
  assert.equal(back.status, 409)
  assert.equal(back.body.error, 'NEVA_CORE_LAB_TRANSITION')
  assert.match(String(back.body.message), /resulted → collected/)
  const verified = await his(`/v1/lab/orders/${id}/state`, { state: 'verified' })
  assert.equal(verified.status, 200)
  const states = (verified.body.history as Array<{ state: string; time: number; by: string }>)
  assert.deepEqual(states.map((h) => h.state), ['ordered', 'collected', 'received', 'in_analysis', 'resulted', 'verified'])
  for (let i = 1; i < states.length; i++) assert.ok(states[i]!.time > states[i - 1]!.time, 'each change strictly later')
  assert.equal(states.at(-1)!.by, 'system:his')
  assert.equal((await step('cancelled')).body.error, 'NEVA_CORE_LAB_TRANSITION', 'verified is final')
})

test('cancelled is final; the specimen id can then be used again, but never by two open orders', async () => {
  const first = await his('/v1/lab/orders', order('SP-0004'))
  const again = await his('/v1/lab/orders', order('SP-0004', { patient_id: 'lab-p2', encounter_id: enc('lab-p2') }))
  assert.equal(again.status, 409)
  assert.equal(again.body.error, 'NEVA_CORE_LAB_SPECIMEN_IN_USE')
  assert.equal((await clinician.json(`/v1/lab/orders/${first.body.order_id}/state`, { method: 'POST', body: { state: 'cancelled' } })).status, 200)
  assert.equal((await his(`/v1/lab/orders/${first.body.order_id}/state`, { state: 'collected' })).body.error, 'NEVA_CORE_LAB_TRANSITION')
  assert.equal((await his('/v1/lab/orders', order('SP-0004'))).status, 201)
})

test('attacks: a nurse cannot order, a clinician of another site cannot order or read, a clinician cannot order as someone else', async () => {
  const byNurse = await nurse.json('/v1/lab/orders', { method: 'POST', body: order('SP-0100') })
  assert.equal(byNurse.status, 403)
  const far = await elsewhere.json('/v1/lab/orders', { method: 'POST', body: order('SP-0101') })
  assert.equal(far.status, 403)
  assert.equal(far.body.error, 'NEVA_CORE_NOT_GRANTED')
  const mine = await his('/v1/lab/orders', order('SP-0102'))
  assert.equal((await elsewhere.json(`/v1/lab/orders/${mine.body.order_id}`)).status, 403)
  assert.equal((await elsewhere.json(`/v1/lab/orders?patient_id=lab-p1`)).status, 403)
  assert.equal((await elsewhere.json(`/v1/lab/orders/${mine.body.order_id}/state`, { method: 'POST', body: { state: 'cancelled' } })).status, 403)
  const impostor = await clinician.json('/v1/lab/orders', { method: 'POST', body: order('SP-0103', { ordered_by: 'dr-house' }) })
  assert.equal(impostor.body.error, 'NEVA_CORE_LAB_ORDERED_BY')
  assert.equal((await withToken('not-a-token')('/v1/lab/orders', order('SP-0104'))).status, 401)
  assert.equal((await withToken('gw-lab-token')('/v1/lab/orders', order('SP-0105'))).status, 401, 'a gateway token does not place orders')
})

test('attacks: malformed input is refused with what was wrong, and nothing is stored', async () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['specimen with an ASTM delimiter', order('SP|0200')],
    ['specimen with a caret', order('SP^0201')],
    ['specimen with a quote', order("SP'0202")],
    ['empty specimen', order('')],
    ['LOINC pattern', order('SP-0203', { tests: [{ loinc: '2345', lab_code: 'GLU' }] })],
    ['lab code with a delimiter', order('SP-0204', { tests: [{ loinc: '2345-7', lab_code: 'GLU^X' }] })],
    ['priority', order('SP-0205', { priority: 'asap' })],
    ['no tests', order('SP-0206', { tests: [] })],
    ['unknown field', order('SP-0207', { sql: '1; DROP TABLE lab_order_events' })],
    ['patient id', order('SP-0208', { patient_id: 'p 1; --' })],
    ['diagnosis code', order('SP-0209', { diagnosis: { code: 'not icd' } })],
  ]
  for (const [what, body] of bad) {
    const res = await his('/v1/lab/orders', body)
    assert.equal(res.status, 400, what)
    assert.ok(String(res.body.message).length > 0, what)
  }
  const checkDigit = await his('/v1/lab/orders', order('SP-0210', { tests: [{ loinc: '2345-8', lab_code: 'GLU' }] }))
  assert.equal(checkDigit.body.error, 'NEVA_CORE_LAB_BAD_LOINC')
  const twice = await his('/v1/lab/orders', order('SP-0211', { tests: [GLU, GLU] }))
  assert.equal(twice.body.error, 'NEVA_CORE_LAB_DUPLICATE_TEST')
  const wrongEncounter = await his('/v1/lab/orders', order('SP-0212', { encounter_id: enc('lab-p2') }))
  assert.equal(wrongEncounter.body.error, 'NEVA_CORE_ENCOUNTER_NOT_FOUND')
  const stored = await core.clickhouse.client.query({ query: "SELECT count() AS n FROM lab_order_events WHERE specimen_id LIKE 'SP-02%' OR specimen_id LIKE 'SP|%'", format: 'JSONEachRow' })
  assert.equal(Number((await stored.json<{ n: string }>())[0]!.n), 0)
  assert.equal((await his('/v1/lab/orders/no-such-order')).body.error, 'NEVA_CORE_LAB_ORDER_NOT_FOUND')
})

test('the worklist: the pending orders of the gateway\'s own sites, none of another site\'s; an unbound gateway is refused', async () => {
  const far = await his('/v1/lab/orders', { ...order('SP-FAR-1'), patient_id: 'lab-far', encounter_id: enc('lab-far') })
  assert.equal(far.status, 201)
  const list = await gwLab('/v1/lab/worklist')
  assert.equal(list.status, 200)
  const specimens = (list.body.orders as Array<{ specimen_id: string; state: string }>).map((o) => o.specimen_id)
  assert.ok(specimens.includes('SP-0001'))
  assert.ok(!specimens.includes('SP-0003'), 'a verified order is not pending')
  assert.ok(!specimens.includes('SP-FAR-1'), 'another site\'s order is not served')
  const other = await withToken('gw-other-token')('/v1/lab/worklist')
  assert.deepEqual((other.body.orders as Array<{ specimen_id: string }>).map((o) => o.specimen_id), ['SP-FAR-1'])
  const unbound = await withToken('gw-none-token')('/v1/lab/worklist')
  assert.equal(unbound.status, 403)
  assert.equal(unbound.body.error, 'NEVA_CORE_LAB_NO_SITE')
  assert.equal((await his('/v1/lab/worklist')).status, 401, 'a hospital system token is not a gateway')
})

let seq = 100
const labResult = (specimen: string | null, test_code: string, loinc: string | null, value: number, unit = 'mmol/L') => ({
  gateway_id: 'gw-lab', seq: ++seq, device_id: 'analyzer-1', source: 'astm' as const, order_id: specimen, patient_id: null, test_code, loinc,
  value: String(value), numeric_value: value, unit, reference_range: '', abnormal_flag: null, status: 'F', result_time: Date.now() - 1000, received_time: Date.now(), comments: [],
})
const ingestResults = async (results: ReturnType<typeof labResult>[]) => {
  const res = await gwLab('/v1/ingest', { gateway_id: 'gw-lab', batch_id: `lab-${seq}`, sent_time: Date.now(), observations: [], triage: [], rejected: [], lab_results: results })
  assert.equal(res.status, 200, JSON.stringify(res.body))
}
const count = async (query: string) => Number((await (await core.clickhouse.client.query({ query, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n)

test('results find their orders by specimen and test; the order advances; unmatched and cancelled kept and listed; a critical value alarms the ward', async () => {
  const full = await his('/v1/lab/orders', order('SP-R1'))
  const gone = await his('/v1/lab/orders', order('SP-R2', { tests: [GLU] }))
  await his(`/v1/lab/orders/${gone.body.order_id}/state`, { state: 'cancelled' })
  await ingestResults([
    labResult('SP-R1', 'GLU', '2345-7', 5.1),
    labResult('SP-R1', 'K', '2823-3', 7.2),
    labResult('SP-R2', 'GLU', '2345-7', 4.4),
    labResult('SP-NONE', 'GLU', '2345-7', 6.0),
    labResult(null, 'QC', null, 1),
    labResult('SP-R1', 'NA', '2951-2', 140),
  ])
  const pass = await core.labMatcher.run()
  assert.deepEqual(pass, { examined: 6, matched: 2, unmatched: 3, cancelled: 1, critical: 1 })
  const after = await his(`/v1/lab/orders/${full.body.order_id}`)
  assert.equal(after.body.state, 'resulted')
  // Both results in one pass: the batched matcher advances the order once, straight to resulted
  // (an in_analysis row a millisecond before it would say nothing).
  assert.deepEqual((after.body.history as Array<{ state: string }>).map((h) => h.state), ['ordered', 'resulted'])
  assert.equal(after.body.history.at(-1).by, 'gateway:gw-lab')

  const listed = await his('/v1/lab/results/unmatched')
  const outcome = new Map((listed.body.results as Array<{ specimen_id: string; test_code: string; outcome: string; order_id: string }>).map((r) => [`${r.specimen_id}/${r.test_code}`, r]))
  assert.equal(outcome.get('SP-R2/GLU')?.outcome, 'cancelled_order')
  assert.equal(outcome.get('SP-R2/GLU')?.order_id, gone.body.order_id)
  assert.equal(outcome.get('SP-NONE/GLU')?.outcome, 'unmatched')
  assert.equal(outcome.get('/QC')?.outcome, 'unmatched')
  assert.equal(outcome.get('SP-R1/NA')?.outcome, 'unmatched', 'a test the order does not list is not attached to it')
  assert.ok(!outcome.has('SP-R1/GLU'))

  const alarms = await (await core.clickhouse.client.query({ query: "SELECT patient_id, ward, facility, priority, value, limit_high FROM alarms WHERE event_name = 'lab_critical_value'", format: 'JSONEachRow' })).json()
  assert.deepEqual(alarms, [{ patient_id: 'lab-p1', ward: 'ICU', facility: TEST_SITE, priority: 'high', value: 7.2, limit_high: 6.5 }])
  assert.equal(await count("SELECT count() AS n FROM lab_results WHERE gateway_id = 'gw-lab'"), 6, 'every result kept as sent')
  // A second pass finds nothing new: the unmatched are tried again but not written again.
  const again = await core.labMatcher.run()
  assert.equal(again.matched + again.cancelled + again.critical, 0)
  assert.equal(await count('SELECT count() AS n FROM lab_result_matches'), 6)
})

test('a result that arrives before its order is claimed by the order once placed', async () => {
  await ingestResults([labResult('SP-LATE', 'K', '2823-3', 4.0)])
  assert.equal((await core.labMatcher.run()).unmatched >= 1, true)
  const late = await his('/v1/lab/orders', order('SP-LATE'))
  const pass = await core.labMatcher.run()
  assert.equal(pass.matched, 1)
  const now = await his(`/v1/lab/orders/${late.body.order_id}`)
  assert.equal(now.body.state, 'in_analysis', 'one of its two tests has a result')
  const listed = await his('/v1/lab/results/unmatched')
  assert.ok(!(listed.body.results as Array<{ specimen_id: string }>).some((r) => r.specimen_id === 'SP-LATE'))
})

test('attacks on results: a nurse cannot list unmatched results; a gateway cannot send results for another gateway', async () => {
  assert.equal((await nurse.json('/v1/lab/results/unmatched')).status, 403)
  const forged = await gwLab('/v1/ingest', { gateway_id: 'gw-lab', batch_id: 'forged-1', sent_time: Date.now(), observations: [], triage: [], rejected: [], lab_results: [{ ...labResult('SP-R1', 'GLU', '2345-7', 1), gateway_id: 'gw-other' }] })
  assert.equal(forged.status, 403)
})

test('a lab\'s own critical limit (a row of lab_critical_limits) wins over the default', async () => {
  await core.clickhouse.client.insert({ table: 'lab_critical_limits', values: [{ loinc: '2951-2', unit: 'mmol/L', low: 125, high: 145, source: 'test lab', updated_time: (Date.now() / 1000).toFixed(3) }], format: 'JSONEachRow' })
  await his('/v1/lab/orders', order('SP-NA', { tests: [{ loinc: '2951-2', lab_code: 'NA' }] }))
  await ingestResults([labResult('SP-NA', 'NA', '2951-2', 150)])
  const pass = await core.labMatcher.run()
  assert.equal(pass.critical, 1, '150 mmol/L: critical by the lab\'s 145, not by the default 160')
})
