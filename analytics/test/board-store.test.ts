// The boards' snapshot queries over the real embedded ClickHouse: latest state wins, missing stays
// missing, closed encounters and old transports leave the boards.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Order, Transport } from '@neva/contracts'
import { BoardStore, EmrStore, OrderStore, TelemetryStore, connectClickHouse, migrate } from '@neva/analytics'

const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-boards-')) })
await migrate(ch)
after(() => ch.close())
const boards = new BoardStore(ch)
const telemetry = new TelemetryStore(ch)
const now = Date.now()

const transport = (seq: number, patient: string, state: Transport['state'], eta: number | null, at: number): Transport =>
  ({ gateway_id: 'gw', seq, unit: 'amb-1', patient_id: patient, destination_site: 'city-1', state, eta, updated_time: at, received_time: at })

test('transports: the latest state per patient wins, a null ETA included; a late older message does not', async () => {
  const batch = (id: string, transports: Transport[]) => ({ gateway_id: 'gw', batch_id: id, sent_time: now, observations: [], triage: [], rejected: [], transports })
  await telemetry.storeBatch(batch('b1', [transport(1, 'p1', 'en_route', now + 600_000, now - 3000), transport(2, 'p2', 'en_route', now + 300_000, now - 3000)]))
  await telemetry.storeBatch(batch('b2', [transport(3, 'p1', 'en_route', null, now - 1000), transport(4, 'p2', 'cancelled', null, now - 1000)]))
  // Delivered late, sent earlier: must not bring p2 back.
  await telemetry.storeBatch(batch('b3', [transport(5, 'p2', 'en_route', now + 100_000, now - 2000)]))
  const rows = await boards.transports()
  assert.deepEqual(rows.map((t) => [t.patient_id, t.state, t.eta]), [['p1', 'en_route', null]])
  // Arrived: stays a while, but is no longer a place on the ED board.
  await telemetry.storeBatch(batch('b4', [transport(6, 'p1', 'arrived', null, now)]))
  assert.deepEqual((await boards.transports()).map((t) => t.state), ['arrived'])
  assert.deepEqual((await boards.places()).filter((p) => p.board === 'ed'), [])
})

test('cards: latest vitals, trends, triage; a vital never measured is absent, not 0', async () => {
  const o = { gateway_id: 'gw', device_id: 'm', patient_id: 'p1', source: 'mqtt' as const, mdc_code: 147842, loinc: '8867-4', name: 'heart_rate' as const, unit: '/min', flags: [] }
  const inputs = { respiratory_rate: null, spo2: null, on_oxygen: null, systolic_bp: null, pulse: null, consciousness: null, temperature: null }
  const subscores = { respiratory_rate: null, spo2: null, on_oxygen: null, systolic_bp: null, pulse: 1, consciousness: null, temperature: null }
  await telemetry.storeBatch({
    gateway_id: 'gw', batch_id: 'v1', sent_time: now,
    observations: [80, 95, 120].map((v, i) => ({ ...o, seq: 10 + i, value: v, device_time: now - 60_000 + i * 20_000, received_time: now })),
    triage: [{ gateway_id: 'gw', seq: 20, patient_id: 'p1', time: now - 20_000, level: 'yellow', news2: { score: 2, partial: true, subscores, missing: ['spo2'], level: 'green', spo2_scale: 1 }, model_version: 'triage-lr@1', model: { id: 'triage-lr', version: '1', level: 'yellow', probabilities: { green: 0.2, yellow: 0.7, red: 0.1 }, drivers: [] }, inputs }],
    rejected: [],
  })
  const [card, empty] = await boards.cards(['p1', 'nobody'])
  assert.equal(card!.vitals.heart_rate!.value, 120)
  assert.equal(card!.vitals.spo2, undefined)
  assert.ok(card!.trends.heart_rate!.length >= 2)
  const t = card!.triage!
  assert.deepEqual([t.level, t.news2_score, t.news2_partial, t.model_level], ['yellow', 2, true, 'yellow'])
  assert.deepEqual(empty, { patient_id: 'nobody', vitals: {}, trends: {}, triage: null })
})

test('ICU beds and ED arrivals: open encounters only, latest version, bed and ward kept', async () => {
  const emr = new EmrStore(ch)
  const enc = (id: string, kind: 'icu_stay' | 'ed_arrival', bed: string | null, end: number | null, at: number) =>
    ({ type: 'encounter' as const, encounter_id: id, patient_id: `p-${id}`, kind, site: 'city-1', ward: kind === 'icu_stay' ? 'icu-a' : null, bed, start_time: now - 3_600_000, end_time: end, updated_time: at })
  await emr.store([enc('e1', 'icu_stay', 'bed-1', null, now - 5000), enc('e2', 'icu_stay', 'bed-2', null, now - 5000), enc('e3', 'ed_arrival', null, null, now - 5000)], 'his')
  await emr.store([enc('e2', 'icu_stay', 'bed-2', now, now)], 'his')
  const beds = await boards.openEncounters('icu_stay')
  assert.deepEqual(beds.map((b) => [b.encounter_id, b.ward, b.bed]), [['e1', 'icu-a', 'bed-1']])
  const arrivals = await boards.openEncounters('ed_arrival')
  assert.deepEqual(arrivals.map((b) => [b.encounter_id, b.ward, b.bed]), [['e3', null, null]])
  const places = await boards.places()
  assert.deepEqual(places.filter((p) => p.board !== 'ed').map((p) => [p.board, p.patient_id, p.ward]), [['icu', 'p-e1', 'icu-a'], ['triage', 'p-e3', null]])
})

test('ECG: the last 10 s per patient, chunks in time order', async () => {
  const w = (seq: number, start: number, lead: 'II' | 'V1') => ({ gateway_id: 'gw', seq, device_id: 't', patient_id: 'p1', lead, mdc_code: 131330, start_time: start, sample_rate_hz: 500, resolution_uv: 2.5, samples: [seq, -seq], received_time: now })
  await telemetry.storeBatch({ gateway_id: 'gw', batch_id: 'w1', sent_time: now, observations: [], triage: [], rejected: [], waveforms: [0, 1, 2, 3, 11, 12].flatMap((s, i) => [w(100 + 2 * i, now - 12_000 + s * 1000, 'II'), w(101 + 2 * i, now - 12_000 + s * 1000, 'V1')]) })
  const ecg = await boards.ecg(['p1'])
  const starts = ecg.p1!.filter((t) => t.lead === 'II').map((t) => t.start_time - (now - 12_000))
  assert.deepEqual(starts, [3000, 11_000, 12_000])
})

test('orders: each change a row, read back as the latest', async () => {
  const store = new OrderStore(ch)
  const order: Order = { order_id: 'o1', patient_id: 'p-e1', encounter_id: 'e1', ordered_by: 'dr-1', code: '', text: 'Noradrenaline 0.1 µg/kg/min', status: 'placed', updated_by: 'dr-1', placed_time: now, updated_time: now }
  await store.put(order)
  await store.put({ ...order, status: 'in_progress', updated_by: 'nurse-1', updated_time: now + 10 })
  assert.deepEqual(await store.get('o1'), { ...order, status: 'in_progress', updated_by: 'nurse-1', updated_time: now + 10 })
  assert.equal(await store.get('o2'), null)
  assert.deepEqual((await store.forPatients(['p-e1'])).map((o) => o.status), ['in_progress'])
})
