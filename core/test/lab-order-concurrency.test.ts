// Two changes of one lab order at once, through the real core on embedded ClickHouse: each is
// judged against the state the other left (serialized per order), so a pair that cannot both
// happen (resulted and cancelled; collected twice) ends with exactly one accepted and a history
// that follows the state machine. A writer the core cannot serialize (another core) is caught by
// the conditional write: a change judged on a stale read is not stored.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LabOrderStore } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { labTransitionAllowed, type LabOrder } from '@neva/contracts'
import { admit, TEST_SITE } from './people-helpers.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-lab-race-')) }, logLevel: 'silent', bodyLimit: 1024 * 1024,
  gateways: { 'gw-1': hashToken('gw-token') }, emrSystems: { his: hashToken('his-token') },
}, { labMatchEveryMs: 0 })
after(() => core.close())

const START = Date.now() - 3600_000
await admit(core, ['race-p1'], 'ICU', TEST_SITE, START)
const call = async (path: string, body?: unknown) => {
  const res = await fetch(`${core.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: 'Bearer his-token', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as any }
}
let n = 0
const place = async (): Promise<string> => {
  const r = await call('/v1/lab/orders', { patient_id: 'race-p1', encounter_id: `enc-race-p1-ICU-${START}`, specimen_id: `RACE-${++n}`, tests: [{ loinc: '2345-7', lab_code: 'GLU' }], priority: 'stat' })
  assert.equal(r.status, 201, JSON.stringify(r.body))
  return r.body.order_id
}
const historyOk = (order: LabOrder) => {
  for (let i = 1; i < order.history.length; i++) {
    assert.ok(labTransitionAllowed(order.history[i - 1]!.state, order.history[i]!.state), `${order.history[i - 1]!.state} → ${order.history[i]!.state}`)
    assert.ok(order.history[i]!.time > order.history[i - 1]!.time)
  }
}

for (const [a, b] of [['resulted', 'cancelled'], ['collected', 'collected'], ['verified', 'cancelled']] as const) {
  test(`${a} and ${b} sent at once: one accepted, the other judged on the first and refused; the history follows the state machine`, async () => {
    for (let round = 0; round < 3; round++) {
      const id = await place()
      if (a === 'verified') assert.equal((await call(`/v1/lab/orders/${id}/state`, { state: 'resulted' })).status, 200)
      const results = await Promise.all([call(`/v1/lab/orders/${id}/state`, { state: a }), call(`/v1/lab/orders/${id}/state`, { state: b })])
      const statuses = results.map((r) => r.status).sort()
      assert.deepEqual(statuses, [200, 409], JSON.stringify(results.map((r) => r.body)))
      assert.equal(results.find((r) => r.status === 409)!.body.error, 'NEVA_CORE_LAB_TRANSITION')
      const order = (await call(`/v1/lab/orders/${id}`)).body as LabOrder
      assert.equal(order.history.length, a === 'verified' ? 3 : 2, JSON.stringify(order.history))
      historyOk(order)
    }
  })
}

test('a change judged on a stale read (another core wrote meanwhile) is not stored', async () => {
  const id = await place()
  const store = new LabOrderStore(core.clickhouse)
  const read = (await store.get(id))!
  const moved = await call(`/v1/lab/orders/${id}/state`, { state: 'collected' })
  assert.equal(moved.status, 200)
  const time = Math.max(Date.now(), read.updated_time + 1)
  const stale: LabOrder = { ...read, state: 'cancelled', updated_time: time, history: [...read.history, { state: 'cancelled', by: 'system:other-core', time }] }
  assert.equal(await store.recordIfUnchanged(stale, read), false)
  const now = (await store.get(id))!
  assert.deepEqual(now.history.map((h) => h.state), ['ordered', 'collected'])
  // Judged on what it is now, the same change is stored.
  const fresh: LabOrder = { ...now, state: 'cancelled', updated_time: now.updated_time + 1, history: [...now.history, { state: 'cancelled', by: 'system:other-core', time: now.updated_time + 1 }] }
  assert.equal(await store.recordIfUnchanged(fresh, now), true)
  assert.equal((await store.get(id))!.state, 'cancelled')
})
