// Alarms on embedded ClickHouse: stored once per batch (in the table and in the per-ward rollup,
// even when the ledger lost the batch), the board's current state per alarm, acknowledgement,
// history.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Alarm, IngestBatch } from '@neva/contracts'
import { AlarmStore, AlarmStoreError, TelemetryStore, connectClickHouse, migrate } from '@neva/analytics'

const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-alarms-')) })
await migrate(ch)
after(() => ch.close())
const telemetry = new TelemetryStore(ch)
const alarms = new AlarmStore(ch)
const T = Date.parse('2026-05-04T10:00:00Z')
const rows = async (q: string) => (await ch.client.query({ query: q, format: 'JSONEachRow' })).json<Record<string, unknown>>()

let seq = 0
function update(id: string, extra: Partial<Alarm> = {}): Alarm {
  seq++
  return {
    gateway_id: 'gw-a', seq, alarm_id: `mon-1/${id}`, device_id: 'mon-1', source: 'hl7v2', patient_id: 'p-1', ward: 'ICU', room: '2', bed: '4', facility: null,
    event_code: 196670, event_name: 'MDC_EVT_LO', event_text: 'SpO2 low', source_code: 150456, source_name: 'MDC_PULS_OXIM_SAT_O2', alert_type: 'physiological',
    priority: 'high', state: 'active', phase: 'start', alarm_state: 'active', inactivation_state: 'enabled', value: 86, unit: '%', limit_low: 90, limit_high: null,
    device_time: T + seq * 1000, received_time: T + seq * 1000 + 50, ...extra,
  }
}
const batch = (id: string, list: Alarm[]): IngestBatch => ({ gateway_id: 'gw-a', batch_id: id, sent_time: T, observations: [], triage: [], rejected: [], alarms: list })

test('a batch of alarms is stored once; retried after the ledger lost it, the table and the rollup still count it once', async () => {
  const b = batch('b-1', [update('a1'), update('a1', { phase: 'continue', value: 84 }), update('a2', { priority: 'low', ward: 'WARD-3' }), update('a3', { priority: null, ward: null })])
  const first = await telemetry.storeBatch(b)
  assert.deepEqual([first.stored, first.alarms], [true, 4])
  assert.equal((await telemetry.storeBatch(b)).stored, false)
  // The process died after the data inserts, before the ledger row: the retry inserts again, with the same tokens.
  await telemetry.settled()
  await ch.client.command({ query: "ALTER TABLE ingest_batches DELETE WHERE batch_id = 'b-1'", clickhouse_settings: { mutations_sync: '2' } })
  assert.equal((await telemetry.storeBatch(b)).stored, true)
  assert.equal(await telemetry.count('alarms'), 4)
  assert.deepEqual(await rows('SELECT ward, priority, uniqExactMerge(alarms) AS alarms, countMerge(updates) AS updates FROM alarms_per_ward_hour GROUP BY ward, priority ORDER BY ward, priority'), [
    { ward: 'ICU', priority: 'high', alarms: 1, updates: 2 },
    { ward: 'WARD-3', priority: 'low', alarms: 1, updates: 1 },
    { ward: 'unknown', priority: 'unknown', alarms: 1, updates: 1 },
  ])
  await telemetry.settled()
  assert.deepEqual(await rows("SELECT alarms FROM ingest_batches WHERE batch_id = 'b-1'"), [{ alarms: 4 }])
})

test('active(): the latest update of each alarm wins, ended ones are left out, wards filter, highest priority first', async () => {
  await telemetry.storeBatch(batch('b-2', [update('a2', { phase: 'end', state: 'inactive', priority: 'low', ward: 'WARD-3' }), update('a4', { priority: 'medium' })]))
  const active = await alarms.active()
  assert.deepEqual(active.map((a) => [a.alarm_id, a.priority, a.state]), [['mon-1/a1', 'high', 'active'], ['mon-1/a4', 'medium', 'active'], ['mon-1/a3', null, 'active']])
  const a1 = active[0]!
  assert.deepEqual([a1.value, a1.phase, a1.updates, a1.first_time, a1.last_time, a1.ack, a1.ward, a1.bed, a1.patient_id], [84, 'continue', 2, T + 1000, T + 2000, null, 'ICU', '4', 'p-1'])
  assert.deepEqual((await alarms.active({ wards: ['WARD-3'] })).map((a) => a.alarm_id), [])
  assert.deepEqual((await alarms.active({ wards: ['ICU'] })).map((a) => a.alarm_id), ['mon-1/a1', 'mon-1/a4'])
  assert.equal((await alarms.get('mon-1/a2'))?.state, 'inactive')
  assert.equal(await alarms.get('mon-1/nope'), null)
})

test('acknowledge(): recorded once (idempotent), shown on the alarm; an unknown alarm or an empty user is refused with a code', async () => {
  const first = await alarms.acknowledge('mon-1/a1', 'nurse.kim', 'on my way')
  assert.equal(first.created, true)
  assert.deepEqual([first.ack.user, first.ack.note], ['nurse.kim', 'on my way'])
  const again = await alarms.acknowledge('mon-1/a1', 'dr.lee')
  assert.deepEqual([again.created, again.ack], [false, first.ack])
  assert.deepEqual(await rows("SELECT user, note FROM alarm_acks WHERE alarm_id = 'mon-1/a1'"), [{ user: 'nurse.kim', note: 'on my way' }])
  assert.deepEqual((await alarms.active({ wards: ['ICU'] }))[0]!.ack, first.ack)
  await assert.rejects(alarms.acknowledge('mon-1/never', 'nurse.kim'), (err: AlarmStoreError) => err.code === 'NEVA_ALARM_UNKNOWN' && /no alarm with this id/.test(err.message))
  await assert.rejects(alarms.acknowledge('mon-1/a4', '  '), (err: AlarmStoreError) => err.code === 'NEVA_ALARM_BAD_INPUT')
  assert.equal((await rows("SELECT count() AS n FROM alarm_acks WHERE alarm_id IN ('mon-1/never', 'mon-1/a4')"))[0]!.n, 0)
})

test('history(): every update in time order, by alarm, ward, patient and period', async () => {
  const a2 = await alarms.history({ alarmId: 'mon-1/a2' })
  assert.deepEqual(a2.map((u) => [u.phase, u.state, u.gateway_id]), [['start', 'active', 'gw-a'], ['end', 'inactive', 'gw-a']])
  assert.equal(typeof a2[0]!.seq, 'number')
  assert.equal(a2[0]!.time, a2[0]!.device_time)
  assert.equal((await alarms.history({ wards: ['ICU'] })).length, 3)
  assert.equal((await alarms.history({ patientId: 'p-1', from: T + 2000, to: T + 4000 })).length, 2)
  assert.equal((await alarms.history({ limit: 2 })).length, 2)
})
