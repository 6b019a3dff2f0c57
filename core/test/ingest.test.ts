// Ingest round trip through the real embedded ClickHouse.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IngestBatch, LabResult, Observation, TriageResult, WaveformChunk } from '@neva/contracts'
import { dedupToken, observationRow } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { icuNurse } from './people-helpers.js'

const TOKEN = 'secret-gw-1'
const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-')) },
  gateways: { 'gw-1': hashToken(TOKEN), 'gw-2': hashToken('secret-gw-2') },
  metricsTokens: { prometheus: hashToken('metrics-token') },
  logLevel: 'silent',
  bodyLimit: 8 * 1024 * 1024,
})
after(() => core.close())
const nurse = await icuNurse(core, ['p-g', 'p-m', 'p-n', 'nobody'])

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0)
let nextSeq = 1
function observation(patient: string, name: Observation['name'], value: number, t: number): Observation {
  const codes = { spo2: [150456, '59408-5', '%'], pulse_rate: [149530, '8867-4', '/min'], respiratory_rate: [151562, '9279-1', '/min'] } as Record<string, [number, string, string]>
  const [mdc_code, loinc, unit] = codes[name] ?? [0, '', '']
  return { gateway_id: 'gw-1', seq: nextSeq++, device_id: 'mon-1', patient_id: patient, source: 'mqtt', mdc_code, loinc, name, value, unit, device_time: t, received_time: t + 50, flags: [] }
}
function triage(patient: string, t: number): TriageResult {
  return {
    gateway_id: 'gw-1', seq: nextSeq++, patient_id: patient, time: t, level: 'yellow', model_version: 'news2-rcp-2017',
    news2: { score: 3, partial: true, subscores: { respiratory_rate: 3, spo2: 0, on_oxygen: null, systolic_bp: null, pulse: 0, consciousness: null, temperature: null }, missing: ['on_oxygen', 'systolic_bp', 'consciousness', 'temperature'], level: 'yellow', spo2_scale: 1 },
    inputs: { respiratory_rate: { value: 7, time: t }, spo2: { value: 97, time: t }, on_oxygen: null, systolic_bp: null, pulse: { value: 80, time: t }, consciousness: null, temperature: null },
  }
}
function batch(id: string, observations: Observation[], triageResults: TriageResult[] = []): IngestBatch {
  return { gateway_id: 'gw-1', batch_id: id, sent_time: Date.now(), observations, triage: triageResults, rejected: [] }
}
async function post(body: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${core.url}/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const count = (patient: string) => core.store.count('observations', 'patient_id = {p:String}', { p: patient })

test('a batch is stored and answered after the commit; sent twice it is stored once', async () => {
  const b = batch('e1-1', [observation('p-a', 'spo2', 97, T0), observation('p-a', 'pulse_rate', 80, T0)], [triage('p-a', T0)])
  const first = await post(b)
  assert.equal(first.status, 200)
  assert.deepEqual(first.body, { batch_id: 'e1-1', stored: true, observations: 2, triage: 1, rejected: 0, lab_results: 0, waveforms: 0, transports: 0, alarms: 0, infusion_events: 0, ctg_verdicts: 0 })
  assert.equal(await count('p-a'), 2)
  const again = await post(b)
  assert.equal(again.status, 200)
  assert.equal(again.body.stored, false)
  assert.equal(await count('p-a'), 2)
})

test('concurrent copies of one batch are stored once', async () => {
  const b = batch('e1-2', [observation('p-c', 'spo2', 95, T0)])
  const answers = await Promise.all([post(b), post(b), post(b)])
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200])
  assert.equal(answers.filter((a) => a.body.stored).length, 1)
  assert.equal(await count('p-c'), 1)
})

test('batches of several gateways at once share ledger round trips and each is stored once', async () => {
  // Two gateways, each sending new batches and a resend of one already stored, all at once:
  // the ledger lookups and writes are grouped, and each answer must still be the batch's own.
  const of = (gw: string, id: string, patient: string) => ({ ...batch(id, [{ ...observation(patient, 'spo2', 96, T0), gateway_id: gw }]), gateway_id: gw })
  const first = await post(of('gw-1', 'grp-0', 'p-grp-1'))
  assert.equal(first.body.stored, true)
  const sends = [
    post(of('gw-1', 'grp-0', 'p-grp-1')),
    post(of('gw-2', 'grp-0', 'p-grp-2'), 'secret-gw-2'),
    ...[1, 2, 3].map((i) => post(of('gw-1', `grp-${i}`, 'p-grp-1'))),
    ...[1, 2, 3].map((i) => post(of('gw-2', `grp-${i}`, 'p-grp-2'), 'secret-gw-2')),
  ]
  const answers = await Promise.all(sends)
  assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200))
  assert.deepEqual(answers.map((a) => a.body.stored), [false, true, true, true, true, true, true, true])
  assert.equal(await count('p-grp-1'), 4)
  assert.equal(await count('p-grp-2'), 4)
  const again = await Promise.all([1, 2, 3].map((i) => post(of('gw-2', `grp-${i}`, 'p-grp-2'), 'secret-gw-2')))
  assert.deepEqual(again.map((a) => a.body.stored), [false, false, false])
  assert.equal(await count('p-grp-2'), 4)
})

test('a first attempt skips the ledger lookup yet is stored once even if sent as first twice; a bad attempt header is refused', async () => {
  const b = batch('att-1', [observation('p-att', 'spo2', 95, T0), observation('p-att', 'spo2', 94, T0 + 1000)])
  const send = async (attempt: string) => {
    const res = await fetch(`${core.url}/v1/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'neva-batch-attempt': attempt }, body: JSON.stringify(b),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  assert.equal((await send('1')).body.stored, true)
  // A gateway that lost its outbox's attempt count: the tables' deduplication tokens hold.
  assert.equal((await send('1')).status, 200)
  assert.equal(await count('p-att'), 2)
  assert.equal((await send('2')).body.stored, false)
  const bad = await send('first')
  assert.equal(bad.status, 400)
  assert.equal(bad.body.error, 'NEVA_CORE_BAD_ATTEMPT')
  assert.match(String(bad.body.message), /neva-batch-attempt: "first"/)
  assert.equal(await count('p-att'), 2)
})

test('the ledger row is written after the answer: a resend meanwhile is still known, and the row lands with the counts', async () => {
  const b = batch('late-ledger-1', [observation('p-late', 'spo2', 95, T0), observation('p-late', 'spo2', 96, T0 + 1000)])
  const [first, second] = [await post(b), await post(b)]
  assert.deepEqual([first.body.stored, second.body.stored], [true, false])
  await core.store.settled()
  const rs = await core.clickhouse.client.query({ query: "SELECT observations FROM ingest_batches FINAL WHERE batch_id = 'late-ledger-1'", format: 'JSONEachRow' })
  assert.deepEqual(await rs.json(), [{ observations: 2 }])
  assert.equal(await count('p-late'), 2)
})

test('a batch whose data insert committed but whose ledger entry did not is not stored twice', async () => {
  const b = batch('e1-3', [observation('p-d', 'spo2', 94, T0), observation('p-d', 'spo2', 93, T0 + 1000)])
  // What a core that died between the two inserts leaves behind: the rows, no ledger entry.
  await core.clickhouse.client.insert({
    table: 'observations', values: b.observations.map(observationRow), format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplication_token: dedupToken('gw-1', 'e1-3', 'observations') },
  })
  const res = await post(b)
  assert.equal(res.status, 200)
  assert.equal(await count('p-d'), 2)
})

test('unknown or missing tokens are refused with 401; another gateway\'s rows with 403', async () => {
  const b = batch('e1-4', [observation('p-e', 'spo2', 97, T0)])
  assert.equal((await post(b, null)).status, 401)
  const wrong = await post(b, 'not-a-token')
  assert.equal(wrong.status, 401)
  assert.equal(wrong.body.error, 'NEVA_CORE_UNAUTHORIZED')
  const foreign = await post(b, 'secret-gw-2')
  assert.equal(foreign.status, 403)
  assert.equal(foreign.body.error, 'NEVA_CORE_GATEWAY_MISMATCH')
  assert.equal(await count('p-e'), 0)
})

test('an invalid body is refused with 400 naming the field, and nothing is stored', async () => {
  const bad = batch('e1-5', [{ ...observation('p-f', 'spo2', 97, T0), value: 'high' as unknown as number }])
  const res = await post(bad)
  assert.equal(res.status, 400)
  assert.match(String(res.body.message), /observations\/0\/value/)
  assert.equal((await post('{"gateway_id":')).status, 400)
  // No coercion: a string is not a number, and unknown fields are refused rather than dropped.
  assert.equal((await post(batch('e1-5', [{ ...observation('p-f', 'spo2', 97, T0), value: '97' as unknown as number }]))).status, 400)
  assert.equal((await post({ ...batch('e1-5', [observation('p-f', 'spo2', 97, T0)]), extra: 1 })).status, 400)
  assert.equal(await count('p-f'), 0)
})

test('latest: the newest value of each vital and the newest triage', async () => {
  await post(batch('e1-6', [
    observation('p-g', 'spo2', 91, T0),
    observation('p-g', 'spo2', 96, T0 + 60_000),
    observation('p-g', 'respiratory_rate', 22, T0 + 30_000),
  ], [triage('p-g', T0 + 60_000)]))
  const res = await nurse.fetch(`/v1/patients/p-g/latest`)
  assert.equal(res.status, 200)
  const body = (await res.json()) as { vitals: Record<string, { value: number; time: number; unit: string }>; triage: TriageResult }
  assert.deepEqual(body.vitals.spo2, { value: 96, unit: '%', time: T0 + 60_000, device_id: 'mon-1', flags: [] })
  assert.equal(body.vitals.respiratory_rate!.value, 22)
  assert.equal(body.triage.level, 'yellow')
  assert.equal(body.triage.news2.subscores.on_oxygen, null)
  assert.equal(body.triage.model_version, 'news2-rcp-2017')
  assert.equal((await nurse.fetch(`/v1/patients/nobody/latest`)).status, 404)
  assert.equal((await nurse.fetch(`/v1/patients/${encodeURIComponent("x' OR 1=1")}/latest`)).status, 400)
})

test("a triage result with the model's verdict is stored and read back whole", async () => {
  const model = {
    id: 'triage-lr', version: '1', level: 'red' as const,
    probabilities: { green: 0.125, yellow: 0.25, red: 0.625 },
    drivers: [{ feature: 'pulse_delta_15m', value: 24, contribution: 1.5 }, { feature: 'spo2_missing', value: null, contribution: 0.5 }],
  }
  const t = { ...triage('p-m', T0 + 90_000), level: 'red' as const, model_version: 'triage-lr@1', model }
  assert.equal((await post(batch('e1-model', [], [t]))).status, 200)
  const body = (await (await nurse.fetch(`/v1/patients/p-m/latest`)).json()) as { triage: TriageResult }
  assert.equal(body.triage.level, 'red')
  assert.equal(body.triage.news2.level, 'yellow')
  assert.equal(body.triage.model_version, 'triage-lr@1')
  assert.deepEqual(body.triage.model, model)
  // A result without a model says so.
  assert.equal((await post(batch('e1-model-2', [], [triage('p-n', T0)]))).status, 200)
  assert.equal(((await (await nurse.fetch(`/v1/patients/p-n/latest`)).json()) as { triage: TriageResult }).triage.model, null)
})

test('healthz and Prometheus metrics', async () => {
  const health = await fetch(`${core.url}/healthz`)
  assert.deepEqual(await health.json(), { status: 'ok' })
  assert.equal((await fetch(`${core.url}/metrics`)).status, 401)
  const metrics = await (await fetch(`${core.url}/metrics`, { headers: { authorization: 'Bearer metrics-token' } })).text()
  assert.match(metrics, /neva_core_ingest_batches_total\{outcome="stored"\} [1-9]/)
  assert.match(metrics, /neva_core_ingest_batches_total\{outcome="duplicate"\} [1-9]/)
  assert.match(metrics, /neva_core_ingest_batches_total\{outcome="unauthorized"\} [1-9]/)
  assert.match(metrics, /neva_core_ingest_batches_total\{outcome="invalid"\} [1-9]/)
  assert.match(metrics, /neva_core_ingest_rows_total\{kind="observations"\} [1-9]/)
})

// The rule for every materialized view: its target table keeps a deduplication window too.
test('a retried batch is stored once in materialized views too', async () => {
  await core.clickhouse.client.command({ query: `CREATE TABLE readings_per_patient (patient_id String, n UInt64) ENGINE = SummingMergeTree ORDER BY patient_id SETTINGS non_replicated_deduplication_window = 10000` })
  await core.clickhouse.client.command({ query: `CREATE MATERIALIZED VIEW readings_per_patient_mv TO readings_per_patient AS SELECT patient_id, count() AS n FROM observations GROUP BY patient_id` })
  const b = batch('e1-8', [observation('p-mv', 'spo2', 97, T0), observation('p-mv', 'spo2', 96, T0 + 1000)])
  // A core that died after the rows but before the ledger, then the gateway's retry, then a copy.
  await core.clickhouse.client.insert({
    table: 'observations', values: b.observations.map(observationRow), format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplication_token: dedupToken('gw-1', 'e1-8', 'observations'), deduplicate_blocks_in_dependent_materialized_views: 1 },
  })
  assert.equal((await post(b)).status, 200)
  assert.equal((await post(b)).body.stored, false)
  const rs = await core.clickhouse.client.query({ query: "SELECT sum(n) AS n FROM readings_per_patient WHERE patient_id = 'p-mv'", format: 'JSONEachRow' })
  assert.equal(Number((await rs.json<{ n: string }>())[0]!.n), 2)
})

// Last: it takes ClickHouse away from this core.
test('lab results and ECG chunks are stored once, with their missing values missing', async () => {
  const lab = (seq: number, value: string, numeric: number | null): LabResult => ({
    gateway_id: 'gw-1', seq, device_id: 'an-1', source: 'astm', order_id: 'S-1', patient_id: 'p-lab', test_code: 'GLU', loinc: '2345-7',
    value, numeric_value: numeric, unit: 'mmol/L', reference_range: '3.9-6.1', abnormal_flag: 'H', status: 'F', result_time: T0, received_time: T0 + 5, comments: [],
  })
  const leads = (['I', 'II'] as const).map((lead, i): WaveformChunk => ({
    gateway_id: 'gw-1', seq: nextSeq++, device_id: 'tab-1', patient_id: 'p-lab', lead, mdc_code: 131329 + i, start_time: T0, sample_rate_hz: 500,
    resolution_uv: 2.5, samples: Array.from({ length: 500 }, (_, k) => Math.round(100 * Math.sin(k / 10))), received_time: T0 + 1000,
  }))
  const b: IngestBatch = { ...batch('e1-lab', []), lab_results: [lab(nextSeq++, '7.9', 7.9), lab(nextSeq++, '---', null)], waveforms: leads }
  const first = await post(b)
  assert.equal(first.status, 200, JSON.stringify(first.body))
  assert.deepEqual([first.body.lab_results, first.body.waveforms], [2, 2])
  assert.equal((await post(b)).body.stored, false)
  assert.equal(await core.store.count('lab_results', 'patient_id = {p:String}', { p: 'p-lab' }), 2)
  assert.equal(await core.store.count('lab_results', 'patient_id = {p:String} AND numeric_value IS NULL', { p: 'p-lab' }), 1)
  assert.equal(await core.store.count('waveforms', 'patient_id = {p:String} AND length(samples) = 500', { p: 'p-lab' }), 2)
  const foreign = await post({ ...batch('e1-lab2', []), lab_results: [{ ...lab(nextSeq++, '1', 1), gateway_id: 'gw-2' }] })
  assert.equal(foreign.status, 403)
})

test('with ClickHouse unavailable the core answers 503, so that gateways keep their batches', async () => {
  await core.clickhouse.close()
  const res = await post(batch('e1-9', [observation('p-z', 'spo2', 97, T0)]))
  assert.equal(res.status, 503)
  assert.equal(res.body.error, 'NEVA_CORE_STORAGE_UNAVAILABLE')
  assert.equal((await fetch(`${core.url}/healthz`)).status, 503)
  const metrics = await (await fetch(`${core.url}/metrics`, { headers: { authorization: 'Bearer metrics-token' } })).text()
  assert.match(metrics, /neva_core_ingest_batches_total\{outcome="unavailable"\} 1/)
})
