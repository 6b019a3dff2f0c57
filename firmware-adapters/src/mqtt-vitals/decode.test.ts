import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Observation, validator } from '@neva/contracts'
import { decodeVitalsMessage, parseVitalsTopic } from './decode.js'
import { encodeVitalsMessage } from './encode.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const TOPIC = 'neva/v1/devices/amb-1-monitor/vitals'
const json = (x: unknown) => Buffer.from(JSON.stringify(x))
const observation = validator(Observation)

test('topics: vitals topic gives the device, other neva/ topics are refused, others are not ours', () => {
  assert.equal(parseVitalsTopic(TOPIC), 'amb-1-monitor')
  assert.equal(parseVitalsTopic('neva/v1/devices/x/vitalz'), null)
  assert.equal(parseVitalsTopic('neva/v1/devices//vitals'), null)
  assert.equal(parseVitalsTopic('hospital/other'), undefined)
  const other = decodeVitalsMessage('hospital/other', json({}), NOW)
  assert.deepEqual(other, { source: 'mqtt', observations: [], problems: [] })
  assert.equal(decodeVitalsMessage('neva/v1/devices/x/vitalz', json({}), NOW).problems[0]?.code, 'NEVA_DECODE_UNKNOWN_TOPIC')
})

test('round trip: encoder output decodes to observations with codes and units from the table', () => {
  const { topic, payload } = encodeVitalsMessage('amb-1-monitor', {
    patient_id: 'amb-1.p1',
    time: NOW - 1000,
    readings: [
      { vital: 'spo2', value: 97 },
      { vital: 'heart_rate', value: 88, flags: ['artifact'] },
      { vital: 'consciousness', value: 'V' },
      { vital: 'temperature', value: 38.2, time: NOW - 5000 },
    ],
  })
  const d = decodeVitalsMessage(topic, payload, NOW)
  assert.deepEqual(d.problems, [])
  assert.equal(d.observations.length, 4)
  const [spo2, hr, avpu, temp] = d.observations
  assert.deepEqual({ ...spo2 }, {
    device_id: 'amb-1-monitor', patient_id: 'amb-1.p1', source: 'mqtt', mdc_code: 150456, loinc: '59408-5', name: 'spo2',
    value: 97, unit: '%', device_time: NOW - 1000, received_time: NOW, flags: [],
  })
  assert.deepEqual(hr!.flags, ['artifact'])
  assert.equal(avpu!.value, 2)
  assert.equal(temp!.device_time, NOW - 5000)
  for (const o of d.observations) assert.ok(observation.check({ ...o, gateway_id: 'gw', seq: 1 }), observation.explain({ ...o, gateway_id: 'gw', seq: 1 }))
})

test('a payload naming another device than its topic is refused whole; naming its own is fine', () => {
  const own = decodeVitalsMessage(TOPIC, json({ device_id: 'amb-1-monitor', patient_id: 'amb-1.p1', readings: [{ vital: 'spo2', value: 97 }] }), NOW)
  assert.deepEqual([own.problems, own.observations.length], [[], 1])
  const other = decodeVitalsMessage(TOPIC, json({ device_id: 'amb-2-monitor', patient_id: 'amb-2.p1', readings: [{ vital: 'spo2', value: 97 }] }), NOW)
  assert.equal(other.observations.length, 0)
  assert.equal(other.deviceId, 'amb-1-monitor')
  assert.equal(other.problems[0]?.code, 'NEVA_DECODE_DEVICE_MISMATCH')
  assert.match(other.problems[0]!.reason, /device_id differs from the topic's device id/)
})

test('MDC codes: 32-bit and 16-bit terms are normalized; units must match the table', () => {
  const d = decodeVitalsMessage(TOPIC, json({ patient_id: 'p', readings: [
    { mdc: 150456, value: 95, unit: '%' },
    { mdc: 150456 - 2 * 65536, value: 96 },
    { mdc: 150021, value: 120, unit: 'kPa' },
    { mdc: 999999, value: 1 },
    { vital: 'qtc', value: 400 },
  ] }), NOW)
  // Any other MDC code is kept as 'other', by its code (the convention accepts every code).
  assert.deepEqual(d.observations.map((o) => [o.name, o.mdc_code, o.value]), [['spo2', 150456, 95], ['spo2', 150456, 96], ['other', 999999, 1]])
  assert.deepEqual(d.problems.map((p) => p.code), ['NEVA_DECODE_UNIT_MISMATCH', 'NEVA_DECODE_UNKNOWN_CODE'])
  assert.match(d.problems[0]!.reason, /readings\[2\]\.unit: nibp_systolic is in "mm\[Hg\]", got "kPa"/)
})

test('any MDC code: the table gives LOINC, label and UCUM; a unit Neva cannot map is kept as sent and flagged', () => {
  const d = decodeVitalsMessage(TOPIC, json({ patient_id: 'p', readings: [
    { mdc: 147236, value: 420 },
    { mdc: 147236, value: 421, unit: 'ms' },
    { mdc: 147236, value: 0.42, unit: 'sekunden' },
  ] }), NOW)
  assert.deepEqual(d.observations.map((o) => [o.name, o.mdc_code, o.loinc, o.device_label, o.value, o.unit, o.unit_as_sent, o.flags]), [
    ['other', 147236, '8636-3', 'MDC_ECG_TIME_PD_QTc', 420, 'ms', undefined, []],
    ['other', 147236, '8636-3', 'MDC_ECG_TIME_PD_QTc', 421, 'ms', 'ms', []],
    ['other', 147236, '8636-3', 'MDC_ECG_TIME_PD_QTc', 0.42, 'sekunden', 'sekunden', ['unit_unmapped']],
  ])
  assert.deepEqual(d.problems, [])
})

test('a text or coded value for an MDC code is kept as words (the ECG rhythm), never a number; a named vital never takes one', () => {
  const d = decodeVitalsMessage(TOPIC, json({ patient_id: 'p', readings: [
    { mdc: 184327, value: 'Sinus rhythm' },
    { mdc: 184327, value: { code: '8197', system: 'MDC', text: 'Atrial fibrillation' } },
    { mdc: 184327, value: { code: 'AAI' } },
    { mdc: 184327, value: '  ' },
    { mdc: 184327, value: 'Sinus rhythm', unit: 'ms' },
    { mdc: 147842, value: 'fast' },
    { vital: 'heart_rate', value: { code: '1' } },
  ] }), NOW)
  assert.deepEqual(d.observations.map((o) => [o.name, o.mdc_code, o.value, o.unit, o.value_text, o.value_code, o.value_system]), [
    ['other', 184327, undefined, '', 'Sinus rhythm', undefined, undefined],
    ['other', 184327, undefined, '', 'Atrial fibrillation', '8197', 'MDC'],
    ['other', 184327, undefined, '', 'AAI', 'AAI', undefined],
  ])
  for (const o of d.observations) assert.ok(observation.check({ ...o, gateway_id: 'g', seq: 1 }))
  assert.deepEqual(d.problems.map((p) => p.reason.replace(/:.*/, '')), ['readings[3].value', 'readings[4].unit', 'readings[5].value', 'readings[6].value'])
  assert.match(d.problems[0]!.reason, /text value is empty/)
  assert.match(d.problems[2]!.reason, /heart_rate needs a number/)
})

test('bad input: each refusal names what was wrong; good readings around it are kept', () => {
  assert.equal(decodeVitalsMessage(TOPIC, Buffer.from('{not json'), NOW).problems[0]?.code, 'NEVA_DECODE_INVALID_JSON')
  assert.equal(decodeVitalsMessage(TOPIC, Buffer.from([0xff, 0xfe, 0x7b]), NOW).problems[0]?.code, 'NEVA_DECODE_INVALID_JSON')
  const noPatient = decodeVitalsMessage(TOPIC, json({ readings: [{ vital: 'spo2', value: 97 }] }), NOW)
  assert.equal(noPatient.problems[0]?.code, 'NEVA_DECODE_SCHEMA')
  assert.match(noPatient.problems[0]!.reason, /patient_id/)

  const mixed = decodeVitalsMessage(TOPIC, json({ patient_id: 'p', readings: [
    { vital: 'heart_rate', value: 900 },
    { vital: 'spo2', value: 140 },
    { vital: 'spo2', value: 98 },
    { vital: 'pulse_rate', value: 'fast' },
    { vital: 'spo2', mdc: 150456, value: 97 },
    { vital: 'consciousness', value: 1.5 },
    { vital: 'respiratory_rate', value: 16 },
  ] }), NOW)
  assert.deepEqual(mixed.observations.map((o) => o.name), ['spo2', 'respiratory_rate'])
  assert.deepEqual(mixed.problems.map((p) => p.code), [
    'NEVA_DECODE_IMPLAUSIBLE_VALUE', 'NEVA_DECODE_IMPLAUSIBLE_VALUE', 'NEVA_DECODE_SCHEMA', 'NEVA_DECODE_SCHEMA', 'NEVA_DECODE_IMPLAUSIBLE_VALUE',
  ])
  assert.match(mixed.problems[0]!.reason, /readings\[0\]\.value: 900 \/min is outside 0–350 for heart_rate/)
  assert.match(mixed.problems[1]!.reason, /140 % is outside 0–100 for spo2/)
  assert.equal(mixed.problems[0]!.payload, '{"vital":"heart_rate","value":900}')
})

test('an implausible device clock keeps the reading, flagged, at the receive time', () => {
  const d = decodeVitalsMessage(TOPIC, json({ patient_id: 'p', time: 1000, readings: [{ vital: 'spo2', value: 97 }] }), NOW)
  assert.equal(d.observations[0]!.device_time, NOW)
  assert.deepEqual(d.observations[0]!.flags, ['clock_suspect'])
  assert.equal(d.key, undefined)
})

test('a message the device stamped gets an identity, the same when it is resent', () => {
  const payload = json({ patient_id: 'p', time: NOW - 10, readings: [{ vital: 'spo2', value: 97 }, { vital: 'heart_rate', value: 70, time: NOW - 20 }] })
  const first = decodeVitalsMessage(TOPIC, payload, NOW)
  const resent = decodeVitalsMessage(TOPIC, payload, NOW + 5000)
  assert.equal(first.key!.device, 'amb-1-monitor')
  assert.equal(first.key!.time, NOW - 20)
  assert.deepEqual(resent.key, first.key)
  const other = decodeVitalsMessage(TOPIC, json({ patient_id: 'p', time: NOW - 9, readings: [{ vital: 'spo2', value: 97 }] }), NOW)
  assert.notEqual(other.key!.hash, first.key!.hash)
  const unstamped = decodeVitalsMessage(TOPIC, json({ patient_id: 'p', readings: [{ vital: 'spo2', value: 97 }] }), NOW)
  assert.equal(unstamped.key, undefined)
})

test('fuzz: arbitrary bytes never throw and never yield an invalid observation', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      const d = decodeVitalsMessage(TOPIC, bytes, NOW)
      assert.equal(d.observations.length, 0)
      assert.equal(d.problems.length, 1)
    }),
    { numRuns: 2000, seed: 1 },
  )
})

test('fuzz: arbitrary JSON messages yield only valid observations, and every refusal has a code and reason', () => {
  const reading = fc.record({
    vital: fc.option(fc.oneof(fc.constantFrom('spo2', 'heart_rate', 'consciousness', 'temperature', 'o2_flow'), fc.string()), { nil: undefined }),
    mdc: fc.option(fc.oneof(fc.constantFrom(150456, 19384, 147842), fc.integer()), { nil: undefined }),
    value: fc.oneof(fc.double(), fc.integer({ min: -10, max: 400 }), fc.constantFrom('A', 'U', 'x'), fc.string({ maxLength: 300 }),
      fc.record({ code: fc.string({ maxLength: 70 }), system: fc.string({ maxLength: 40 }), text: fc.string({ maxLength: 300 }) }, { requiredKeys: ['code'] })),
    unit: fc.option(fc.constantFrom('%', '/min', 'Cel', 'bogus'), { nil: undefined }),
    flags: fc.option(fc.array(fc.constantFrom('artifact', 'sensor_off', 'nope')), { nil: undefined }),
    time: fc.option(fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.double()), { nil: undefined }),
  }, { requiredKeys: [] })
  const message = fc.record({
    patient_id: fc.oneof(fc.constant('amb-1.p1'), fc.string()),
    time: fc.option(fc.integer({ min: -5, max: 2 ** 45 }), { nil: undefined }),
    readings: fc.oneof(fc.array(fc.oneof(reading, fc.anything()), { maxLength: 20 }), fc.anything()),
    extra: fc.option(fc.anything(), { nil: undefined }),
  }, { requiredKeys: [] })
  fc.assert(
    fc.property(message, (m) => {
      const d = decodeVitalsMessage(TOPIC, json(m), NOW)
      for (const o of d.observations) {
        const full = { ...o, gateway_id: 'gw', seq: 1 }
        assert.ok(observation.check(full), observation.explain(full))
      }
      for (const p of d.problems) {
        assert.match(p.code, /^NEVA_DECODE_/)
        assert.ok(p.reason.length > 0)
      }
      if (Array.isArray(m.readings) && d.problems.length === 0) assert.equal(d.observations.length, m.readings.length)
    }),
    { numRuns: 3000, seed: 2 },
  )
})
