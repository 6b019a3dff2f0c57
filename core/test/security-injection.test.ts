// Security suite for the alarm-id SQL injection (docs/security/injection.md), through a real core
// on embedded ClickHouse and the real client: hostile ids in every contract are refused at the
// door; an id that got stored anyway (a row from before the fix) is acknowledged harmlessly; the
// canary table `t` never exists. The board findings as attacks: a flood of old-dated alarms does
// not hide a real one; a transport from gateway A cannot put a patient of site B on an ED board,
// nor pull in the history of a patient it never sent readings for. The full path over a real
// gateway (HL7 over MLLP, MQTT) is e2e/test/security-injection.test.ts.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Alarm, EmrEvent, IngestBatch, LabResult, Observation, Transport, TriageResult, WaveformChunk } from '@neva/contracts'
import { AlarmStore, BoardStore, alarmRow } from '@neva/analytics'
import { coreConfigFromEnv, hashToken, parseGatewaySites, startCore } from '@neva/core'
import { sse, testAccess } from './board-fixtures.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-injection-')) },
  gateways: { 'gw-a': hashToken('tok-a'), 'gw-icu-b': hashToken('tok-icu-b'), 'gw-open': hashToken('tok-open') },
  // gw-a is the ambulance network of city-1; gw-icu-b the ICU monitors of city-2; gw-open is bound nowhere.
  gatewaySites: { 'gw-a': ['city-1'], 'gw-icu-b': ['city-2'] },
  metricsTokens: { prometheus: hashToken('metrics-token') },
  emrSystems: { his: hashToken('his-token') }, logLevel: 'silent', bodyLimit: 64 * 1024 * 1024,
}, { boardAccess: testAccess, live: { heartbeatMs: 300 } })
after(() => core.close())

const CANARY = 'CREATE TABLE t (x UInt8) ENGINE=Log'
/** The finding's id, and its cousins: backslash-quote combinations, newline, ";", NUL, unicode quotes. */
export const HOSTILE = [
  `X\\';${CANARY};--`, `X\\'`, `\\'';${CANARY};--`, `X\\\\';${CANARY};--`, `X'\n;${CANARY};--`, `X\n${CANARY}`, `X;${CANARY}`,
  `X\0';${CANARY};--`, `X\u2019;${CANARY};--`, `X\uff07;${CANARY};--`, `X";${CANARY};--`, `X\`;${CANARY};--`, 'X\\',
]

const canaryExists = async () =>
  Number((await (await core.clickhouse.client.query({ query: "SELECT count() AS n FROM system.tables WHERE name = 't'", format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n) > 0

const now = Date.now()
let seq = 1
let batchNo = 1
const post = (path: string, token: string, body: unknown) => fetch(`${core.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) })
const batchOf = (gateway: string, part: Partial<IngestBatch>): IngestBatch => ({ gateway_id: gateway, batch_id: `b${batchNo++}`, sent_time: Date.now(), observations: [], triage: [], rejected: [], ...part })
const ingest = async (gateway: string, token: string, part: Partial<IngestBatch>) => {
  const res = await post('/v1/ingest', token, batchOf(gateway, part))
  assert.equal(res.status, 200, await res.clone().text())
  return (await res.json()) as Record<string, unknown>
}
const as = (user: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as object), 'x-test-user': user, 'content-type': 'application/json' } })
const rows = async <T = Record<string, unknown>>(query: string, params: Record<string, unknown> = {}) =>
  (await core.clickhouse.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>()

const obs = (gateway: string, patient: string, value: number, time = Date.now()): Observation => ({ gateway_id: gateway, seq: seq++, device_id: 'mon', patient_id: patient, source: 'hl7v2', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value, unit: '/min', device_time: time, received_time: time, flags: [] })
const alarm = (gateway: string, id: string, patient: string | null, extra: Partial<Alarm> = {}): Alarm => ({
  gateway_id: gateway, seq: seq++, alarm_id: `mon-1/${id}^MON-1`, device_id: 'mon-1', source: 'hl7v2', patient_id: patient, ward: 'icu-a', room: null, bed: '1', facility: 'city-1',
  event_code: 196648, event_name: 'MDC_EVT_HI', event_text: 'HR high', source_code: 147842, source_name: 'MDC_ECG_HEART_RATE', alert_type: 'physiological', priority: 'high',
  state: 'active', phase: 'start', alarm_state: 'active', inactivation_state: null, value: 150, unit: '/min', limit_low: 50, limit_high: 120, device_time: Date.now(), received_time: Date.now(), ...extra,
})
const lab = (gateway: string): LabResult => ({ gateway_id: gateway, seq: seq++, device_id: 'ana-1', source: 'astm', order_id: 'T20 10134GA D28', patient_id: 'PIDSID13', test_code: 'LYM#', loinc: null, value: '5', numeric_value: 5, unit: '%', reference_range: '', abnormal_flag: null, status: 'F', result_time: null, received_time: now, comments: [] })
const transport = (gateway: string, patient: string, site: string, unit = 'amb-1'): Transport => ({ gateway_id: gateway, seq: seq++, unit, patient_id: patient, destination_site: site, state: 'en_route', eta: now + 600_000, updated_time: Date.now(), received_time: Date.now() })
const wave = (gateway: string, patient: string): WaveformChunk => ({ gateway_id: gateway, seq: seq++, device_id: 'mon', patient_id: patient, lead: 'II', mdc_code: 131330, start_time: Date.now(), sample_rate_hz: 250, resolution_uv: 2.5, samples: [1, 2, 3], received_time: Date.now() })
const triage = (gateway: string, patient: string): TriageResult => ({
  gateway_id: gateway, seq: seq++, patient_id: patient, time: now, level: 'green', model_version: 'news2-rcp-2017',
  news2: { score: 1, partial: true, subscores: { respiratory_rate: null, spo2: null, on_oxygen: null, systolic_bp: null, pulse: 1, consciousness: null, temperature: null }, missing: ['spo2'], level: 'green', spo2_scale: 1 },
  inputs: { respiratory_rate: null, spo2: null, on_oxygen: null, systolic_bp: null, pulse: null, consciousness: null, temperature: null },
})

test('every id of every ingest contract refuses hostile text (400) and nothing runs', async () => {
  // Each case: a batch part that is accepted as it is, and the id fields of it that carry a rule.
  const cases: Array<[string, () => Partial<IngestBatch>, (p: Partial<IngestBatch>) => Record<string, unknown>, string[]]> = [
    ['observation', () => ({ observations: [obs('gw-a', 'p-ok', 80)] }), (p) => p.observations![0]!, ['device_id', 'patient_id']],
    ['alarm', () => ({ alarms: [alarm('gw-a', 'ok', 'p-ok')] }), (p) => p.alarms![0]!, ['alarm_id', 'device_id', 'patient_id']],
    ['lab result', () => ({ lab_results: [lab('gw-a')] }), (p) => p.lab_results![0]!, ['order_id', 'patient_id', 'test_code', 'device_id']],
    ['transport', () => ({ transports: [transport('gw-a', 'p-ok', 'city-1')] }), (p) => p.transports![0]!, ['unit', 'patient_id', 'destination_site']],
    ['waveform', () => ({ waveforms: [wave('gw-a', 'p-ok')] }), (p) => p.waveforms![0]!, ['device_id', 'patient_id']],
  ]
  for (const [what, make, row] of cases) {
    const res = await post('/v1/ingest', 'tok-a', batchOf('gw-a', make()))
    assert.equal(res.status, 200, `${what} as it is: ${await res.text()}`)
  }
  let refused = 0
  for (const h of HOSTILE) {
    for (const [what, make, row, fields] of cases) {
      for (const field of fields) {
        const part = make()
        row(part)[field] = h
        const res = await post('/v1/ingest', 'tok-a', batchOf('gw-a', part))
        assert.equal(res.status, 400, `${what}.${field} = ${JSON.stringify(h)}: ${res.status}`)
        refused++
      }
    }
    const res = await post('/v1/ingest', 'tok-a', { ...batchOf('gw-a', {}), batch_id: h })
    assert.equal(res.status, 400)
  }
  assert.equal(refused, HOSTILE.length * 14)
  assert.deepEqual(await rows("SELECT alarm_id FROM alarms WHERE alarm_id NOT LIKE 'mon-1/ok%'"), [])
  assert.equal(await canaryExists(), false)
})

test('record events, orders and the acknowledgement API refuse hostile ids (400); nothing runs', async () => {
  const enc = (id: string, patient: string): EmrEvent => ({ type: 'encounter', encounter_id: id, patient_id: patient, kind: 'icu_stay', site: 'city-1', ward: 'icu-a', bed: 'A1', start_time: now - 60_000, end_time: null, updated_time: now - 60_000 })
  assert.equal((await post('/v1/emr/events', 'his-token', { events: [enc('e-ok', 'p-icu')] })).status, 200)
  core.live.load(await new BoardStore(core.clickhouse).places())
  for (const h of HOSTILE) {
    assert.equal((await post('/v1/emr/events', 'his-token', { events: [enc(h, 'p-icu')] })).status, 400, `encounter_id ${JSON.stringify(h)}`)
    assert.equal((await post('/v1/emr/events', 'his-token', { events: [enc('e-x', h)] })).status, 400, `patient_id ${JSON.stringify(h)}`)
    const order = (body: unknown) => fetch(`${core.url}/v1/orders`, as('dr-icu-a', { method: 'POST', body: JSON.stringify(body) }))
    assert.equal((await order({ patient_id: h, encounter_id: 'e-ok', text: 'x' })).status, 400)
    assert.equal((await order({ patient_id: 'p-icu', encounter_id: h, text: 'x' })).status, 400)
    assert.equal((await order({ patient_id: 'p-icu', encounter_id: 'e-ok', code: h, text: 'x' })).status, 400)
    const ack = await fetch(`${core.url}/v1/alarms/${encodeURIComponent(`mon-1/${h}`)}/ack`, as('nurse-icu-a', { method: 'POST', body: '{}' }))
    assert.equal(ack.status, 400, `ack ${JSON.stringify(h)}`)
    assert.equal((await order({ patient_id: `p-${h}`, encounter_id: 'e-ok', text: 'x' })).status, 400)
  }
  assert.equal(await canaryExists(), false)
})

test('the exact attack, as a core before the fix stored it: the hostile id acknowledged directly is stored harmlessly; over HTTP it is refused', async () => {
  const id = `mon-1/X\\';${CANARY};--^MON-1`
  // A row the old contract let in (no character rule on alarm_id), written past today's door.
  await core.clickhouse.client.insert({ table: 'alarms', values: [alarmRow({ ...alarm('gw-a', 'x', 'p-icu'), alarm_id: id })], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 } })
  const http = await fetch(`${core.url}/v1/alarms/${encodeURIComponent(id)}/ack`, as('nurse-icu-a', { method: 'POST', body: '{}' }))
  assert.equal(http.status, 400)
  assert.equal(await canaryExists(), false)
  // The store itself, which the fix makes safe whatever it is given: the token is a hash.
  const store = new AlarmStore(core.clickhouse)
  for (const user of ['nurse-icu-a', `nurse\\';${CANARY};--`]) {
    const r = await store.acknowledge(id, user)
    assert.equal(r.ack.alarm_id, id)
  }
  assert.deepEqual((await rows<{ alarm_id: string }>('SELECT alarm_id FROM alarm_acks WHERE alarm_id = {id:String}', { id })).map((r) => r.alarm_id), [id])
  assert.equal(await canaryExists(), false)
})

test('ICU board: 10,200 old-dated alarms (HL7-shaped, same bed and others) do not hide a real one, and the snapshot reads only its beds', async () => {
  // The ICU bed of nurse-icu-a is p-icu (encounter e-ok). The flood: old device times, many beds, the same bed too.
  const old = now - 20 * 86_400_000
  // More than the 10,000 the old snapshot read (the oldest of the whole database, then filtered to its beds).
  for (let b = 0; b < 2; b++) {
    await ingest('gw-a', 'tok-a', { alarms: Array.from({ length: 5100 }, (_, i) => alarm('gw-a', `${b * 5100 + i}`, i % 4 === 0 ? 'p-icu' : `p-flood-${i}`, { device_time: old + i * 1000, priority: 'high' })) })
  }
  await ingest('gw-a', 'tok-a', { alarms: [alarm('gw-a', 'real', 'p-icu', { priority: 'medium', event_text: 'SpO2 low' })] })
  const snap = (await (await fetch(`${core.url}/v1/boards/icu`, as('nurse-icu-a'))).json()) as { alarms: Array<{ alarm_id: string; patient_id: string }> }
  assert.ok(snap.alarms.some((a) => a.alarm_id === 'mon-1/real^MON-1'), 'the real alarm is on the board')
  assert.ok(snap.alarms.every((a) => a.patient_id === 'p-icu'))
  assert.ok(snap.alarms.length <= 50, `bounded per bed: ${snap.alarms.length}`)
  // Newest first within the bound: the real one is kept even though 2,550 older ones name the same bed.
  const store = new AlarmStore(core.clickhouse)
  const mine = await store.activeForPatients({ patientIds: ['p-icu'], perPatient: 5 })
  assert.ok(mine.some((a) => a.alarm_id === 'mon-1/real^MON-1'), JSON.stringify(mine.map((a) => a.alarm_id)))
  assert.deepEqual(await store.activeForPatients({ patientIds: [] }), [])
})

test("a transport from gateway A cannot put site B's patient on an ED board, nor pull in what it never sent", async () => {
  // p-b lies in city-2's ICU, monitored by gw-icu-b: a day of vitals and ECG.
  await ingest('gw-icu-b', 'tok-icu-b', { observations: [obs('gw-icu-b', 'p-b', 101, Date.now() - 3_600_000), obs('gw-icu-b', 'p-b', 102)], waveforms: [wave('gw-icu-b', 'p-b')], triage: [triage('gw-icu-b', 'p-b')] })
  const ed1 = await fetch(`${core.url}/v1/boards/ed`, as('dr-ed-1'))
  const ed2 = await fetch(`${core.url}/v1/boards/ed`, as('dr-ed-2'))
  assert.deepEqual([ed1.status, ed2.status], [200, 200])

  // 1. gw-a (bound to city-1) names city-2: kept aside as a rejected reading, counted; no board shows it.
  const refused = await ingest('gw-a', 'tok-a', { transports: [transport('gw-a', 'p-b', 'city-2', 'amb-9')] })
  assert.deepEqual([refused.transports, refused.rejected], [0, 1])
  const kept = await rows<{ code: string; reason: string }>("SELECT code, reason FROM rejected_readings WHERE gateway_id = 'gw-a' AND code = 'NEVA_CORE_TRANSPORT_SITE_NOT_BOUND'")
  assert.equal(kept.length, 1)
  assert.match(kept[0]!.reason, /not bound to site "city-2"/)
  assert.match(await (await fetch(`${core.url}/metrics`, { headers: { authorization: 'Bearer metrics-token' } })).text(), /neva_core_transports_refused_total\{gateway="gw-a"\} 1/)
  const board2 = (await (await fetch(`${core.url}/v1/boards/ed`, as('dr-ed-2'))).json()) as { transports: unknown[]; cards: unknown[] }
  assert.deepEqual([board2.transports, board2.cards], [[], []])

  // 2. A gateway bound nowhere (an open-mode broker, an unknown network) puts no one on any board.
  const open = await ingest('gw-open', 'tok-open', { transports: [transport('gw-open', 'p-b', 'city-1', 'amb-x'), transport('gw-open', 'p-b', 'city-2', 'amb-x')] })
  assert.deepEqual([open.transports, open.rejected], [0, 2])
  assert.equal(core.live.placesOf('p-b').filter((p) => p.board === 'ed').length, 0)

  // 3. gw-a names its own site for p-b: the transport shows on city-1's ED board, but only what gw-a sent of p-b.
  const ed = await fetch(`${core.url}/v1/live?board=ed`, as('dr-ed-1'))
  await ingest('gw-a', 'tok-a', { transports: [transport('gw-a', 'p-b', 'city-1', 'amb-9')] })
  const board1 = (await (await fetch(`${core.url}/v1/boards/ed`, as('dr-ed-1'))).json()) as { transports: Array<{ patient_id: string }>; cards: Array<{ patient_id: string; vitals: Record<string, unknown>; triage: unknown }>; ecg: Record<string, unknown> }
  assert.ok(board1.transports.some((t) => t.patient_id === 'p-b'))
  assert.deepEqual(board1.cards.filter((c) => c.patient_id === 'p-b').map((c) => [Object.keys(c.vitals), c.triage]), [[[], null]], 'no history from gw-icu-b')
  assert.equal(board1.ecg['p-b'], undefined)
  // Live: gw-icu-b's readings of p-b do not reach the ED board; gw-a's own do.
  const events = sse(ed.body!)
  await ingest('gw-icu-b', 'tok-icu-b', { observations: [obs('gw-icu-b', 'p-b', 103)] })
  await ingest('gw-a', 'tok-a', { observations: [obs('gw-a', 'p-b', 77)] })
  const seen: number[] = []
  const deadline = Date.now() + 5000
  while (!seen.includes(77) && Date.now() < deadline) {
    const e = await events.next()
    if (e.done) break
    if (e.value.event === 'vitals' && e.value.data.patient_id === 'p-b') for (const r of e.value.data.readings) seen.push(r.value)
  }
  await events.return(undefined)
  assert.deepEqual(seen, [77])
  const later = (await (await fetch(`${core.url}/v1/boards/ed`, as('dr-ed-1'))).json()) as { cards: Array<{ patient_id: string; vitals: Record<string, { value: number }> }> }
  assert.equal(later.cards.find((c) => c.patient_id === 'p-b')!.vitals.heart_rate!.value, 77)
})

test('gateway sites: NEVA_GATEWAY_SITES and the tokens file bind gateways to sites; a bad site name is refused at start-up', () => {
  assert.deepEqual(parseGatewaySites('gw-1=City Hospital 1|City Hospital 2, gw-2=Polyclinic 3'), { 'gw-1': ['City Hospital 1', 'City Hospital 2'], 'gw-2': ['Polyclinic 3'] })
  assert.throws(() => parseGatewaySites("gw-1=X';--"), /not a site name/)
  assert.throws(() => parseGatewaySites('gw-1'), /expected "gateway=site\|site"/)
  const file = join(mkdtempSync(join(tmpdir(), 'neva-gw-file-')), 'gateways.json')
  writeFileSync(file, JSON.stringify({ 'gw-f': { token_sha256: hashToken('x'), sites: ['City Hospital 1'] }, 'gw-g': { token_sha256: hashToken('y') } }))
  const config = coreConfigFromEnv({ NEVA_GATEWAY_TOKENS_FILE: file, NEVA_GATEWAY_SITES: 'gw-g=Polyclinic 3' })
  assert.deepEqual(config.gatewaySites, { 'gw-f': ['City Hospital 1'], 'gw-g': ['Polyclinic 3'] })
  writeFileSync(file, JSON.stringify({ 'gw-f': { token_sha256: hashToken('x'), sites: ['bad\nsite'] } }))
  assert.throws(() => coreConfigFromEnv({ NEVA_GATEWAY_TOKENS_FILE: file }), /sites must be a list of site names/)
})
