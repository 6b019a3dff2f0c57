import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Observation, validator } from '@neva/contracts'
import { decodeOpcuaValue, opcuaSeverity } from './decode.js'
import { validateOpcuaMapping, type OpcuaNodeMapping } from './mapping.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const observation = validator(Observation)
const [vent] = validateOpcuaMapping([{
  device_id: 'vent-1',
  endpoint_url: 'opc.tcp://127.0.0.1:4840',
  security_mode: 'None',
  patient_id: 'icu.bed3',
  nodes: [
    { node_id: 'ns=1;s=Vent.RespRate', mdc_code: 151562 },
    { node_id: 'ns=1;s=Vent.FiO2', mdc_code: 152196, scale: 100 },
    { node_id: 'ns=1;s=Vent.EtCO2', mdc_code: 151708 },
  ],
}])
const [rr, fio2, etco2] = vent!.nodes as [OpcuaNodeMapping, OpcuaNodeMapping, OpcuaNodeMapping]

// StatusCodes (Part 4 §7.39 / Part 6 annex A): values as node-opcua exports them.
const GOOD = 0
const UNCERTAIN_LAST_USABLE = 0x40900000
const BAD_WAITING_FOR_INITIAL_DATA = 0x80320000
const BAD_SENSOR_FAILURE = 0x808b0000

test('a Good value becomes an observation with the table’s code, unit and the source timestamp', () => {
  const d = decodeOpcuaValue(rr, { value: 18, sourceTimestamp: new Date(NOW - 1500), serverTimestamp: new Date(NOW - 1000), statusCode: GOOD }, NOW)
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.ignored, [])
  assert.equal(d.source, 'opcua')
  assert.equal(d.deviceId, 'vent-1')
  assert.equal(d.patientId, 'icu.bed3')
  assert.deepEqual({ ...d.observations[0] }, {
    device_id: 'vent-1', patient_id: 'icu.bed3', source: 'opcua', mdc_code: 151562, loinc: '9279-1', name: 'respiratory_rate',
    value: 18, unit: '/min', device_time: NOW - 1500, received_time: NOW, flags: [],
  })
  const o = { ...d.observations[0]!, gateway_id: 'gw', seq: 1 }
  assert.ok(observation.check(o), observation.explain(o))
})

test('scale converts the device’s unit; an integer type (bigint) is a number too', () => {
  const f = decodeOpcuaValue(fio2, { value: 0.42, sourceTimestamp: NOW - 10 }, NOW)
  assert.deepEqual(f.observations.map((o) => [o.name, o.value, o.unit, o.device_time]), [['fio2', 42, '%', NOW - 10]])
  const e = decodeOpcuaValue(etco2, { value: 38n, sourceTimestamp: NOW - 10 }, NOW)
  assert.equal(e.observations[0]?.value, 38)
})

test('device time falls back to the server timestamp, then to the receive time', () => {
  assert.equal(decodeOpcuaValue(rr, { value: 18, serverTimestamp: new Date(NOW - 700) }, NOW).observations[0]?.device_time, NOW - 700)
  assert.equal(decodeOpcuaValue(rr, { value: 18, sourceTimestamp: null, serverTimestamp: null }, NOW).observations[0]?.device_time, NOW)
  // OPC UA's zero DateTime (1601-01-01) is "no timestamp", not a suspect clock.
  const zero = decodeOpcuaValue(rr, { value: 18, sourceTimestamp: new Date(Date.UTC(1601, 0, 1)), serverTimestamp: NOW - 5 }, NOW)
  assert.deepEqual([zero.observations[0]?.device_time, zero.observations[0]?.flags], [NOW - 5, []])
})

test('an implausible clock keeps the reading at the receive time, flagged clock_suspect', () => {
  for (const sourceTimestamp of [new Date(Date.UTC(1999, 11, 31)), NOW + 25 * 3600_000, new Date(Number.NaN)]) {
    const d = decodeOpcuaValue(rr, { value: 18, sourceTimestamp }, NOW)
    assert.deepEqual([d.observations[0]?.device_time, d.observations[0]?.flags], [NOW, ['clock_suspect']], String(sourceTimestamp))
  }
})

test('Uncertain is kept and flagged questionable; Bad and null are ignored, not refused', () => {
  assert.deepEqual(decodeOpcuaValue(rr, { value: 18, statusCode: UNCERTAIN_LAST_USABLE, sourceTimestamp: NOW - 1 }, NOW).observations[0]?.flags, ['questionable'])
  const uncertainClock = decodeOpcuaValue(rr, { value: 18, statusCode: UNCERTAIN_LAST_USABLE, sourceTimestamp: 5 }, NOW)
  assert.deepEqual(uncertainClock.observations[0]?.flags, ['questionable', 'clock_suspect'])

  for (const statusCode of [BAD_WAITING_FOR_INITIAL_DATA, BAD_SENSOR_FAILURE, 0xc0000000]) {
    const d = decodeOpcuaValue(rr, { value: 0, statusCode, sourceTimestamp: NOW }, NOW)
    assert.deepEqual([d.observations.length, d.problems.length], [0, 0])
    assert.equal(d.ignored?.[0]?.code, 'NEVA_OPCUA_BAD_STATUS')
    assert.match(d.ignored![0]!.reason, /^ns=1;s=Vent\.RespRate \(respiratory_rate\): status 0x[0-9A-F]{8} \(Bad\)/)
  }
  const none = decodeOpcuaValue(rr, { value: null, statusCode: GOOD }, NOW)
  assert.deepEqual([none.observations.length, none.problems.length, none.ignored?.[0]?.code], [0, 0, 'NEVA_OPCUA_NO_VALUE'])
  assert.deepEqual([opcuaSeverity(0), opcuaSeverity(0x40000000), opcuaSeverity(0x80000000), opcuaSeverity(0xc0000000)], ['good', 'uncertain', 'bad', 'bad'])
})

test('a non-number or an impossible value is refused with a reason and the data change as payload', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['18', /expected a number, got the string "18"/],
    [true, /expected a number, got the boolean true/],
    [[1, 2], /expected a number, got an array of 2/],
    [{ value: 1 }, /expected a number, got an object/],
    [Number.NaN, /expected a number, got NaN/],
    [Number.POSITIVE_INFINITY, /expected a number, got Infinity/],
    [140, /140 \/min is outside 0–100/],
    [-1, /-1 \/min is outside 0–100/],
  ]
  for (const [value, reason] of cases) {
    const d = decodeOpcuaValue(rr, { value, sourceTimestamp: new Date(NOW), statusCode: GOOD }, NOW)
    assert.equal(d.observations.length, 0)
    assert.equal(d.problems.length, 1, String(value))
    assert.match(d.problems[0]!.reason, reason)
    assert.equal(d.problems[0]!.code, typeof value === 'number' && Number.isFinite(value) ? 'NEVA_OPCUA_IMPLAUSIBLE_VALUE' : 'NEVA_OPCUA_NOT_A_NUMBER')
    const payload = JSON.parse(d.problems[0]!.payload) as Record<string, unknown>
    assert.deepEqual([payload.node_id, payload.status, payload.source_timestamp], ['ns=1;s=Vent.RespRate', '0x00000000', new Date(NOW).toISOString()])
  }
  const scaled = decodeOpcuaValue(fio2, { value: 42 }, NOW)
  assert.match(scaled.problems[0]!.reason, /4200 % \(raw 42 × 100\) is outside 15–100/)
  assert.equal(decodeOpcuaValue(rr, { value: 18, statusCode: -1 }, NOW).problems[0]?.code, 'NEVA_OPCUA_NOT_A_NUMBER')
})
