// The boards' live stream and orders through a real core on embedded ClickHouse: snapshot then
// deltas, only what the user may see, refusals at every door, slow clients dropped.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Alarm, EmrEvent, IngestBatch, Observation, Transport, WaveformChunk } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { audited, sse, testAccess } from './board-fixtures.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-live-')) },
  gateways: { gw: hashToken('gw-token') }, gatewaySites: { gw: ['city-1', 'city-2'] }, emrSystems: { his: hashToken('his-token') }, logLevel: 'silent', bodyLimit: 64 * 1024 * 1024,
}, { boardAccess: testAccess, live: { heartbeatMs: 300, maxStreamsPerUser: 2, maxBufferedBytes: 256 * 1024 } })
after(() => core.close())

const now = Date.now()
let seq = 1
let batchNo = 1
const obs = (patient_id: string, value: number): Observation => ({ gateway_id: 'gw', seq: seq++, device_id: 'mon', patient_id, source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value, unit: '/min', device_time: Date.now(), received_time: Date.now(), flags: [] })
const ingest = async (part: Partial<IngestBatch>) => {
  const res = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer gw-token' }, body: JSON.stringify({ gateway_id: 'gw', batch_id: `b${batchNo++}`, sent_time: Date.now(), observations: [], triage: [], rejected: [], ...part }) })
  assert.equal(res.status, 200, await res.text())
}
const as = (user: string | null, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as object), ...(user ? { 'x-test-user': user } : {}), 'content-type': 'application/json' } })
const open = async (user: string, board: string) => {
  const controller = new AbortController()
  const res = await fetch(`${core.url}/v1/live?board=${board}`, { ...as(user), signal: controller.signal })
  return { res, events: res.body ? sse(res.body) : null, close: () => controller.abort() }
}
async function until<T>(events: AsyncGenerator<{ event: string; data: any }>, match: (e: { event: string; data: any }) => T | undefined, ms = 5000): Promise<T> {
  // next(), not for-await: leaving a for-await loop would close the stream for the next call.
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const r = await events.next()
    if (r.done) break
    const found = match(r.value)
    if (found !== undefined) return found
  }
  throw new Error('event not seen')
}

const enc = (id: string, patient: string, ward: string): EmrEvent => ({ type: 'encounter', encounter_id: id, patient_id: patient, kind: 'icu_stay', site: 'city-1', ward, bed: `bed-${id}`, start_time: now - 60_000, end_time: null, updated_time: now - 60_000 })
const emr = await fetch(`${core.url}/v1/emr/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer his-token' }, body: JSON.stringify({ events: [enc('e-a', 'p-a', 'icu-a'), enc('e-b', 'p-b', 'icu-b')] }) })
assert.equal(emr.status, 200)
await ingest({ observations: [obs('p-a', 70), obs('p-b', 71)] })

test('ICU: the snapshot and the deltas hold only the wards granted; the views are audited; heartbeats flow', async () => {
  const a = await open('nurse-icu-a', 'icu')
  assert.equal(a.res.status, 200)
  assert.match(a.res.headers.get('content-type')!, /^text\/event-stream/)
  const snapshot = await until(a.events!, (e) => (e.event === 'snapshot' ? e.data : undefined))
  assert.deepEqual(snapshot.encounters.map((e: { patient_id: string; bed: string }) => [e.patient_id, e.bed]), [['p-a', 'bed-e-a']])
  assert.equal(snapshot.cards[0].vitals.heart_rate.value, 70)
  assert.ok(audited.some((v) => v.user === 'nurse-icu-a' && v.patient_id === 'p-a' && v.what === 'board:icu'))
  assert.ok(!audited.some((v) => v.user === 'nurse-icu-a' && v.patient_id === 'p-b'))
  await ingest({ observations: [obs('p-b', 120), obs('p-a', 99)] })
  // p-b's reading comes first in the batch: were it leaked, it would be the first seen.
  const seen = await until(a.events!, (e) => (e.event === 'vitals' ? e.data : undefined))
  assert.deepEqual([seen.patient_id, seen.readings[0].value], ['p-a', 99])
  assert.equal(await until(a.events!, (e) => (e.event === 'heartbeat' ? 'beat' : e.event === 'vitals' ? 'leak' : undefined)), 'beat')
  a.close()
})

test('refused: no user 401, a role without the boards 403, an unknown board 400, a third stream 429; pages and snapshots alike', async () => {
  assert.equal((await open('nobody', 'icu')).res.status, 401)
  assert.equal((await fetch(`${core.url}/v1/live?board=icu`)).status, 401)
  assert.equal((await open('analyst', 'icu')).res.status, 403)
  const bad = await open('nurse-icu-a', 'lab')
  assert.equal(bad.res.status, 400)
  assert.equal(((await bad.res.json()) as { error: string }).error, 'NEVA_CORE_BAD_BOARD')
  const one = await open('nurse-icu-b', 'icu')
  const two = await open('nurse-icu-b', 'triage')
  const three = await open('nurse-icu-b', 'ed')
  assert.equal(three.res.status, 429)
  assert.equal(((await three.res.json()) as { error: string }).error, 'NEVA_CORE_TOO_MANY_STREAMS')
  one.close()
  two.close()
  assert.equal((await fetch(`${core.url}/boards/icu`, as('analyst'))).status, 403)
  assert.equal((await fetch(`${core.url}/boards/icu`)).status, 401)
  const b = (await (await fetch(`${core.url}/v1/boards/icu`, as('nurse-icu-b'))).json()) as { encounters: Array<{ patient_id: string }> }
  assert.deepEqual(b.encounters.map((e) => e.patient_id), ['p-b'])
  const page = await fetch(`${core.url}/boards/icu`, as('nurse-icu-b'))
  assert.equal(page.status, 200)
  assert.match(await page.text(), /<script type="module" src="\/boards\/assets\/boards.js">/)
  assert.equal((await fetch(`${core.url}/boards/assets/uPlot.esm.js`)).status, 200)
  assert.equal((await fetch(`${core.url}/boards/assets/..%2Fpackage.json`)).status, 404)
})

test('orders: clinicians place them on their wards only; nurses move them along, live; a final order stays final', async () => {
  const post = (user: string, url: string, body: unknown) => fetch(`${core.url}${url}`, as(user, { method: 'POST', body: JSON.stringify(body) }))
  assert.equal((await post('nurse-icu-a', '/v1/orders', { patient_id: 'p-a', encounter_id: 'e-a', text: 'Chest X-ray' })).status, 403)
  const other = await post('dr-icu-a', '/v1/orders', { patient_id: 'p-b', encounter_id: 'e-b', text: 'Chest X-ray' })
  assert.equal(other.status, 403)
  assert.equal(((await other.json()) as { error: string }).error, 'NEVA_CORE_NOT_GRANTED')
  assert.equal((await post('dr-icu-a', '/v1/orders', { patient_id: 'p-a', encounter_id: 'e-b', text: 'x' })).status, 404)
  const placed = await post('dr-icu-a', '/v1/orders', { patient_id: 'p-a', encounter_id: 'e-a', text: 'Noradrenaline 0.1 µg/kg/min' })
  assert.equal(placed.status, 201)
  const order = (await placed.json()) as { order_id: string; status: string }
  assert.equal(order.status, 'placed')
  const watcher = await open('dr-icu-a', 'icu')
  const snap = await until(watcher.events!, (e) => (e.event === 'snapshot' ? e.data : undefined))
  assert.deepEqual(snap.orders.map((o: { order_id: string }) => o.order_id), [order.order_id])
  assert.equal((await post('nurse-icu-b', `/v1/orders/${order.order_id}/status`, { status: 'in_progress' })).status, 403)
  assert.equal((await post('nurse-icu-a', `/v1/orders/${order.order_id}/status`, { status: 'in_progress' })).status, 200)
  const live = await until(watcher.events!, (e) => (e.event === 'order' ? e.data.order : undefined))
  assert.deepEqual([live.order_id, live.status, live.updated_by], [order.order_id, 'in_progress', 'nurse-icu-a'])
  assert.equal((await post('nurse-icu-a', `/v1/orders/${order.order_id}/status`, { status: 'done' })).status, 200)
  const again = await post('nurse-icu-a', `/v1/orders/${order.order_id}/status`, { status: 'in_progress' })
  assert.equal(again.status, 409)
  assert.equal(((await again.json()) as { error: string }).error, 'NEVA_CORE_ORDER_TRANSITION')
  assert.equal((await post('nurse-icu-a', '/v1/orders/nope/status', { status: 'done' })).status, 404)
  watcher.close()
})

test('ED: transports to the sites granted, with ETA; a slow client is dropped, not buffered', async () => {
  const transport = (state: Transport['state'], eta: number | null, site = 'city-1'): Transport => ({ gateway_id: 'gw', seq: seq++, unit: 'amb-7', patient_id: 'p-amb', destination_site: site, state, eta, updated_time: Date.now(), received_time: Date.now() })
  const ed = await open('dr-ed-1', 'ed')
  const elsewhere = await open('dr-ed-2', 'ed')
  const empty = await until(ed.events!, (e) => (e.event === 'snapshot' ? e.data : undefined))
  assert.deepEqual(empty.transports, [])
  await ingest({ transports: [transport('en_route', now + 600_000)], observations: [obs('p-amb', 130)] })
  const t = await until(ed.events!, (e) => (e.event === 'transport' ? e.data.transport : undefined))
  assert.deepEqual([t.unit, t.state, t.eta], ['amb-7', 'en_route', now + 600_000])
  assert.equal(await until(ed.events!, (e) => (e.event === 'vitals' ? e.data.readings[0].value : undefined)), 130)
  assert.deepEqual((await until(elsewhere.events!, (e) => (e.event === 'snapshot' ? e.data : undefined))).transports, [])
  const other = (await (await fetch(`${core.url}/v1/boards/ed`, as('dr-ed-2'))).json()) as { transports: unknown[] }
  assert.deepEqual(other.transports, [])
  elsewhere.close()

  // A client that never reads: its buffer grows past the limit and the core drops it.
  const slow = await fetch(`${core.url}/v1/live?board=ed`, as('dr-ed-1'))
  assert.equal(slow.status, 200)
  const before = core.liveStats.dropped
  const samples = Array.from({ length: 10_000 }, (_, i) => (i * 37) % 2000 - 1000)
  const chunk = (): WaveformChunk => ({ gateway_id: 'gw', seq: seq++, device_id: 'tab', patient_id: 'p-amb', lead: 'II', mdc_code: 131330, start_time: Date.now(), sample_rate_hz: 1000, resolution_uv: 2.5, samples, received_time: Date.now() })
  // The reader that keeps up reads all along (left unread, it too would pass the bound): it ends
  // on the first ECG after the flood, or says it was dropped.
  let flooded = false
  const keptUp = (async () => {
    for await (const e of ed.events!) {
      if (e.event === 'failure') return `dropped: ${JSON.stringify(e.data)}`
      if (flooded && e.event === 'ecg') return e.data.patient_id as string
    }
    return 'ended'
  })()
  for (let i = 0; i < 60 && core.liveStats.dropped === before; i++) {
    const w = chunk()
    await ingest({ waveforms: [w, { ...w, seq: seq++, lead: 'V1' }, { ...w, seq: seq++, lead: 'V2' }, { ...w, seq: seq++, lead: 'V3' }] })
  }
  flooded = true
  await ingest({ waveforms: [chunk()] })
  assert.equal(await keptUp, 'p-amb')
  assert.equal(core.liveStats.dropped, before + 1)
  ed.close()
  await slow.body?.cancel().catch(() => {})
})

test('ICU alarms: live with priority, in the snapshot; acknowledged by a nurse granted the bed, the ack live for the ward; refusals', async () => {
  const alarm = (id: string, patient: string, state: Alarm['state'] = 'active'): Alarm => ({
    gateway_id: 'gw', seq: seq++, alarm_id: `mon/${id}`, device_id: 'mon', source: 'hl7v2', patient_id: patient, ward: 'icu-a', room: null, bed: '1', facility: 'city-1',
    event_code: 196648, event_name: 'MDC_EVT_HI', event_text: 'HR high', source_code: 147842, source_name: 'MDC_ECG_HEART_RATE', alert_type: 'physiological', priority: 'high',
    state, phase: state === 'active' ? 'start' : 'end', alarm_state: 'active', inactivation_state: null, value: 150, unit: '/min', limit_low: 50, limit_high: 120, device_time: Date.now(), received_time: Date.now(),
  })
  const nurse = await open('nurse-icu-a', 'icu')
  const doctor = await open('dr-icu-a', 'icu')
  const otherWard = await open('nurse-icu-b', 'icu')
  for (const s of [nurse, doctor, otherWard]) await until(s.events!, (e) => (e.event === 'snapshot' ? e.data : undefined))
  // p-b's alarm first: were it leaked to icu-a, it would be the first seen there.
  await ingest({ alarms: [{ ...alarm('b1', 'p-b'), ward: 'icu-b' }, alarm('a1', 'p-a')] })
  const seen = await until(nurse.events!, (e) => (e.event === 'alarm' ? e.data : undefined))
  assert.deepEqual([seen.patient_id, seen.alarm.alarm_id, seen.alarm.priority, seen.alarm.ack], ['p-a', 'mon/a1', 'high', null])
  assert.equal((await until(otherWard.events!, (e) => (e.event === 'alarm' ? e.data : undefined))).alarm.alarm_id, 'mon/b1')

  const later = (await (await fetch(`${core.url}/v1/boards/icu`, as('nurse-icu-a'))).json()) as { alarms: Array<{ alarm_id: string; patient_id: string }> }
  assert.deepEqual(later.alarms.map((a) => [a.patient_id, a.alarm_id]), [['p-a', 'mon/a1']])

  const ack = (user: string, id: string, body: unknown = {}) => fetch(`${core.url}/v1/alarms/${encodeURIComponent(id)}/ack`, as(user, { method: 'POST', body: JSON.stringify(body) }))
  const foreign = await ack('nurse-icu-b', 'mon/a1')
  assert.equal(foreign.status, 403)
  assert.equal(((await foreign.json()) as { error: string }).error, 'NEVA_CORE_NOT_GRANTED')
  const unknown = await ack('nurse-icu-a', 'mon/nope')
  assert.equal(unknown.status, 404)
  assert.equal(((await unknown.json()) as { error: string }).error, 'NEVA_CORE_ALARM_NOT_FOUND')
  assert.equal((await ack('analyst', 'mon/a1')).status, 403)
  assert.equal((await ack('nobody', 'mon/a1')).status, 401)
  assert.equal((await ack('nurse-icu-a', 'mon/a1', { note: 'x'.repeat(2000) })).status, 400)

  const done = await ack('nurse-icu-a', 'mon/a1', { note: 'lead reattached' })
  assert.equal(done.status, 200, await done.clone().text())
  assert.deepEqual(((await done.json()) as { created: boolean }).created, true)
  const live = await until(doctor.events!, (e) => (e.event === 'alarm_ack' ? e.data : undefined))
  assert.deepEqual([live.patient_id, live.ack.alarm_id, live.ack.user, live.ack.note], ['p-a', 'mon/a1', 'nurse-icu-a', 'lead reattached'])
  // The first acknowledgement stays: a second one answers it, not a new one.
  const twice = (await (await ack('dr-icu-a', 'mon/a1')).json()) as { created: boolean; ack: { user: string } }
  assert.deepEqual([twice.created, twice.ack.user], [false, 'nurse-icu-a'])
  assert.equal(await until(otherWard.events!, (e) => (e.event === 'alarm_ack' ? 'leak' : e.event === 'heartbeat' ? 'quiet' : undefined)), 'quiet')

  // Ended: the board hears the inactive update, and the snapshot no longer holds it.
  await ingest({ alarms: [alarm('a1', 'p-a', 'inactive')] })
  assert.equal(await until(nurse.events!, (e) => (e.event === 'alarm' ? e.data.alarm.state : undefined)), 'inactive')
  const after = (await (await fetch(`${core.url}/v1/boards/icu`, as('nurse-icu-a'))).json()) as { alarms: unknown[] }
  assert.deepEqual(after.alarms, [])
  for (const s of [nurse, doctor, otherWard]) s.close()
})

test('audit: a patient who first appears on an open board through a delta is audited once, not per delta', async () => {
  const watcher = await open('nurse-icu-a', 'icu')
  await until(watcher.events!, (e) => (e.event === 'snapshot' ? e.data : undefined))
  const emr = await fetch(`${core.url}/v1/emr/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer his-token' }, body: JSON.stringify({ events: [enc('e-c', 'p-c', 'icu-a')] }) })
  assert.equal(emr.status, 200)
  await until(watcher.events!, (e) => (e.event === 'encounter' && e.data.patient_id === 'p-c' ? true : undefined))
  await ingest({ observations: [obs('p-c', 88)] })
  await ingest({ observations: [obs('p-c', 89)] })
  await until(watcher.events!, (e) => (e.event === 'vitals' && e.data.readings[0].value === 89 ? true : undefined))
  assert.equal(audited.filter((v) => v.user === 'nurse-icu-a' && v.patient_id === 'p-c' && v.what === 'board:icu').length, 1)
  watcher.close()
})
