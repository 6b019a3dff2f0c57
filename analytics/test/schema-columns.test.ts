// The contracts' schemas and the ClickHouse columns must agree: every field has a column of a
// compatible type, and every column without a default comes from a field.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TObject, TSchema } from '@sinclair/typebox'
import { Alarm, Complaint, CtgVerdict, Diagnosis, EmrPatient, Encounter, LabResult, ModelVerdict, Observation, Order, RejectedReading, Transport, TriageResult, WaveformChunk } from '@neva/contracts'
import { connectClickHouse, labResultRow, migrate, observationRow, rejectedRow, triageRow, waveformRow } from '@neva/analytics'

const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-ch-')) })
await migrate(ch)
after(() => ch.close())

async function columns(table: string): Promise<Map<string, { type: string; default_type: string }>> {
  const rs = await ch.client.query({ query: `DESCRIBE TABLE ${table}`, format: 'JSONEachRow' })
  return new Map((await rs.json<{ name: string; type: string; default_type: string }>()).map((c) => [c.name, c]))
}

/** The ClickHouse types a JSON-schema kind may be stored in. */
function compatible(schema: TSchema, type: string): boolean {
  if (schema.type === 'null') return /^(LowCardinality\()?Nullable\(/.test(type)
  const t = type.replace(/^LowCardinality\((.*)\)$/, '$1').replace(/^Nullable\((.*)\)$/, '$1').replace(/^LowCardinality\((.*)\)$/, '$1')
  if (schema.type === 'object' && t.startsWith('Map(')) {
    const valueType = t.slice(t.indexOf(',') + 1, -1).trim()
    return Object.values(schema.properties as Record<string, TSchema>).every((v) => compatible(v, valueType))
  }
  if (schema.anyOf) return (schema.anyOf as TSchema[]).every((s) => compatible(s, type))
  if (schema.const !== undefined) return typeof schema.const === 'string' ? t === 'String' : /^U?Int/.test(t)
  switch (schema.type) {
    case 'string': return t === 'String'
    case 'integer': return /^U?Int(8|16|32|64)$/.test(t) || t.startsWith('DateTime64')
    case 'number': return t === 'Float64'
    case 'boolean': return t === 'Bool'
    case 'array': return t.startsWith('Array(') && compatible(schema.items as TSchema, t.slice(6, -1))
    default: return false
  }
}

function check(table: string, schema: TObject, flatten: (name: string, s: TSchema) => Array<[string, TSchema]> = (n, s) => [[n, s]]) {
  return async () => {
    const cols = await columns(table)
    const fields = Object.entries(schema.properties).flatMap(([n, s]) => flatten(n, s))
    for (const [name, s] of fields) {
      const col = cols.get(name)
      assert.ok(col, `${table}: no column for field ${name}`)
      assert.ok(compatible(s, col.type), `${table}.${name}: ${col.type} cannot hold ${JSON.stringify(s.type ?? s.anyOf ?? s.const)}`)
    }
    const names = new Set(fields.map(([n]) => n))
    for (const [name, col] of cols) {
      if (!names.has(name)) assert.ok(col.default_type !== '', `${table}.${name}: column has no field in contracts and no default`)
    }
  }
}

test('Observation ↔ observations', check('observations', Observation))
test('RejectedReading ↔ rejected_readings', check('rejected_readings', RejectedReading))
test('LabResult ↔ lab_results', check('lab_results', LabResult))
test('WaveformChunk ↔ waveforms', check('waveforms', WaveformChunk))
test('Transport ↔ transports', check('transports', Transport))
test('Order ↔ orders', check('orders', Order))
test('Alarm ↔ alarms', check('alarms', Alarm))
// Record events lose their `type` discriminator and gain the sending system as `source`.
const event = (name: string, s: TSchema): Array<[string, TSchema]> => (name === 'type' ? [['source', { type: 'string' } as unknown as TSchema]] : [[name, s]])
test('EmrPatient ↔ emr_patients', check('emr_patients', EmrPatient, event))
test('Encounter ↔ encounters', check('encounters', Encounter, event))
test('Complaint ↔ complaints', check('complaints', Complaint, event))
test('Diagnosis ↔ diagnoses', check('diagnoses', Diagnosis, event))
test('TriageResult ↔ triage_results (news2 flattened, inputs as JSON)', check('triage_results', TriageResult, (name, s) => {
  if (name === 'news2') {
    return Object.entries((s as TObject).properties).map(([k, v]) => [
      k === 'subscores' ? 'news2_subscores' : k === 'spo2_scale' ? 'spo2_scale' : `news2_${k}`,
      v,
    ])
  }
  if (name === 'inputs') return [['inputs', { type: 'string' } as unknown as TSchema]]
  // The verdict flattened: level, probabilities as a map, drivers as JSON; id@version in model_version.
  if (name === 'model') {
    return [
      ['model_level', ModelVerdict.properties.level],
      ['model_probabilities', ModelVerdict.properties.probabilities],
      ['model_drivers', { type: 'string' } as unknown as TSchema],
      ['model_risk', ModelVerdict.properties.risk],
      ['model_risk_model', ModelVerdict.properties.risk_model],
      ['model_risk_inputs', ModelVerdict.properties.risk_inputs],
      ['model_risk_sparse', ModelVerdict.properties.sparse],
    ]
  }
  return [[name, s]]
}))

test('rows built from contract values insert into their tables', async () => {
  const now = Date.now()
  const o = { gateway_id: 'g', seq: 1, device_id: 'd', patient_id: 'p', source: 'mqtt' as const, mdc_code: 150456, loinc: '59408-5', name: 'spo2' as const, value: 97, unit: '%', device_time: now, received_time: now, flags: ['artifact' as const] }
  await ch.client.insert({ table: 'observations', values: [observationRow(o)], format: 'JSONEachRow', clickhouse_settings: { input_format_skip_unknown_fields: 0, insert_deduplication_token: '' } })
  await ch.client.insert({ table: 'rejected_readings', values: [rejectedRow({ gateway_id: 'g', seq: 2, source: 'mqtt', origin: 'x', received_time: now, code: 'C', reason: 'r', payload: '{' })], format: 'JSONEachRow', clickhouse_settings: { input_format_skip_unknown_fields: 0, insert_deduplication_token: '' } })
  const subscores = { respiratory_rate: 1, spo2: null, on_oxygen: 0, systolic_bp: 0, pulse: 0, consciousness: 0, temperature: 0 }
  const inputs = { respiratory_rate: { value: 21, time: now }, spo2: null, on_oxygen: null, systolic_bp: null, pulse: null, consciousness: null, temperature: null }
  await ch.client.insert({ table: 'triage_results', values: [triageRow({ gateway_id: 'g', seq: 3, patient_id: 'p', time: now, level: 'green', news2: { score: 1, partial: true, subscores, missing: ['spo2'], level: 'green', spo2_scale: 1 }, model_version: 'news2-rcp-2017', inputs })], format: 'JSONEachRow', clickhouse_settings: { input_format_skip_unknown_fields: 0, insert_deduplication_token: '' } })
  const rs = await ch.client.query({ query: "SELECT toUnixTimestamp64Milli(device_time) AS t, flags FROM observations", format: 'JSONEachRow' })
  const [row] = await rs.json<{ t: string | number; flags: string[] }>()
  assert.deepEqual([Number(row!.t), row!.flags], [now, ['artifact']])
  const tr = await ch.client.query({ query: "SELECT news2_subscores['spo2'] AS s, news2_subscores['respiratory_rate'] AS r FROM triage_results", format: 'JSONEachRow' })
  assert.deepEqual(await tr.json(), [{ s: null, r: 1 }])
})

test('lab results and waveform chunks insert and read back, missing stays missing', async () => {
  const now = Date.now()
  const settings = { input_format_skip_unknown_fields: 0 as const, insert_deduplication_token: '' }
  const lab = { gateway_id: 'g', seq: 10, device_id: 'an-1', source: 'astm' as const, order_id: null, patient_id: 'p', test_code: 'GLU', loinc: '2345-7', value: '5.4', numeric_value: 5.4, unit: 'mmol/L', reference_range: '3.9-6.1', abnormal_flag: null, status: 'F', result_time: null, received_time: now, comments: ['haemolysed'] }
  await ch.client.insert({ table: 'lab_results', values: [labResultRow(lab), labResultRow({ ...lab, seq: 11, value: 'POS', numeric_value: null, patient_id: null, result_time: now })], format: 'JSONEachRow', clickhouse_settings: settings })
  const lr = await ch.client.query({ query: 'SELECT seq, numeric_value, patient_id, result_time IS NULL AS no_time, comments FROM lab_results ORDER BY seq', format: 'JSONEachRow' })
  assert.deepEqual(await lr.json(), [
    { seq: 10, numeric_value: 5.4, patient_id: 'p', no_time: 1, comments: ['haemolysed'] },
    { seq: 11, numeric_value: null, patient_id: null, no_time: 0, comments: ['haemolysed'] },
  ])
  const w = { gateway_id: 'g', seq: 12, device_id: 'tab-1', patient_id: 'p', lead: 'II' as const, mdc_code: 131330, start_time: now, sample_rate_hz: 500, resolution_uv: 2.5, samples: [0, -32768, 32767, 12], received_time: now }
  await ch.client.insert({ table: 'waveforms', values: [waveformRow(w)], format: 'JSONEachRow', clickhouse_settings: settings })
  const wr = await ch.client.query({ query: 'SELECT samples, toUnixTimestamp64Milli(start_time) AS t FROM waveforms', format: 'JSONEachRow' })
  const [row] = await wr.json<{ samples: number[]; t: string | number }>()
  assert.deepEqual([row!.samples, Number(row!.t)], [[0, -32768, 32767, 12], now])
})
test('CtgVerdict ↔ ctg_verdicts', check('ctg_verdicts', CtgVerdict))

test('a triage row keeps the deterioration risk, and NULL (never 0) when the model did not run', async () => {
  const now = Date.now()
  const settings = { input_format_skip_unknown_fields: 0 as const, insert_deduplication_token: '' }
  const subscores = { respiratory_rate: 0, spo2: 0, on_oxygen: 0, systolic_bp: 0, pulse: 0, consciousness: 0, temperature: 0 }
  const inputs = { respiratory_rate: null, spo2: null, on_oxygen: null, systolic_bp: null, pulse: null, consciousness: null, temperature: null }
  const base = { gateway_id: 'g', patient_id: 'risk-p', time: now, level: 'green' as const, news2: { score: 0, partial: false, subscores, missing: [], level: 'green' as const, spo2_scale: 1 as const }, inputs }
  const verdict = { id: 'm', version: '1', level: 'green' as const, probabilities: { green: 1, yellow: 0, red: 0 }, drivers: [] }
  await ch.client.insert({
    table: 'triage_results',
    values: [
      triageRow({ ...base, seq: 20, model_version: 'm@1', model: { ...verdict, risk: 0.1234, risk_model: 'risk@2', risk_inputs: ['pulse', 'age'], sparse: 'only 1 of 6' } }),
      triageRow({ ...base, seq: 21, model_version: 'm@1', model: verdict }),
      triageRow({ ...base, seq: 22, model_version: 'news2-rcp-2017', model: null }),
    ],
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  })
  const rs = await ch.client.query({ query: "SELECT seq, model_risk, model_risk_model, model_risk_inputs, model_risk_sparse FROM triage_results WHERE patient_id = 'risk-p' ORDER BY seq", format: 'JSONEachRow' })
  assert.deepEqual(await rs.json(), [
    { seq: 20, model_risk: 0.1234, model_risk_model: 'risk@2', model_risk_inputs: ['pulse', 'age'], model_risk_sparse: 'only 1 of 6' },
    { seq: 21, model_risk: null, model_risk_model: '', model_risk_inputs: [], model_risk_sparse: '' },
    { seq: 22, model_risk: null, model_risk_model: '', model_risk_inputs: [], model_risk_sparse: '' },
  ])
})
