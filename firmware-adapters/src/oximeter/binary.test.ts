import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Observation, validator } from '@neva/contracts'
import {
  NONIN_FRAMES_PER_SECOND,
  NONIN_PACKET_BYTES,
  NONIN_STATUS as S,
  OximeterBinaryDecoder,
  decodeOximeterCapture,
  encodeNoninPacket,
  type OximeterOptions,
} from './index.js'
import type { Decoded } from '../decoded.js'

const OPTIONS: OximeterOptions = { deviceId: 'bed-2-nonin', patientId: 'ward-3.bed-2' }
const NOW = Date.UTC(2026, 10, 25, 12)
const observation = validator(Observation)
const values = (d: Decoded) => d.observations.map((o) => [o.name, o.value, o.flags])
const cat = (...parts: Uint8Array[]) => Buffer.concat(parts)

function decodeAll(bytes: Uint8Array, chunk = bytes.length): Decoded {
  const d = new OximeterBinaryDecoder(OPTIONS)
  const out: Decoded = { source: 'serial', observations: [], problems: [] }
  for (let i = 0; i < bytes.length; i += Math.max(1, chunk)) {
    const part = d.push(bytes.subarray(i, i + chunk), NOW)
    out.observations.push(...part.observations)
    out.problems.push(...part.problems)
  }
  return out
}

test('a packet decodes to SpO2 and a 9-bit pulse rate, timed at the receive time, with codes from the table', () => {
  const d = decodeAll(encodeNoninPacket({ spo2: 97, pulseRate: 300 }))
  assert.deepEqual(d.problems, [])
  assert.deepEqual(values(d), [['spo2', 97, []], ['pulse_rate', 300, []]])
  const [spo2, pr] = d.observations
  assert.deepEqual([spo2!.mdc_code, spo2!.unit, pr!.mdc_code, pr!.unit], [150456, '%', 149530, '/min'])
  assert.equal(spo2!.device_time, NOW)
  assert.equal(spo2!.source, 'serial')
  for (const o of d.observations) assert.ok(observation.check({ ...o, gateway_id: 'gw', seq: 1 }), observation.explain({ ...o, gateway_id: 'gw', seq: 1 }))
})

test('the "no value" codes (127, 511) are no reading, never zero', () => {
  assert.deepEqual(values(decodeAll(encodeNoninPacket({ status: S.SENSOR_DISCONNECT }))), [])
  assert.deepEqual(values(decodeAll(encodeNoninPacket({ spo2: 95 }))), [['spo2', 95, []]])
  // Zeros while the sensor is disconnected are padding, not readings.
  assert.deepEqual(values(decodeAll(encodeNoninPacket({ spo2: 0, pulseRate: 0, status: S.SENSOR_DISCONNECT }))), [])
})

test('status bits become flags that travel with the readings', () => {
  const flags = (status: number) => decodeAll(encodeNoninPacket({ spo2: 93, pulseRate: 80, status })).observations[0]!.flags
  assert.deepEqual(flags(S.GREEN_PERFUSION), [])
  assert.deepEqual(flags(0), [])
  assert.deepEqual(flags(S.ARTIFACT | S.GREEN_PERFUSION), ['artifact'])
  assert.deepEqual(flags(S.OUT_OF_TRACK), ['artifact'])
  assert.deepEqual(flags(S.SENSOR_ALARM), ['artifact'])
  assert.deepEqual(flags(S.RED_PERFUSION), ['artifact'])
  assert.deepEqual(flags(S.YELLOW_PERFUSION), ['questionable'])
  assert.deepEqual(flags(S.SENSOR_DISCONNECT | S.ARTIFACT), ['sensor_off', 'artifact'])
  // One frame's artifact taints the packet: its averaged values include that beat.
  const packet = encodeNoninPacket({ spo2: 93, pulseRate: 80 })
  const f = 12 * 5
  packet[f + 1] = packet[f + 1]! | S.ARTIFACT
  packet[f + 4] = (packet[f]! + packet[f + 1]! + packet[f + 2]! + packet[f + 3]!) & 0xff
  assert.deepEqual(decodeAll(packet).observations[0]!.flags, ['artifact'])
})

test('garbage between packets is skipped and reported with its offset; the packets around it decode', () => {
  const a = encodeNoninPacket({ spo2: 97, pulseRate: 70 })
  const noise = Uint8Array.from([0xff, 0x01, 0x02, 0x00, 0x81, 0x33, 0x7f])
  const b = encodeNoninPacket({ spo2: 96, pulseRate: 71 })
  for (const chunk of [1, 3, 7, 125, 1000]) {
    const d = decodeAll(cat(a, noise, b), chunk)
    assert.deepEqual(values(d), [['spo2', 97, []], ['pulse_rate', 70, []], ['spo2', 96, []], ['pulse_rate', 71, []]], `chunk ${chunk}`)
    assert.deepEqual(d.problems.map((p) => [p.code, p.offset]), [['NEVA_OXIMETER_SKIPPED_BYTES', NONIN_PACKET_BYTES]])
    assert.equal(d.problems[0]!.reason, `skipped 7 bytes at byte ${NONIN_PACKET_BYTES} that are not valid frames`)
    assert.equal(d.problems[0]!.payload, 'ff 01 02 00 81 33 7f')
  }
})

test('a frame with a bad checksum is skipped; the packet it belonged to is dropped, never misread', () => {
  const a = encodeNoninPacket({ spo2: 97, pulseRate: 70 })
  a[2 * 5 + 4] = a[2 * 5 + 4]! ^ 0x40
  const b = encodeNoninPacket({ spo2: 96, pulseRate: 71 })
  const d = decodeAll(cat(a, b))
  assert.deepEqual(values(d), [['spo2', 96, []], ['pulse_rate', 71, []]])
  assert.equal(d.problems.length, 1)
  assert.equal(d.problems[0]!.offset, 10)
  assert.match(d.problems[0]!.reason, /^skipped 5 bytes at byte 10 that are not valid frames; the packet at byte 0 \(2 of 25 frames\) was dropped$/)
})

test('joining mid-packet is silent; a packet cut short by the next SYNC is reported', () => {
  const a = encodeNoninPacket({ spo2: 97, pulseRate: 70 })
  const b = encodeNoninPacket({ spo2: 96, pulseRate: 71 })
  const joined = decodeAll(cat(a.subarray(50), b))
  assert.deepEqual(joined.problems, [])
  assert.deepEqual(values(joined), [['spo2', 96, []], ['pulse_rate', 71, []]])
  const cut = decodeAll(cat(a.subarray(0, 50), b))
  assert.deepEqual(cut.problems.map((p) => [p.code, p.offset, p.reason]), [['NEVA_OXIMETER_PACKET_INCOMPLETE', 0, 'packet at byte 0 has 10 of 25 frames; its values were dropped']])
  assert.equal(cut.observations.length, 2)
})

test('values no patient has are refused; the other reading is kept', () => {
  const d = decodeAll(encodeNoninPacket({ spo2: 110, pulseRate: 400 }))
  assert.deepEqual(values(d), [])
  assert.deepEqual(d.problems.map((p) => p.code), ['NEVA_OXIMETER_IMPLAUSIBLE_VALUE', 'NEVA_OXIMETER_IMPLAUSIBLE_VALUE'])
  assert.match(d.problems[0]!.reason, /^packet at byte 0: SpO2: 110 % is outside 0–100 for spo2$/)
  assert.match(d.problems[1]!.reason, /HR: 400 \/min is outside 0–350/)
})

test('end of a capture reports a trailing partial frame and packet; reset forgets them', () => {
  const a = encodeNoninPacket({ spo2: 97, pulseRate: 70 })
  const d = new OximeterBinaryDecoder(OPTIONS)
  d.push(a.subarray(0, 52), NOW)
  const end = d.end(NOW)
  // One report: the packet it cut short is named in it.
  assert.deepEqual(end.problems.map((p) => [p.code, p.offset]), [['NEVA_OXIMETER_SKIPPED_BYTES', 50]])
  assert.match(end.problems[0]!.reason, /skipped 2 bytes at byte 50 that are not valid frames at the end of the input; the packet at byte 0 \(10 of 25 frames\) was dropped/)

  const whole = new OximeterBinaryDecoder(OPTIONS)
  whole.push(a.subarray(0, 50), NOW)
  assert.deepEqual(whole.end(NOW).problems.map((p) => [p.code, p.offset]), [['NEVA_OXIMETER_PACKET_INCOMPLETE', 0]])

  d.push(a.subarray(0, 52), NOW)
  d.reset()
  const after = d.push(a, NOW)
  assert.deepEqual(after.problems, [])
  assert.equal(after.observations.length, 2)
})

test('a capture file decodes with problems at their offsets and packets timed at the nominal 75 frames a second', () => {
  const packets = [encodeNoninPacket({ spo2: 97, pulseRate: 70 }), Uint8Array.from([0x00, 0x00]), encodeNoninPacket({ spo2: 96, pulseRate: 71 }), encodeNoninPacket({ spo2: 95, pulseRate: 72 })]
  const bytes = cat(...packets)
  const d = decodeOximeterCapture(bytes, 'binary', { ...OPTIONS, receivedTime: NOW })
  assert.deepEqual(values(d).map((v) => v[1]), [97, 70, 96, 71, 95, 72])
  assert.deepEqual(d.problems.map((p) => [p.code, p.offset]), [['NEVA_OXIMETER_SKIPPED_BYTES', 125]])
  const times = d.observations.filter((o) => o.name === 'spo2').map((o) => o.device_time - NOW)
  const frameMs = 1000 / NONIN_FRAMES_PER_SECOND
  // Each packet is timed by the chunk that completed it, at most one packet late.
  times.forEach((t, i) => assert.ok(t >= (i + 1) * 25 * frameMs - 1 && t <= (i + 2) * 25 * frameMs + 1, `${t}`))
})
