// The named query library: every file parses and validates, parameters are checked against their
// types, and every query runs through the analyst path on a small data set with expected answers.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AlarmStore, AnalystError, DxSuggestionStore, EmrStore, TelemetryStore, bindParams, connectClickHouse, loadQueries, migrate, openAnalyst, parseNamedQuery, runNamedQuery } from '@neva/analytics'
import { insertFixture, T0 } from './analyst-fixture.js'

const dir = mkdtempSync(join(tmpdir(), 'neva-queries-'))
const ch = await connectClickHouse({ path: dir })
await migrate(ch)
await insertFixture(ch)
const analyst = await openAnalyst(ch, { path: dir }, { secret: 'queries-secret' })
after(async () => {
  await analyst.close()
  await ch.close()
})
const queries = loadQueries()
const range = { from: new Date(T0 - 3600_000).toISOString(), to: new Date(T0 + 3600_000).toISOString() }
const run = (name: string, params: Record<string, string> = {}) => runNamedQuery(analyst, queries.get(name)!, params, { user: 'analyst:q', via: 'test' })

test('the library loads: each query has a description and declares exactly the parameters it uses', () => {
  assert.deepEqual([...queries.keys()], ['alarms-by-ward', 'ctg-by-classification', 'current-triage', 'deterioration-last-hour', 'dx-agreement', 'ed-load-by-hour', 'infusions-by-ward', 'lab-order-set-share', 'lab-order-turnaround', 'lab-orders-overdue', 'lab-turnaround', 'lab-unmatched-results', 'observations-by-code', 'patient-timeline', 'readings-by-source', 'refused-readings', 'surveys-answered-overdue', 'surveys-high-risk-share', 'surveys-time-to-review', 'ward-census'])
  for (const q of queries.values()) assert.ok(q.description.length > 20, q.name)
  assert.deepEqual(queries.get('patient-timeline')!.params.map((p) => `${p.name}:${p.type}`), ['patient:String', "from:DateTime64(3, 'UTC')", "to:DateTime64(3, 'UTC')"])
  assert.throws(() => parseNamedQuery('x', 'SELECT 1'), /first line must be a "-- description"/)
  assert.throws(() => parseNamedQuery('x', '-- d\nSELECT {a:String}'), /\{a:String\} is used but not declared/)
  assert.throws(() => parseNamedQuery('x', '-- d\n-- @param a String the a\nSELECT 1'), /a is declared but never used/)
  assert.throws(() => parseNamedQuery('x', '-- d\n-- @param a UInt8 the a\nSELECT {a:String}'), /does not match its declared type UInt8/)
  assert.throws(() => parseNamedQuery('x', '-- d\n-- @param a Tuple(x) the a\nSELECT {a:Tuple(x)}'), /unsupported type/)
})

test('parameter values are checked against their declared type with a clear error', () => {
  const q = parseNamedQuery('t', "-- d\n-- @param n UInt8 a number\n-- @param at DateTime64(3, 'UTC') a time\nSELECT {n:UInt8}, {at:DateTime64(3, 'UTC')}")
  assert.deepEqual(bindParams(q, { n: '7', at: '2026-03-01T08:00:00Z' }), { n: '7', at: '2026-03-01 08:00:00.000' })
  assert.deepEqual(bindParams(q, { n: '7', at: String(T0) }), { n: '7', at: '2026-03-01 08:00:00.000' })
  assert.throws(() => bindParams(q, { n: '300', at: '2026-03-01' }), /n \(UInt8\): out of range 0…255/)
  assert.throws(() => bindParams(q, { n: 'x', at: '2026-03-01' }), /n \(UInt8\): expected an integer/)
  assert.throws(() => bindParams(q, { n: '1', at: 'yesterday' }), /at \(DateTime64\(3, 'UTC'\)\): expected an ISO 8601 time/)
  assert.throws(() => bindParams(q, { n: '1' }), /t needs at/)
  assert.throws(() => bindParams(q, { n: '1', at: '2026-03-01', bogus: '1' }), /no parameter bogus/)
})

test('current-triage: the latest level of each patient, most urgent first', async () => {
  const res = await run('current-triage')
  assert.deepEqual(res.rows.map((r) => r.current_level), ['red', 'green'])
  assert.deepEqual(res.rows.map((r) => Number(r.news2)), [8, 0])
  for (const r of res.rows) assert.match(String(r.patient_id), /^[0-9a-f]{32}$/)
})

test('deterioration-last-hour: only the patient whose level rose', async () => {
  const res = await run('deterioration-last-hour')
  assert.equal(res.count, 1)
  assert.equal(res.rows[0]!.from_level, 'green')
  assert.equal(res.rows[0]!.current_level, 'red')
})

test('patient-timeline: vitals, triage and labs of one pseudonymous patient in order', async () => {
  const current = await run('current-triage')
  const patient = String(current.rows[0]!.patient_id)
  const res = await run('patient-timeline', { patient, ...range })
  assert.deepEqual(res.rows.map((r) => `${r.kind}:${r.name}:${r.value}`), [
    'vital:spo2:97', 'triage:triage_level:green', 'lab:GLU:5.4', 'vital:spo2:93', 'triage:triage_level:yellow',
  ])
  assert.equal((await run('patient-timeline', { patient: 'MRN-0042', ...range })).count, 0, 'the raw id finds nothing')
  await assert.rejects(run('patient-timeline', { patient, from: 'soon', to: range.to }), (err: unknown) => err instanceof AnalystError && err.code === 'NEVA_ANALYST_PARAM' && /from/.test(err.message))
  const rs = await ch.client.query({ query: "SELECT outcome, params['from'] AS f FROM analyst_audit WHERE query_name = 'patient-timeline' ORDER BY at", format: 'JSONEachRow' })
  assert.deepEqual((await rs.json<{ outcome: string }>()).map((r) => r.outcome), ['ok', 'ok', 'refused'])
})

test('lab-turnaround: percentiles of result → received per test', async () => {
  const res = await run('lab-turnaround', range)
  assert.deepEqual(res.rows.map((r) => [r.test_code, Number(r.results), r.p50_s, r.max_s]), [['GLU', 2, 15, 20]])
})

test('readings-by-source: counts per source and device', async () => {
  const res = await run('readings-by-source', range)
  assert.deepEqual(res.rows.map((r) => [r.source, r.device_id, Number(r.readings), Number(r.patients)]), [['mqtt', 'mon-1', 2, 1], ['serial', 'ox-7', 1, 1]])
})

test('refused-readings: counts per code and source', async () => {
  const res = await run('refused-readings', range)
  assert.deepEqual(res.rows.map((r) => [r.code, r.source, Number(r.refused), r.example_reason]), [['NEVA_MQTT_BAD_JSON', 'mqtt', 2, 'not JSON'], ['NEVA_HL7_NO_MSH', 'hl7v2', 1, 'no MSH segment']])
})

test('alarms-by-ward: distinct alarms per ward by priority over the period, from the rollup', async () => {
  const base = {
    gateway_id: 'gw-q', device_id: 'mon-q', source: 'hl7v2' as const, patient_id: 'p-q', room: null, bed: '1', facility: null, event_code: 196670, event_name: 'MDC_EVT_LO',
    event_text: null, source_code: 150456, source_name: 'MDC_PULS_OXIM_SAT_O2', alert_type: 'physiological' as const, state: 'active' as const, phase: 'start',
    alarm_state: 'active', inactivation_state: null, value: 85, unit: '%', limit_low: 90, limit_high: null, device_time: T0, received_time: T0,
  }
  const alarms = [
    { ...base, seq: 1, alarm_id: 'mon-q/1', ward: 'ICU', priority: 'high' as const },
    { ...base, seq: 2, alarm_id: 'mon-q/1', ward: 'ICU', priority: 'high' as const, phase: 'end', state: 'inactive' as const, device_time: T0 + 60_000 },
    { ...base, seq: 3, alarm_id: 'mon-q/2', ward: 'ICU', priority: 'low' as const },
    { ...base, seq: 4, alarm_id: 'mon-q/3', ward: 'WARD-5', priority: null },
    // Outside the period: not counted.
    { ...base, seq: 5, alarm_id: 'mon-q/4', ward: 'ICU', priority: 'high' as const, device_time: T0 + 7200_000 },
  ]
  await new TelemetryStore(ch).storeBatch({ gateway_id: 'gw-q', batch_id: 'q-1', sent_time: T0, observations: [], triage: [], rejected: [], alarms })
  const res = await run('alarms-by-ward', range)
  assert.deepEqual(res.rows.map((r) => [r.ward, Number(r.high), Number(r.low), Number(r.priority_not_given), Number(r.alarms), Number(r.updates)]), [['ICU', 1, 1, 0, 2, 3], ['WARD-5', 0, 0, 1, 1, 1]])
  assert.deepEqual(res.tables, ['analyst.alarms_per_ward_hour'])
  assert.equal((await new AlarmStore(ch).active()).length, 3)
})

test('dx-agreement: suggestions per top-1 code and how often the clinician agreed at top-1 and top-3', async () => {
  const emr = new EmrStore(ch)
  const dx = new DxSuggestionStore(ch)
  const model = { id: 'dx-nb', version: 1 }
  const cases: Array<[string, string, string[]]> = [['E-1', 'J06.9', ['J06.9', 'J20.9', 'J18.9']], ['E-2', 'J20.9', ['J06.9', 'J20.9', 'J18.9']], ['E-3', 'I10', ['J06.9', 'J20.9', 'J18.9']], ['E-4', 'I10', ['I10', 'E11.9', 'I25.1']]]
  for (const [enc, final, suggested] of cases) {
    await emr.store([
      { type: 'encounter', encounter_id: enc, patient_id: `p-${enc}`, kind: 'outpatient', site: 'Clinic 1', ward: null, start_time: T0, end_time: null, updated_time: T0 },
      { type: 'diagnosis', diagnosis_id: `D-${enc}`, encounter_id: enc, patient_id: `p-${enc}`, icd10: final, kind: 'final', set_by: 'clinician', author_id: 'dr-a', time: T0 + 60_000 },
    ], 'his')
    await dx.record({ kind: 'preliminary', encounter_id: enc, patient_id: `p-${enc}`, model, suggestions: suggested.map((icd10, i) => ({ icd10, p: 0.5 - i / 10 })), source: 'his', time: T0 })
  }
  const res = await run('dx-agreement', { ...range, kind: 'final' })
  assert.deepEqual(res.rows.map((r) => [r.suggestion_kind, r.top1_code, Number(r.suggestions), Number(r.top1_matches), Number(r.top3_matches), r.top1_rate, r.top3_rate]), [
    ['preliminary', 'J06.9', 3, 1, 2, 0.333, 0.667],
    ['preliminary', 'I10', 1, 1, 1, 1, 1],
  ])
  assert.equal((await run('dx-agreement', { ...range, kind: 'preliminary' })).count, 0)
})

test('observations-by-code: coded metrics beyond the named vitals, by MDC or LOINC code; older rows without the new columns still read', async () => {
  const o = {
    gateway_id: 'gw-c', device_id: 'mon-c', patient_id: 'p-codes', source: 'hl7v2' as const, loinc: '8636-3', name: 'other' as const,
    unit: 'ms', device_time: T0, received_time: T0, flags: [] as const,
  }
  const observations = [
    { ...o, seq: 1, mdc_code: 147236, value: 416, device_label: 'MDC_ECG_TIME_PD_QTc', unit_as_sent: '264338^MDC_DIM_MILLI_SEC^MDC', flags: [] },
    { ...o, seq: 2, mdc_code: 147236, value: 440, device_label: 'MDC_ECG_TIME_PD_QTc', unit_as_sent: '264338^MDC_DIM_MILLI_SEC^MDC', flags: [] },
    // A unit Neva could not map: kept as sent, flagged, counted apart.
    { ...o, seq: 3, mdc_code: 147236, value: 0.45, unit: 'sec^^LOCAL', unit_as_sent: 'sec^^LOCAL', flags: ['unit_unmapped' as const] },
    // An older gateway's reading: no device_label, no unit_as_sent.
    { ...o, seq: 4, mdc_code: 147842, loinc: '8867-4', name: 'heart_rate' as const, unit: '/min', value: 80, flags: [] },
  ]
  await new TelemetryStore(ch).storeBatch({ gateway_id: 'gw-c', batch_id: 'c-1', sent_time: T0, observations, triage: [], rejected: [] })
  const byMdc = await run('observations-by-code', { mdc: '147236', loinc: '', ...range })
  assert.deepEqual(byMdc.rows.map((r) => [r.name, r.device_label, r.unit, Number(r.readings), Number(r.unmapped_units), Number(r.max_value)]), [
    ['other', 'MDC_ECG_TIME_PD_QTc', 'ms', 2, 0, 440], ['other', '', 'sec^^LOCAL', 1, 1, 0.45],
  ])
  for (const r of byMdc.rows) assert.match(String(r.patient_id), /^[0-9a-f]{32}$/)
  const byLoinc = await run('observations-by-code', { mdc: '0', loinc: '8867-4', ...range })
  assert.deepEqual(byLoinc.rows.map((r) => [r.name, Number(r.mdc_code), r.device_label, Number(r.readings)]), [['heart_rate', 147842, '', 1]])
  // The analyst view exposes the new columns.
  const rs = await analyst.withReader((reader) => reader.client.query({ query: "SELECT device_label, unit_as_sent FROM observations WHERE mdc_code = 147236 AND value = 416", format: 'JSONEachRow' }))
  assert.deepEqual(await rs.json(), [{ device_label: 'MDC_ECG_TIME_PD_QTc', unit_as_sent: '264338^MDC_DIM_MILLI_SEC^MDC' }])
})
test('infusions-by-ward: pumps, patients, events, channels delivering at their latest report, and drugs per ward', async () => {
  const base = {
    gateway_id: 'gw-inf', source: 'hl7v2' as const, room: null, bed: '1', facility: null, order_id: 'ord-1', event_code: 197288, event_name: 'MDC_EVT_PUMP_DELIV_START',
    channel: '1.1.2', channel_label: 'Primary', concentration: 1.6, concentration_unit: 'mg/mL', rate: 15.4, rate_unit: 'mL/h', dose_rate: null, dose_rate_unit: null,
    volume_infused: 0, volume_to_be_infused: 250, volume_remaining: 250, volume_unit: 'mL', pump_state: null, delivery_mode: null, alerts: [], device_time: T0,
  }
  const infusion_events = [
    { ...base, seq: 1, event_id: 'pump-a/1', device_id: 'pump-a', patient_id: 'p-a', ward: 'ICU', drug: 'Dopamine', program_state: 'pump-delivery-status-delivering', received_time: T0 },
    { ...base, seq: 2, event_id: 'pump-a/2', device_id: 'pump-a', patient_id: 'p-a', ward: 'ICU', drug: 'Dopamine', program_state: 'pump-delivery-status-stopped', received_time: T0 + 60_000 },
    { ...base, seq: 3, event_id: 'pump-b/1', device_id: 'pump-b', patient_id: 'p-b', ward: 'ICU', drug: 'Heparin', program_state: 'pump-delivery-status-delivering', received_time: T0 },
    { ...base, seq: 4, event_id: 'pump-c/1', device_id: 'pump-c', patient_id: 'p-c', ward: 'WARD-5', drug: 'Insulin', program_state: 'pump-delivery-status-delivering', received_time: T0 },
    // Outside the period: not counted.
    { ...base, seq: 5, event_id: 'pump-c/2', device_id: 'pump-c', patient_id: 'p-c', ward: 'WARD-5', drug: 'Insulin', program_state: 'pump-delivery-status-stopped', received_time: T0 + 7200_000 },
  ]
  await new TelemetryStore(ch).storeBatch({ gateway_id: 'gw-inf', batch_id: 'inf-1', sent_time: T0, observations: [], triage: [], rejected: [], infusion_events })
  const res = await run('infusions-by-ward', range)
  assert.deepEqual(res.rows.map((r) => [r.ward, Number(r.pumps), Number(r.patients), Number(r.events), Number(r.channels_delivering), r.drugs]), [
    ['ICU', 2, 2, 3, 1, ['Dopamine', 'Heparin']],
    ['WARD-5', 1, 1, 1, 1, ['Insulin']],
  ])
  assert.deepEqual(res.tables, ['analyst.infusion_events'])
})
