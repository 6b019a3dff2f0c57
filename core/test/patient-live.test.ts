// The patient page's stream (/v1/patients/:id/live) through a real core and real sessions: a
// `changed` event for this patient's records only, never another's; a patient outside the grants
// refused (and the refusal audited); the session checked on every event, so a logout ends the
// stream with NEVA_CORE_SESSION_ENDED.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Observation } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { sse } from './board-fixtures.js'
import { admit, userClient, TEST_SITE } from './people-helpers.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-patient-live-')) }, gateways: { 'gw-1': hashToken('t') },
}, { live: { heartbeatMs: 200 } })
after(() => core.close())
await admit(core, ['pl-1', 'pl-2'])
await admit(core, ['pl-other'], 'Cardiology')
core.live.load([{ board: 'icu', patient_id: 'pl-1', site: TEST_SITE, ward: 'ICU' }, { board: 'icu', patient_id: 'pl-2', site: TEST_SITE, ward: 'ICU' }])
const nurse = await userClient(core, { id: 'pl-nurse', name: 'Nurse', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })

let seq = 1
const reading = (patient_id: string): Observation => ({ gateway_id: 'gw-1', seq: seq++, device_id: 'mon', patient_id, source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: 90, unit: '/min', device_time: Date.now(), received_time: Date.now(), flags: [] })
async function ingest(batch_id: string, observations: Observation[]) {
  const res = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify({ gateway_id: 'gw-1', batch_id, sent_time: Date.now(), observations, triage: [], rejected: [] }) })
  assert.equal(res.status, 200, await res.text())
}
async function next(events: AsyncGenerator<{ event: string; data: any }>, skip = ['heartbeat']) {
  for (;;) {
    const r = await events.next()
    if (r.done) throw new Error('stream ended')
    if (!skip.includes(r.value.event)) return r.value
  }
}

test('changed events for this patient only; a logout ends the stream', { timeout: 60_000 }, async () => {
  const controller = new AbortController()
  const res = await nurse.fetch('/v1/patients/pl-1/live', { signal: controller.signal })
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
  const events = sse(res.body!)
  assert.equal((await next(events)).event, 'open')
  // Another patient's record first, then this one's: the first change seen is this one's.
  await ingest('b1', [reading('pl-2')])
  await ingest('b2', [reading('pl-1')])
  const changed = await next(events)
  assert.equal(changed.event, 'changed')
  assert.equal(changed.data.type, 'vitals')
  assert.deepEqual(Object.keys(changed.data).sort(), ['time', 'type'])
  assert.equal((await nurse.fetch('/logout', { method: 'POST' })).status, 200)
  const failure = await next(events)
  assert.deepEqual([failure.event, failure.data.error], ['failure', 'NEVA_CORE_SESSION_ENDED'])
  controller.abort()
})

test('a patient outside the grants is refused, and the refusal audited', async () => {
  const other = await userClient(core, { id: 'pl-nurse-2', name: 'Nurse 2', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })
  const res = await other.fetch('/v1/patients/pl-other/live')
  assert.equal(res.status, 403)
  await res.body?.cancel()
  const rs = await core.clickhouse.client.query({ query: `SELECT what FROM record_views WHERE patient_id = 'pl-other' AND user_id = 'pl-nurse-2'`, format: 'JSONEachRow' })
  assert.deepEqual((await rs.json<{ what: string }>()).map((r) => r.what), ['patient live refused'])
})
