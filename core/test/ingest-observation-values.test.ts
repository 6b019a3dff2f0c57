// An observation is a number or words, exactly one: what a gateway sends otherwise (neither, both,
// words under a named vital) is kept aside at ingest as a rejected reading with its own seq and a
// reason, and the good readings of the same batch are stored.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Observation } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'

const core = await startCore({
  host: '127.0.0.1', port: 0, logLevel: 'silent',
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-values-')) },
  gateways: { 'gw-v': hashToken('tok-v') },
})
after(() => core.close())

const T = Date.UTC(2026, 10, 25, 10)
const base = { gateway_id: 'gw-v', device_id: 'mon-v', patient_id: 'p-v', source: 'hl7v2' as const, loinc: '', unit: '', device_time: T, received_time: T, flags: [] }
const observations: Observation[] = [
  { ...base, seq: 1, mdc_code: 147842, name: 'heart_rate', value: 80, unit: '/min' },
  { ...base, seq: 2, mdc_code: 184327, name: 'other', value_text: 'MDC_ECG_SINUS_RHY' },
  { ...base, seq: 3, mdc_code: 184327, name: 'other' },
  { ...base, seq: 4, mdc_code: 147842, name: 'heart_rate', value_text: 'fast' },
  { ...base, seq: 5, mdc_code: 184327, name: 'other', value: 1, value_text: 'one' },
  // A gateway passing a device's reading off as one the patient entered at home (FHIR would mark it so).
  { ...base, seq: 6, mdc_code: 150456, name: 'spo2', value: 97, unit: '%', flags: ['patient_reported'] },
]

test('observations with neither, both, or words under a named vital, or claiming to be patient-reported, are kept aside with the reason; the others stored', async () => {
  const res = await fetch(`${core.url}/v1/ingest`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer tok-v' },
    body: JSON.stringify({ gateway_id: 'gw-v', batch_id: 'v-1', sent_time: T, observations, triage: [], rejected: [] }),
  })
  assert.equal(res.status, 200, await res.text())
  const rows = async (q: string) => (await (await core.clickhouse.client.query({ query: q, format: 'JSONEachRow' })).json<Record<string, unknown>>())
  assert.deepEqual((await rows("SELECT seq FROM observations WHERE gateway_id = 'gw-v' ORDER BY seq")).map((r) => Number(r.seq)), [1, 2])
  const refused = await rows("SELECT seq, code, reason FROM rejected_readings WHERE gateway_id = 'gw-v' ORDER BY seq")
  assert.deepEqual(refused.map((r) => [Number(r.seq), r.code]), [[3, 'NEVA_CORE_OBSERVATION_VALUE'], [4, 'NEVA_CORE_OBSERVATION_VALUE'], [5, 'NEVA_CORE_OBSERVATION_VALUE'], [6, 'NEVA_CORE_OBSERVATION_PATIENT_REPORTED']])
  assert.match(String(refused[0]!.reason), /neither a number/)
  assert.match(String(refused[1]!.reason), /heart_rate is a named vital: it needs a number/)
  assert.match(String(refused[2]!.reason), /both a number/)
  assert.match(String(refused[3]!.reason), /flagged patient_reported/)
})
