// Decision support through the core with the real embedded ClickHouse: a small trained model,
// a patient's record sent as EMR events, both endpoints, every suggestion stored, agreement with
// the clinician's later diagnosis, and refusals.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EmrEvent } from '@neva/contracts'
import { dxAgreement, DxModelStore, fitDx, type DxExample } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'

const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-dx-')) },
  gateways: { 'gw-1': hashToken('gw-token') },
  emrSystems: { 'his-north': hashToken('his-token') },
  logLevel: 'silent',
  bodyLimit: 8 * 1024 * 1024,
})
after(() => core.close())

const post = async (path: string, body: unknown, token: string | null = 'his-token') => {
  const res = await fetch(`${core.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const rows = async <T>(sql: string) => (await core.clickhouse.client.query({ query: sql, format: 'JSONEachRow' })).json<T>()

const complaint = { text: 'Жалобы на боль в груди, одышку', codes: ['R07.4'] }
const preliminary = { encounter_id: 'enc-7', patient_id: 'pz-7', complaints: [complaint], age: 68, sex: 'male' }

test('without a trained model the endpoints answer 503 with a code that says so', async () => {
  const res = await post('/v1/decision-support/preliminary', preliminary)
  assert.equal(res.status, 503)
  assert.equal(res.body.error, 'NEVA_CORE_DX_NO_MODEL')
})

test('preliminary: three codes with probabilities from the newest model, stored with the encounter', async () => {
  const examples: DxExample[] = []
  for (let i = 0; i < 30; i++) {
    examples.push({ label: 'I21.9', input: { texts: ['Жалобы на боль в груди, одышку'], codes: ['R07.4'], age: 65, sex: 'male', labs: ['TROP:H'] } })
    examples.push({ label: 'J18.9', input: { texts: ['Жалобы на кашель, температуру, одышку'], codes: ['R05'], age: 70, sex: 'male', labs: ['CRP:H'] } })
    examples.push({ label: 'J06.9', input: { texts: ['Complains of runny nose and sore throat'], age: 30, sex: 'female' } })
    examples.push({ label: 'M54.5', input: { texts: ['Боль в пояснице'], age: 45, sex: 'female', history: ['M54.5'] } })
  }
  const store = new DxModelStore(core.clickhouse)
  await store.save(fitDx(examples.slice(0, 8), { id: 'dx-nb', version: 1, created: Date.UTC(2026, 0, 1), patients: 8 }), { top1: 0, top3: 0, n: 0 })
  await store.save(fitDx(examples, { id: 'dx-nb', version: 2, created: Date.UTC(2026, 0, 2), patients: 120 }), { top1: 1, top3: 1, n: 10 })

  const res = await post('/v1/decision-support/preliminary', preliminary)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  const suggestions = res.body.suggestions as Array<{ icd10: string; p: number }>
  assert.equal(suggestions.length, 3)
  assert.equal(suggestions[0]!.icd10, 'I21.9')
  assert.ok(suggestions[0]!.p > suggestions[1]!.p)
  assert.deepEqual(res.body.model, { id: 'dx-nb', version: 2 })
  // The order set: the union of the suggested diagnoses' sets, pre-checked, with their sources.
  const set = res.body.order_set as { tests: Array<{ lab_code: string; for: string[]; checked: boolean }>; sources: string[]; without_set: string[] }
  const suggestedWithSet = suggestions.map((s) => s.icd10).filter((c) => !set.without_set.includes(c))
  assert.ok(set.tests.some((t) => t.lab_code === 'TNTHS' && t.for.includes('I21.9')), 'troponin for the suspected infarction')
  assert.ok(set.tests.every((t) => t.checked && t.for.every((c) => suggestedWithSet.includes(c))))
  assert.ok(set.sources.includes('NICE NG185; NICE DG40'))
  const [stored] = await rows<{ kind: string; encounter_id: string; suggested_icd10: string[]; source: string; model_version: number }>(
    `SELECT kind, encounter_id, suggested_icd10, source, model_version FROM dx_suggestions WHERE suggestion_id = '${String(res.body.suggestion_id)}'`)
  assert.deepEqual(stored, { kind: 'preliminary', encounter_id: 'enc-7', suggested_icd10: suggestions.map((s) => s.icd10), source: 'his-north', model_version: 2 })
})

const T0 = Date.UTC(2026, 2, 10, 9)
const record: EmrEvent[] = [
  { type: 'patient', patient_id: 'pz-7', birth_year: 1958, sex: 'male', district: 'Central', updated_time: T0 },
  { type: 'encounter', encounter_id: 'enc-7', patient_id: 'pz-7', kind: 'ed_arrival', site: 'City Hospital 1', ward: 'ED', start_time: T0, end_time: T0 + 4 * 3600_000, updated_time: T0 },
  { type: 'complaint', complaint_id: 'enc-7.c1', encounter_id: 'enc-7', patient_id: 'pz-7', time: T0 + 60_000, text: complaint.text, language: 'ru', codes: complaint.codes },
]

test('final check: a deliberately wrong diagnosis gets an alternative, a typical one is consistent; both stored', async () => {
  assert.equal((await post('/v1/emr/events', { events: record })).status, 200)
  const wrong = await post('/v1/decision-support/final-check', { encounter_id: 'enc-7', patient_id: 'pz-7', icd10: 'J06.9' })
  assert.equal(wrong.status, 200, JSON.stringify(wrong.body))
  assert.equal(wrong.body.verdict, 'alternative')
  assert.equal(wrong.body.icd10, 'I21.9')
  assert.ok(Number(wrong.body.p) >= 0.5)
  const typical = await post('/v1/decision-support/final-check', { encounter_id: 'enc-7', patient_id: 'pz-7', icd10: 'I21.9' })
  assert.equal(typical.status, 200)
  assert.deepEqual(Object.keys(typical.body).sort(), ['model', 'suggestion_id', 'verdict'])
  assert.equal(typical.body.verdict, 'consistent')
  // Complaints in the request take the place of the stored ones.
  const back = await post('/v1/decision-support/final-check', { encounter_id: 'enc-7', patient_id: 'pz-7', icd10: 'I21.9', complaints: [{ text: 'Боль в пояснице' }] })
  assert.equal(back.body.verdict, 'consistent')
  const checks = await rows<{ physician_icd10: string; verdict: string }>("SELECT physician_icd10, verdict FROM dx_suggestions WHERE kind = 'final_check' ORDER BY time, physician_icd10")
  assert.equal(checks.length, 3)
  assert.deepEqual(checks.map((c) => c.verdict).sort(), ['alternative', 'consistent', 'consistent'])
})

test('agreement: suggestions against the clinician\'s diagnoses of the same encounter, a resent diagnosis counted once', async () => {
  const diagnoses: EmrEvent[] = [
    { type: 'diagnosis', diagnosis_id: 'enc-7.d1', encounter_id: 'enc-7', patient_id: 'pz-7', icd10: 'I20.0', kind: 'preliminary', set_by: 'clinician', author_id: 'dr-1', time: T0 + 1800_000 },
    { type: 'diagnosis', diagnosis_id: 'enc-7.d2', encounter_id: 'enc-7', patient_id: 'pz-7', icd10: 'I21.9', kind: 'final', set_by: 'clinician', author_id: 'dr-1', time: T0 + 3 * 3600_000 },
  ]
  assert.equal((await post('/v1/emr/events', { events: diagnoses })).status, 200)
  assert.equal((await post('/v1/emr/events', { events: [diagnoses[1]!, diagnoses[0]!] })).status, 200)
  const agreement = await dxAgreement(core.clickhouse)
  const prelimVsFinal = agreement.find((a) => a.kind === 'preliminary' && a.clinician_kind === 'final')!
  assert.deepEqual(prelimVsFinal, { kind: 'preliminary', clinician_kind: 'final', n: 1, top1: 1, top3: 1 })
  const prelimVsPrelim = agreement.find((a) => a.kind === 'preliminary' && a.clinician_kind === 'preliminary')!
  assert.deepEqual(prelimVsPrelim, { kind: 'preliminary', clinician_kind: 'preliminary', n: 1, top1: 0, top3: 0 })
  const checks = agreement.find((a) => a.kind === 'final_check' && a.clinician_kind === 'final')!
  assert.equal(checks.n, 3)
})

test('bad input is refused with a 400 naming the field; other tokens with 401; unknown patients with 404', async () => {
  const badAge = await post('/v1/decision-support/preliminary', { ...preliminary, age: -3 })
  assert.equal(badAge.status, 400)
  assert.match(String(badAge.body.message), /age/)
  const noComplaint = await post('/v1/decision-support/preliminary', { ...preliminary, complaints: [] })
  assert.equal(noComplaint.status, 400)
  assert.match(String(noComplaint.body.message), /complaints/)
  const extra = await post('/v1/decision-support/preliminary', { ...preliminary, name: 'Ivan Petrov' })
  assert.equal(extra.status, 400)
  const badCode = await post('/v1/decision-support/final-check', { encounter_id: 'enc-7', patient_id: 'pz-7', icd10: 'heart attack' })
  assert.equal(badCode.status, 400)
  assert.match(String(badCode.body.message), /icd10/)
  assert.equal((await post('/v1/decision-support/preliminary', preliminary, null)).status, 401)
  assert.equal((await post('/v1/decision-support/preliminary', preliminary, 'gw-token')).status, 401)
  const unknown = await post('/v1/decision-support/final-check', { encounter_id: 'enc-x', patient_id: 'pz-none', icd10: 'I21.9' })
  assert.equal(unknown.status, 404)
  assert.equal(unknown.body.error, 'NEVA_CORE_DX_UNKNOWN_PATIENT')
  const noStored = await post('/v1/decision-support/final-check', { encounter_id: 'enc-x', patient_id: 'pz-7', icd10: 'I21.9' })
  assert.equal(noStored.status, 400)
  assert.equal(noStored.body.error, 'NEVA_CORE_DX_NO_COMPLAINT')
})
