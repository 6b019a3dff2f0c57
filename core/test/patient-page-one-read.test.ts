// The patient page's reads in one query (PatientPageStore, sections in a UNION ALL) give what
// each store gives on its own, section by section, in the same order: a patient with rows in every
// section (vitals, labs, alarms with acknowledgements, triage, encounter, diagnoses, orders,
// infusions, suggestions, lab orders), another patient's beside, parameters of the same name bound
// to different values in different sections.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmrStore, FhirStore, LabOrderStore, PatientPageStore, PatientRecordStore, PatientSummaryStore, readSections } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { seedPatient } from './fhir-fixtures.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-page-one-read-')) }, gateways: { 'gw-1': hashToken('gw-token') },
})
after(() => core.close())

const now = Date.now()
const T0 = now - 30 * 60_000
const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23)
const ch = core.clickhouse
for (const p of ['one-1', 'one-2']) {
  await seedPatient(core, p, T0, { vitals: 12 })
  const insert = (table: string, values: object[]) => ch.client.insert({ table, format: 'JSONEachRow', values })
  await new EmrStore(ch).store([{ type: 'encounter', encounter_id: `enc-${p}`, patient_id: p, kind: 'icu_stay', site: 'S', ward: 'ICU', start_time: T0 - 3600_000, end_time: null, updated_time: T0 }], 'his')
  await insert('alarm_acks', [1, 2].map((i) => ({ alarm_id: `mon-1/0^${p}^0000000000000001^EUI-64-and-a-long-tail-so-the-id-is-hashed`, user: `nurse-${i}`, note: i === 1 ? null : 'seen', acked_at: ts(T0 + i * 60_000) })))
  await insert('infusion_events', [0, 1, 2].map((i) => ({
    gateway_id: 'gw-1', seq: 900 + i, event_id: `ev-${p}-${i}`, device_id: `pump-${p}`, source: 'hl7v2', patient_id: p, channel: String(1 + (i % 2)), drug: 'heparin',
    rate: 5 + i, rate_unit: 'mL/h', volume_infused: null, volume_unit: 'mL', program_state: 'running', pump_state: 'infusing', alerts: [], received_time: ts(T0 + i * 60_000),
  })))
  await insert('orders', [1, 2, 3].map((i) => ({ order_id: `o-${p}-${i}`, patient_id: p, encounter_id: `enc-${p}`, ordered_by: 'dr', code: 'CBC', text: 'blood count', status: 'placed', updated_by: 'dr', placed_time: ts(T0 + i * 1000), updated_time: ts(T0 + i * 2000) })))
  await insert('lab_order_events', [1, 2].flatMap((i) => ['placed', 'collected'].map((state, k) => ({
    order_id: `lo-${p}-${i}`, patient_id: p, encounter_id: `enc-${p}`, site: 'S', ward: k === 0 ? null : 'ICU', specimen_id: `sp-${p}-${i}`, test_loinc: ['2345-7'], test_codes: ['GLU'],
    priority: 'routine', diagnosis_code: 'J18.9', diagnosis_text: 'pneumonia', ordered_by: 'dr', state, changed_by: k === 0 ? 'dr' : 'nurse', placed_time: ts(T0 + i * 1000), event_time: ts(T0 + i * 1000 + k * 60_000),
  }))))
  await insert('dx_suggestions', [1, 2].map((i) => ({
    suggestion_id: `sg-${p}-${i}`, encounter_id: `enc-${p}`, patient_id: p, kind: 'preliminary', model_id: 'dx-nb', model_version: 1,
    suggested_icd10: ['J18.9', 'J44.1'], suggested_p: [0.6, 0.2], physician_icd10: null, verdict: null, source: 'his', time: ts(T0 + i * 60_000),
  })))
}

test('the page in one read equals each store read on its own', async () => {
  for (const [hours, stepS] of [[24, 300], [168, 3600], [24, 60], [1, 5]] as const) {
    const f = now - hours * 3600_000
    const page = await new PatientPageStore(ch).read('one-1', { from: f, to: now, stepS, labsFrom: now - 7 * 86_400_000, limit: 2000 })
    const summaries = new PatientSummaryStore(ch)
    const fhir = new FhirStore(ch)
    const record = new PatientRecordStore(ch)
    const alarms = await fhir.page('alarm', { patient: 'one-1', time: [{ op: '>=', ms: f }], limit: 2000 })
    const separate = {
      vitals: await summaries.vitals('one-1', f, stepS),
      labs: await fhir.page('lab', { patient: 'one-1', time: [{ op: '>=', ms: now - 7 * 86_400_000 }], limit: 2000 }),
      alarms,
      acks: await summaries.acks(alarms.map((a) => a.k)),
      triage: await summaries.triage('one-1', f, 200),
      encounters: await fhir.page('encounter', { patient: 'one-1', limit: 50 }),
      conditions: await fhir.page('condition', { patient: 'one-1', limit: 200 }),
      orders: await summaries.orders('one-1', 200),
      infusions: await record.infusions('one-1', f),
      suggestions: await record.suggestions('one-1'),
      ecgMinutes: await record.ecgMinutes('one-1', f, now + 60_000),
      labOrders: await new LabOrderStore(ch).forPatient('one-1', 100),
      latest: await summaries.latest('one-1', f),
    }
    assert.deepEqual(page, separate, `${hours} h`)
    // Every section has rows (what this test is for), and only this patient's.
    for (const [k, v] of Object.entries(page)) if (k !== 'ecgMinutes') assert.ok((v as unknown[]).length > 0, `${k} has rows`)
    assert.equal(page.acks.length, 2)
    assert.deepEqual(page.infusions.map((i) => i.rate), [7, 6])
    assert.ok(page.labOrders.every((o) => o.patient_id === 'one-1' && o.state === 'collected' && o.history.length === 2))
  }
})

test('sections: each keeps its own order and parameters, whichever order UNION ALL gives', async () => {
  const out = await readSections(ch, {
    up: { query: 'SELECT number AS x FROM numbers({n:UInt32}) ORDER BY x LIMIT {n:UInt32}', params: { n: 5000 }, map: (rows) => rows.map((r) => Number(r.x)) },
    down: { query: 'SELECT number AS x FROM numbers({n:UInt32}) ORDER BY x DESC', params: { n: 3 }, map: (rows) => rows.map((r) => Number(r.x)) },
    none: { query: 'SELECT 1 AS x WHERE {n:UInt32} = 0', params: { n: 1 }, map: (rows) => rows },
  })
  assert.deepEqual(out.up, Array.from({ length: 5000 }, (_, i) => i))
  assert.deepEqual(out.down, [2, 1, 0])
  assert.deepEqual(out.none, [])
})
