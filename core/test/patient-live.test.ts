// The patient page's stream (/v1/patients/:id/live) through a real core and real sessions: a
// `changed` event for this patient's records only, never another's; a patient outside the grants
// refused (and the refusal audited); the session checked on every event, so a logout ends the
// stream with NEVA_CORE_SESSION_ENDED; a patient on no board heard all the same (readings, lab
// orders); a page that does not read dropped past the buffer bound with NEVA_CORE_STREAM_TOO_SLOW.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Observation } from '@neva/contracts'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { hashToken, startCore } from '@neva/core'
import { sse } from './board-fixtures.js'
import { admit, userClient, TEST_SITE } from './people-helpers.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-patient-live-')) }, gateways: { 'gw-1': hashToken('t') },
}, { live: { heartbeatMs: 200, maxBufferedBytes: 16 * 1024, closeGraceMs: 30_000 } })
after(() => core.close())
await admit(core, ['pl-1', 'pl-2'])
await admit(core, ['pl-other'], 'Cardiology')
// Admitted to a ward granted, but placed on no board (the bus knows only pl-1 and pl-2).
await admit(core, ['pl-free', 'pl-slow', 'pl-gone'])
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

test('a patient on no board: their page hears their readings and lab orders all the same', { timeout: 60_000 }, async () => {
  assert.deepEqual(core.live.placesOf('pl-free'), [])
  const own = await userClient(core, { id: 'pl-nurse-4', name: 'Nurse 4', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })
  const controller = new AbortController()
  const res = await own.fetch('/v1/patients/pl-free/live', { signal: controller.signal })
  assert.equal(res.status, 200)
  const events = sse(res.body!)
  assert.equal((await next(events)).event, 'open')
  await ingest('free-1', [reading('pl-2'), reading('pl-free')])
  const changed = await next(events)
  assert.deepEqual([changed.event, changed.data.type], ['changed', 'vitals'])
  core.live.publishLabOrder('pl-2')
  core.live.publishLabOrder('pl-free')
  const lab = await next(events)
  assert.deepEqual([lab.event, lab.data.type], ['changed', 'lab_order'])
  controller.abort()
})

test('the session is rechecked as data flows: a logout between changes ends the stream with its reason', { timeout: 60_000 }, async () => {
  const own = await userClient(core, { id: 'pl-nurse-3', name: 'Nurse 3', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })
  const controller = new AbortController()
  const res = await own.fetch('/v1/patients/pl-gone/live', { signal: controller.signal })
  const events = sse(res.body!)
  assert.equal((await next(events)).event, 'open')
  assert.equal((await own.fetch('/logout', { method: 'POST' })).status, 200)
  core.live.publishLabOrder('pl-gone')
  const failure = await next(events)
  assert.deepEqual([failure.event, failure.data.error], ['failure', 'NEVA_CORE_SESSION_ENDED'])
  // Closed: nothing more is written, and the page no longer watches.
  await assert.rejects(next(events), /stream ended/)
  assert.equal(core.live.watching('pl-gone'), 0)
  controller.abort()
})

test('a page that does not read is dropped past the buffer bound, with the reason as its last event', { timeout: 120_000 }, async () => {
  const url = new URL('/v1/patients/pl-slow/live', core.url)
  const own = await userClient(core, { id: 'pl-nurse-5', name: 'Nurse 5', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })
  const res = await new Promise<IncomingMessage>((resolve, reject) => httpRequest(url, { headers: { cookie: own.cookie } }, resolve).on('error', reject).end())
  assert.equal(res.statusCode, 200)
  res.pause()
  // Changes until the server gives up on the unread stream (kernel buffers first, then 16 KB of its own).
  let sent = 0
  while (core.live.watching('pl-slow') > 0 && sent < 2_000_000) {
    for (let i = 0; i < 1000; i++) core.live.publishLabOrder('pl-slow')
    sent += 1000
    await new Promise((r) => setImmediate(r))
  }
  assert.equal(core.live.watching('pl-slow'), 0, `still watching after ${sent} changes`)
  // Read it all now: the last event is the reason.
  res.resume()
  let text = ''
  res.setEncoding('utf8')
  for await (const chunk of res) text += chunk
  const frames = text.trim().split('\n\n')
  const last = frames[frames.length - 1]!
  assert.match(last, /^event: failure\ndata: .*"NEVA_CORE_STREAM_TOO_SLOW"/)
  assert.ok(frames.length < sent, `${frames.length} frames of ${sent} changes: the rest were never buffered`)
})
