// A small clinical data set for the analyst tests: two patients known by their MRN, vitals,
// triage (one deteriorating in the last hour), lab results and refused readings.
// Shared as @neva/analytics/analyst-fixture: the core's and the cli's analyst tests load the same rows.
import type { ClickHouse } from '@neva/analytics'
import { labResultRow, observationRow, rejectedRow, triageRow } from '@neva/analytics'

export const MRN_A = 'MRN-0042'
export const MRN_B = 'MRN-0077'
export const T0 = Date.parse('2026-03-01T08:00:00Z')

const settings = { input_format_skip_unknown_fields: 0 as const, insert_deduplication_token: '', async_insert: 0 as const }

function triage(seq: number, patient_id: string, time: number, level: 'green' | 'yellow' | 'red', score: number) {
  const subscores = { respiratory_rate: 0, spo2: 0, on_oxygen: 0, systolic_bp: 0, pulse: 0, consciousness: 0, temperature: 0 }
  const inputs = { respiratory_rate: null, spo2: null, on_oxygen: null, systolic_bp: null, pulse: null, consciousness: null, temperature: null }
  return triageRow({ gateway_id: 'gw-1', seq, patient_id, time, level, news2: { score, partial: false, subscores, missing: [], level, spo2_scale: 1 }, model_version: 'news2-rcp-2017', inputs })
}

export async function insertFixture(ch: ClickHouse, now = Date.now()): Promise<void> {
  const o = { gateway_id: 'gw-1', device_id: 'mon-1', source: 'mqtt' as const, mdc_code: 150456, loinc: '59408-5', name: 'spo2' as const, unit: '%', flags: [] }
  await ch.client.insert({
    table: 'observations',
    values: [
      observationRow({ ...o, seq: 1, patient_id: MRN_A, value: 97, device_time: T0, received_time: T0 + 1000 }),
      observationRow({ ...o, seq: 2, patient_id: MRN_A, value: 93, device_time: T0 + 60_000, received_time: T0 + 61_000 }),
      observationRow({ ...o, seq: 3, patient_id: MRN_B, value: 99, device_time: T0, received_time: T0 + 500, device_id: 'ox-7', source: 'serial' as const }),
    ],
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
  await ch.client.insert({
    table: 'triage_results',
    values: [
      triage(10, MRN_A, T0 + 1000, 'green', 1),
      triage(11, MRN_A, T0 + 61_000, 'yellow', 5),
      // In the last hour: A rises from green (before the hour) to red; B stays green.
      triage(12, MRN_A, now - 2 * 3600_000, 'green', 1),
      triage(13, MRN_A, now - 10 * 60_000, 'red', 8),
      triage(14, MRN_B, now - 20 * 60_000, 'green', 0),
    ],
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
  const lab = { gateway_id: 'gw-1', device_id: 'an-1', source: 'astm' as const, loinc: '2345-7', unit: 'mmol/L', reference_range: '3.9-6.1', abnormal_flag: null, status: 'F', comments: ['call Dr Smith re MRN-0042'] }
  await ch.client.insert({
    table: 'lab_results',
    values: [
      labResultRow({ ...lab, seq: 20, order_id: 'ORD-1', patient_id: MRN_A, test_code: 'GLU', value: '5.4', numeric_value: 5.4, result_time: T0 + 30_000, received_time: T0 + 40_000 }),
      labResultRow({ ...lab, seq: 21, order_id: 'ORD-2', patient_id: MRN_B, test_code: 'GLU', value: '6.0', numeric_value: 6.0, result_time: T0, received_time: T0 + 20_000 }),
      labResultRow({ ...lab, seq: 22, order_id: null, patient_id: null, test_code: 'K', loinc: '2823-3', value: '4.1', numeric_value: 4.1, result_time: null, received_time: T0 + 5000 }),
    ],
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
  await ch.client.insert({
    table: 'rejected_readings',
    values: [
      rejectedRow({ gateway_id: 'gw-1', seq: 30, source: 'mqtt', origin: 'neva/vitals/mon-1', received_time: T0, code: 'NEVA_MQTT_BAD_JSON', reason: 'not JSON', payload: `{"patient":"${MRN_A}"` }),
      rejectedRow({ gateway_id: 'gw-1', seq: 31, source: 'mqtt', origin: 'neva/vitals/mon-1', received_time: T0 + 1000, code: 'NEVA_MQTT_BAD_JSON', reason: 'not JSON', payload: '{' }),
      rejectedRow({ gateway_id: 'gw-1', seq: 32, source: 'hl7v2', origin: 'mllp', received_time: T0 + 2000, code: 'NEVA_HL7_NO_MSH', reason: 'no MSH segment', payload: 'PID|' }),
    ],
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
}
