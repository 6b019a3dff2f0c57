// A patient's record as stored by the real paths (ingest batch, record events), for the FHIR
// tests; and the official R4 JSON schema check (fhir-schema.ts).
import type { Core } from '@neva/core'
import type { Alarm, LabResult, Observation, TriageResult } from '@neva/contracts'
import { EmrStore } from '@neva/analytics'

export { schemaErrors } from './fhir-schema.js'

let seq = 1
export async function seedPatient(core: Core, patient: string, t0: number, { vitals = 3 } = {}): Promise<void> {
  await new EmrStore(core.clickhouse).store([
    { type: 'patient', patient_id: patient, birth_year: 1958, sex: 'female', district: 'Central', updated_time: t0 },
    { type: 'diagnosis', diagnosis_id: `dx-${patient}`, encounter_id: `enc-${patient}`, patient_id: patient, icd10: 'J18.9', kind: 'preliminary', set_by: 'clinician', author_id: 'dr-17', time: t0 + 600_000 },
  ], 'his-test')
  const observations: Observation[] = []
  for (let i = 0; i < vitals; i++) {
    const t = t0 + i * 60_000
    observations.push({ gateway_id: 'gw-1', seq: seq++, device_id: 'mon-1', patient_id: patient, source: 'mqtt', mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 94 + (i % 3), unit: '%', device_time: t, received_time: t + 50, flags: [] })
    observations.push({ gateway_id: 'gw-1', seq: seq++, device_id: 'mon-1', patient_id: patient, source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: 80 + i, unit: '/min', device_time: t, received_time: t + 50, flags: [] })
  }
  const triage: TriageResult[] = [{
    gateway_id: 'gw-1', seq: seq++, patient_id: patient, time: t0 + 120_000, level: 'yellow', model_version: 'news2-rcp-2017',
    news2: { score: 3, partial: true, subscores: { respiratory_rate: 3, spo2: 0, on_oxygen: null, systolic_bp: null, pulse: 0, consciousness: null, temperature: null }, missing: ['on_oxygen', 'systolic_bp', 'consciousness', 'temperature'], level: 'yellow', spo2_scale: 1 },
    inputs: { respiratory_rate: { value: 7, time: t0 }, spo2: { value: 97, time: t0 }, on_oxygen: null, systolic_bp: null, pulse: { value: 80, time: t0 }, consciousness: null, temperature: null },
  }]
  const lab = (test_code: string, loinc: string | null, value: string, numeric: number | null): LabResult => ({
    gateway_id: 'gw-1', seq: seq++, device_id: 'analyzer-1', source: 'astm', order_id: `ord-${patient}`, patient_id: patient, test_code, loinc, value, numeric_value: numeric,
    unit: numeric === null ? '' : 'mmol/L', reference_range: numeric === null ? '' : '3.9-6.1', abnormal_flag: numeric !== null && numeric > 6.1 ? 'H' : null, status: 'F',
    result_time: t0 + 900_000, received_time: t0 + 901_000, comments: numeric === null ? ['repeat requested'] : [],
  })
  const alarms: Alarm[] = [{
    gateway_id: 'gw-1', seq: seq++, alarm_id: `mon-1/0^${patient}^0000000000000001^EUI-64-and-a-long-tail-so-the-id-is-hashed`, device_id: 'mon-1', source: 'hl7v2', patient_id: patient, ward: 'ICU', room: null, bed: '1', facility: null,
    event_code: 196648, event_name: 'MDC_EVT_HI', event_text: 'HR high', source_code: 147842, source_name: 'MDC_ECG_HEART_RATE', alert_type: 'physiological', priority: 'high',
    state: 'active', phase: 'start', alarm_state: 'active', inactivation_state: null, value: 150, unit: '/min', limit_low: 50, limit_high: 120, device_time: t0 + 30_000, received_time: t0 + 30_100,
  }]
  await core.store.storeBatch({
    gateway_id: 'gw-1', batch_id: `fhir-${patient}-${seq}`, sent_time: Date.now(), observations, triage, rejected: [],
    lab_results: [lab('GLU', '2345-7', '7.2', 7.2), lab('HIV', null, 'NEG', null)], alarms,
  } as never)
}
