import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Alarm, validator } from '@neva/contracts'
import { parseLimits } from './alarm.js'
import { decodeHl7 } from './decode.js'
import { MDC_EVT, encodeOruR40, type OruR40Input } from './encode-alarm.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const alarm = validator(Alarm)
const base: OruR40Input = {
  controlId: 'a-1', time: NOW - 2000, sendingApplication: 'MON-3', patientId: 'p-7', location: { pointOfCare: 'ICU', room: '4', bed: 'B2' },
  equipmentId: 'mon-3', alertId: 'alm-17', event: { code: MDC_EVT.LO[0], name: MDC_EVT.LO[1], text: 'SpO2 low' },
  vital: 'spo2', value: 86, limits: { low: 90 }, priority: 'high', alertType: 'physiological', phase: 'start', state: 'active',
}
const decode = (input: Partial<OruR40Input> = {}) => decodeHl7(encodeOruR40({ ...base, ...input }), NOW)

test('ORU^R40 round trip: the simulator encodes, the decoder reads every field back', () => {
  const d = decode()
  assert.deepEqual([d.messageType, d.ack, d.problems, d.ignored], ['ORU^R40', { code: 'AA' }, [], []])
  assert.deepEqual(d.alarms, [{
    alarm_id: 'mon-3/alm-17^MON-3', device_id: 'mon-3', source: 'hl7v2', patient_id: 'p-7', ward: 'ICU', room: '4', bed: 'B2', facility: null,
    event_code: 196670, event_name: 'MDC_EVT_LO', event_text: 'SpO2 low', source_code: 150456, source_name: 'MDC_PULS_OXIM_SAT_O2',
    alert_type: 'physiological', priority: 'high', state: 'active', phase: 'start', alarm_state: 'active', inactivation_state: 'enabled',
    value: 86, unit: '%', limit_low: 90, limit_high: null, device_time: NOW - 2000, received_time: NOW,
  }])
  assert.ok(alarm.check({ ...d.alarms[0], gateway_id: 'gw', seq: 1 }), alarm.explain({ ...d.alarms[0], gateway_id: 'gw', seq: 1 }))
})

test('every update of one alert has the same alarm_id; an end phase or an inactive state ends it', () => {
  const start = decode()
  const cont = decode({ controlId: 'a-2', phase: 'continue', time: NOW - 1000 })
  const end = decode({ controlId: 'a-3', phase: 'end', state: 'inactive', time: NOW - 500 })
  const other = decode({ controlId: 'a-4', alertId: 'alm-18' })
  assert.deepEqual([start, cont, end].map((d) => d.alarms[0]!.alarm_id), Array(3).fill('mon-3/alm-17^MON-3'))
  assert.notEqual(other.alarms[0]!.alarm_id, start.alarms[0]!.alarm_id)
  assert.deepEqual([start, cont, end].map((d) => d.alarms[0]!.state), ['active', 'active', 'inactive'])
  assert.equal(decode({ phase: 'continue', state: 'off' }).alarms[0]!.state, 'inactive')
  // Latched: the condition is gone but the alarm signal stays until someone resets it.
  assert.equal(decode({ phase: 'continue', state: 'latched' }).alarms[0]!.state, 'active')
  // Each message is its own identity for the outbox: a resend (same MSH-10) is stored once.
  assert.notEqual(start.key!.hash, cont.key!.hash)
  assert.equal(decode().key!.hash, start.key!.hash)
})

test('priorities PH/PM/PL/PN and alert types SP/ST/SA; an unknown priority is null, never guessed', () => {
  for (const [p, want] of [['high', 'high'], ['medium', 'medium'], ['low', 'low'], ['none', 'none']] as const) {
    assert.equal(decode({ priority: p }).alarms[0]!.priority, want)
  }
  assert.equal(decode({ alertType: 'technical' }).alarms[0]!.alert_type, 'technical')
  const text = encodeOruR40(base).replace('|PH|', '|P9|').replace('PH~SP', 'SP')
  assert.equal(decodeHl7(text, NOW).alarms[0]!.priority, null)
})

test('an alert without a patient is kept (patient_id null); a patient id Neva cannot accept is dropped from it, said so, AE', () => {
  const none = decode({ patientId: undefined })
  assert.deepEqual([none.ack.code, none.alarms[0]!.patient_id], ['AA', null])
  const bad = decode({ patientId: 'Doe, Jane' })
  assert.deepEqual([bad.ack.code, bad.alarms.length, bad.alarms[0]!.patient_id, bad.problems.map((p) => p.code)], ['AE', 1, null, ['NEVA_HL7V2_BAD_PATIENT_ID']])
  assert.match(bad.ack.text!, /1 refused, 1 stored: PID-3 \(9 characters\) is not a patient id/)
  assert.doesNotMatch(JSON.stringify(bad.problems.map((p) => p.reason)), /Doe/, 'the reason never echoes the patient id')
  assert.match(bad.problems[0]!.payload, /Doe, Jane/, 'the raw PID stays in payload')
})

test('an alert that names no event is refused with the reason, AR; the message is kept aside', () => {
  const text = encodeOruR40(base).split('\r').filter((s) => !s.startsWith('OBX|1|')).join('\r')
  const d = decodeHl7(text, NOW)
  assert.deepEqual([d.ack.code, d.alarms.length, d.problems.map((p) => p.code)], ['AR', 0, ['NEVA_HL7V2_NO_ALARM_EVENT']])
  assert.match(d.problems[0]!.reason, /^OBR 1: the alert has no event identification OBX/)
  assert.ok(d.problems[0]!.payload.startsWith('OBR|1|'))
  const empty = decodeHl7(encodeOruR40(base).split('\r').filter((s) => !s.startsWith('OB')).join('\r'), NOW)
  assert.deepEqual([empty.ack.code, empty.problems[0]!.reason], ['AR', 'ORU^R40 has no OBR or OBX: it reports no alert'])
})

test('without OBR-3/OBR-29 the alert is known by its containment path and event; a bad value stays missing, the alarm is kept', () => {
  const text = encodeOruR40({ ...base, value: 86 }).replace(/^OBR\|.*$/m, 'OBR|1').replace('|86|', '|8x6|')
  const d = decodeHl7(text, NOW)
  assert.deepEqual([d.ack.code, d.alarms[0]!.alarm_id, d.alarms[0]!.value, d.alarms[0]!.limit_low], ['AA', 'mon-3/1.0.0.150456:196670', null, 90])
  // An implausible device time is not used: missing, not replaced.
  const late = decodeHl7(encodeOruR40({ ...base, time: NOW + 3 * 86_400_000 }), NOW)
  assert.equal(late.alarms[0]!.device_time, null)
})

test('several alerts in one message: one alarm per OBR', () => {
  const one = encodeOruR40(base).split('\r').filter(Boolean)
  const two = encodeOruR40({ ...base, alertId: 'alm-99', event: { code: MDC_EVT.HI[0], name: MDC_EVT.HI[1] }, vital: 'heart_rate', value: 150, limits: { low: 50, high: 120 } }).split('\r').filter(Boolean)
  const d = decodeHl7([...one, ...two.slice(3)].join('\r'), NOW)
  assert.deepEqual(d.alarms.map((a) => [a.alarm_id, a.event_name, a.value, a.unit, a.limit_low, a.limit_high]), [
    ['mon-3/alm-17^MON-3', 'MDC_EVT_LO', 86, '%', 90, null],
    ['mon-3/alm-99^MON-3', 'MDC_EVT_HI', 150, '/min', 50, 120],
  ])
})

test('OBX-7 limits: a range, a lower or an upper bound; anything else is no limit', () => {
  assert.deepEqual(['90-96', '>20', '>= 20', '<400', '-5 - 5', 'normal', ''].map(parseLimits), [
    { low: 90, high: 96 }, { low: 20, high: null }, { low: 20, high: null }, { low: null, high: 400 }, { low: -5, high: 5 }, { low: null, high: null }, { low: null, high: null },
  ])
})
