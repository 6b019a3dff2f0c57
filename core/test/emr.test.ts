// Record events from a hospital system through the real embedded ClickHouse.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EmrEvent } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'

const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-emr-')) },
  gateways: { 'gw-1': hashToken('gw-token') },
  emrSystems: { 'his-north': hashToken('his-token') },
  logLevel: 'silent',
  bodyLimit: 8 * 1024 * 1024,
})
after(() => core.close())

const T0 = Date.UTC(2026, 10, 20, 9)
const post = async (body: unknown, token: string | null = 'his-token') => {
  const res = await fetch(`${core.url}/v1/emr/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const count = async (sql: string) => {
  const rs = await core.clickhouse.client.query({ query: sql, format: 'JSONEachRow' })
  return Number(((await rs.json()) as Array<{ n: string }>)[0]!.n)
}

const events: EmrEvent[] = [
  { type: 'patient', patient_id: 'pz-001', birth_year: 1958, sex: 'female', district: 'Central', updated_time: T0 },
  { type: 'encounter', encounter_id: 'enc-1', patient_id: 'pz-001', kind: 'ed_arrival', site: 'City Hospital 1', ward: null, start_time: T0, end_time: null, updated_time: T0 },
  { type: 'complaint', complaint_id: 'c-1', encounter_id: 'enc-1', patient_id: 'pz-001', time: T0 + 60_000, text: 'Кашель, температура 38,5 три дня, одышка', language: 'ru', codes: ['R05', 'R50.9'] },
  { type: 'diagnosis', diagnosis_id: 'd-1', encounter_id: 'enc-1', patient_id: 'pz-001', icd10: 'J18.9', kind: 'preliminary', set_by: 'clinician', author_id: 'dr-17', time: T0 + 600_000 },
]

test('record events are stored with their source; a resent batch is stored once; an update replaces', async () => {
  const first = await post({ events })
  assert.equal(first.status, 200, JSON.stringify(first.body))
  assert.deepEqual(first.body, { patients: 1, encounters: 1, complaints: 1, diagnoses: 1 })
  assert.equal((await post({ events })).status, 200)
  assert.equal(await count("SELECT count() AS n FROM complaints WHERE patient_id = 'pz-001'"), 1)
  assert.equal(await count("SELECT count() AS n FROM diagnoses WHERE icd10 = 'J18.9' AND source = 'his-north'"), 1)
  // The encounter ends: a new version of the same row.
  const ended = { ...events[1]!, end_time: T0 + 7_200_000, updated_time: T0 + 7_200_000 } as EmrEvent
  assert.equal((await post({ events: [ended] })).status, 200)
  assert.equal(await count("SELECT count() AS n FROM encounters FINAL WHERE encounter_id = 'enc-1' AND end_time IS NOT NULL"), 1)
  assert.equal(await count("SELECT count() AS n FROM encounters FINAL WHERE encounter_id = 'enc-1'"), 1)
  const [text] = await (await core.clickhouse.client.query({ query: "SELECT text FROM complaints WHERE complaint_id = 'c-1'", format: 'JSONEachRow' })).json<{ text: string }>()
  assert.equal(text!.text, events[2]!.type === 'complaint' ? events[2]!.text : '')
})

test('record events are refused without a system token, with a gateway token, and when invalid (naming the field)', async () => {
  assert.equal((await post({ events }, null)).status, 401)
  assert.equal((await post({ events }, 'gw-token')).status, 401)
  const bad = await post({ events: [{ ...events[3]!, icd10: 'pneumonia' }] })
  assert.equal(bad.status, 400)
  assert.match(String(bad.body.message), /icd10/)
  const unknown = await post({ events: [{ ...events[0]!, name: 'Ivan Petrov' }] })
  assert.equal(unknown.status, 400)
  assert.equal(await count("SELECT count() AS n FROM emr_patients WHERE patient_id = 'pz-001'"), 1)
})
