import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Alarm, validator } from '@neva/contracts'
import { decodeAlarmMessage } from './decode.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const TOPIC = 'neva/v1/devices/amb-7.mon/alarms'
const alarm = validator(Alarm)
const json = (o: unknown) => Buffer.from(JSON.stringify(o))
const good = {
  alarm_id: 'spo2-lo-17', patient_id: 'amb-7.p1', time: NOW - 500, event: 'MDC_EVT_LO', event_code: 196670, text: 'SpO2 low', vital: 'spo2', value: 86,
  limit_low: 90, priority: 'high', type: 'physiological', state: 'active', location: { ward: 'AMB', bed: '1' },
}

test('an MQTT alarm message becomes one alarm, prefixed by the device; a stamped message has an identity', () => {
  const d = decodeAlarmMessage(TOPIC, json(good), NOW)
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.alarms, [{
    alarm_id: 'amb-7.mon/spo2-lo-17', device_id: 'amb-7.mon', source: 'mqtt', patient_id: 'amb-7.p1', ward: 'AMB', room: null, bed: '1', facility: null,
    event_code: 196670, event_name: 'MDC_EVT_LO', event_text: 'SpO2 low', source_code: 150456, source_name: 'MDC_PULS_OXIM_SAT_O2', alert_type: 'physiological', priority: 'high',
    state: 'active', phase: null, alarm_state: null, inactivation_state: null, value: 86, unit: '%', limit_low: 90, limit_high: null,
    device_time: NOW - 500, received_time: NOW,
  }])
  assert.ok(alarm.check({ ...d.alarms![0], gateway_id: 'g', seq: 1 }))
  assert.equal(d.key?.time, NOW - 500)
  // Unstamped: no identity (a resend cannot be told from a new update); no patient: kept, null.
  const bare = decodeAlarmMessage(TOPIC, json({ alarm_id: 'x', event: 'MDC_EVT_LEAD_OFF', priority: 'low', state: 'inactive' }), NOW)
  assert.deepEqual([bare.key, bare.alarms![0]!.patient_id, bare.alarms![0]!.device_time, bare.alarms![0]!.state], [undefined, null, null, 'inactive'])
})

test('bad alarm messages are refused whole, naming what was wrong', () => {
  const cases: Array<[string, Uint8Array, string, RegExp]> = [
    ['neva/v1/devices/bad id/alarms', json(good), 'NEVA_DECODE_UNKNOWN_TOPIC', /expected neva\/v1\/devices\/\{device_id\}\/alarms/],
    [TOPIC, Buffer.from('{"alarm_id":'), 'NEVA_DECODE_INVALID_JSON', /JSON/],
    [TOPIC, json({ ...good, priority: 'urgent' }), 'NEVA_DECODE_SCHEMA', /^\/priority/],
    [TOPIC, json({ ...good, colour: 'red' }), 'NEVA_DECODE_SCHEMA', /colour|additional/i],
    [TOPIC, json({ ...good, event: undefined, event_code: undefined }), 'NEVA_DECODE_SCHEMA', /^\/event: name the event/],
    [TOPIC, json({ ...good, vital: undefined }), 'NEVA_DECODE_SCHEMA', /^\/value: a value needs "vital"/],
    [TOPIC, json({ ...good, value: 900 }), 'NEVA_DECODE_IMPLAUSIBLE_VALUE', /900 % is outside/],
  ]
  for (const [topic, payload, code, reason] of cases) {
    const d = decodeAlarmMessage(topic, payload, NOW)
    assert.deepEqual([d.alarms?.length ?? 0, d.problems.length, d.problems[0]?.code], [0, 1, code], `${code} ${d.problems[0]?.reason}`)
    assert.match(d.problems[0]!.reason, reason)
  }
})
