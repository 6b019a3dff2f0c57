// Text and coded observations through the FHIR API: an ECG rhythm sent as words is valueString, a
// pump's coded state is valueCodeableConcept (MDC code, its words), both valid R4 and never a
// quantity (their stored number is NaN, not 0).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Observation } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { admit, userClient, TEST_SITE } from './people-helpers.js'
import { schemaErrors } from './fhir-fixtures.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-fhir-text-')) },
  gateways: { 'gw-1': hashToken('gw-token') },
})
after(() => core.close())

const T0 = Date.UTC(2026, 10, 20, 9)
await admit(core, ['fhir-t'])
const base = { gateway_id: 'gw-1', device_id: 'mon-1', patient_id: 'fhir-t', source: 'hl7v2' as const, loinc: '', name: 'other' as const, unit: '', received_time: T0, flags: [] }
const observations: Observation[] = [
  { ...base, seq: 1, mdc_code: 184327, loinc: '8884-9', device_label: 'MDC_ECG_STAT_RHY', value_text: 'MDC_ECG_SINUS_RHY', device_time: T0 },
  { ...base, seq: 2, mdc_code: 68487, device_label: 'MDC_ATTR_EVT_COND', value_text: 'MDC_EVT_PUMP_DELIV_START', value_code: '197288', value_system: 'MDC', device_time: T0 + 1000 },
  { ...base, seq: 3, mdc_code: 147236, name: 'other', value: 416, unit: 'ms', device_label: 'MDC_ECG_TIME_PD_QTc', device_time: T0 + 2000 },
]
await core.store.storeBatch({ gateway_id: 'gw-1', batch_id: 'fhir-text-1', sent_time: T0, observations, triage: [], rejected: [] })
const nurse = await userClient(core, { id: 'fhir-t-nurse', name: 'Nurse', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })

test('a rhythm is valueString, a coded state valueCodeableConcept, a number valueQuantity; all valid R4', async () => {
  const res = await nurse.fetch('/fhir/R4/Observation?patient=fhir-t')
  assert.equal(res.status, 200)
  const body = (await res.json()) as { entry: Array<{ resource: Record<string, any> }> }
  const byLabel = new Map(body.entry.map((e) => [e.resource.code.text as string, e.resource]))
  for (const r of byLabel.values()) assert.deepEqual(schemaErrors(r), [], JSON.stringify(r))
  const rhythm = byLabel.get('MDC_ECG_STAT_RHY')!
  assert.equal(rhythm.valueString, 'MDC_ECG_SINUS_RHY')
  assert.equal(rhythm.valueQuantity, undefined)
  const state = byLabel.get('MDC_ATTR_EVT_COND')!
  assert.deepEqual(state.valueCodeableConcept, { coding: [{ system: 'urn:iso:std:iso:11073:10101', code: '197288', display: 'MDC_EVT_PUMP_DELIV_START' }], text: 'MDC_EVT_PUMP_DELIV_START' })
  assert.equal(state.valueQuantity, undefined)
  assert.deepEqual(byLabel.get('MDC_ECG_TIME_PD_QTc')!.valueQuantity, { value: 416, unit: 'ms', system: 'http://unitsofmeasure.org', code: 'ms' })
})
