import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Observation, validator } from '@neva/contracts'
import { MASIMO_EXCEPTION, OximeterAsciiDecoder, encodeOximeterAsciiRecord, decodeOximeterCapture, type OximeterOptions } from './index.js'
import type { Decoded } from '../decoded.js'

const OPTIONS: OximeterOptions = { deviceId: 'bed-4-oximeter', patientId: 'ward-3.bed-4', defaultUtcOffsetMinutes: 60 }
// 11/25/26 10:30:01 on the device clock, in a zone one hour east of UTC.
const LINE_TIME = Date.UTC(2026, 10, 25, 9, 30, 1)
const NOW = LINE_TIME + 800
const observation = validator(Observation)
const LINE = '11/25/26 10:30:01 SN=0000123456 SPO2=098% BPM=072 PI=03.45 SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXCPT=0000'

const decode = (text: string, now = NOW, options = OPTIONS): Decoded => {
  const d = new OximeterAsciiDecoder(options)
  const out = d.push(Buffer.from(text, 'latin1'), now)
  const last = d.end(now)
  out.observations.push(...last.observations)
  out.problems.push(...last.problems)
  return out
}
const values = (d: Decoded) => d.observations.map((o) => [o.name, o.value, o.flags])

test('a record decodes to SpO2 and pulse rate at the device time, with codes from the table; PI is counted as ignored', () => {
  const d = decode(`${LINE}\r\n`)
  assert.deepEqual(d.problems, [])
  assert.equal(d.source, 'serial')
  assert.equal(d.deviceId, 'bed-4-oximeter')
  assert.equal(d.patientId, 'ward-3.bed-4')
  assert.deepEqual({ ...d.observations[0] }, {
    device_id: 'bed-4-oximeter', patient_id: 'ward-3.bed-4', source: 'serial', mdc_code: 150456, loinc: '59408-5', name: 'spo2',
    value: 98, unit: '%', device_time: LINE_TIME, received_time: NOW, flags: [],
  })
  assert.deepEqual([d.observations[1]!.name, d.observations[1]!.mdc_code, d.observations[1]!.value, d.observations[1]!.unit], ['pulse_rate', 149530, 72, '/min'])
  assert.deepEqual(d.ignored!.map((i) => [i.code, i.reason]), [['NEVA_OXIMETER_NOT_STORED', 'PI=03.45: perfusion index is not a vital sign Neva stores']])
  for (const o of d.observations) assert.ok(observation.check({ ...o, gateway_id: 'gw', seq: 1 }), observation.explain({ ...o, gateway_id: 'gw', seq: 1 }))
})

test('dashes are no reading, never zero; zeros padded while the sensor is off are no reading either', () => {
  assert.deepEqual(values(decode('11/25/26 10:30:01 SN=1 SPO2=---% BPM=--- PI=--.-- ALARM=0000 EXC=000001\r\n')), [])
  assert.deepEqual(values(decode('11/25/26 10:30:01 SN=1 SPO2=000% BPM=000 PI=00.00 ALARM=0000 EXC=000820\r\n')), [])
  // A real zero without a sensor exception is kept (and judged by the plausible range).
  assert.deepEqual(values(decode('11/25/26 10:30:01 SN=1 SPO2=---% BPM=000 ALARM=0000 EXC=000800\r\n')), [['pulse_rate', 0, []]])
})

test('exception bits become flags that travel with the readings', () => {
  const line = (exc: number) => `11/25/26 10:30:01 SN=1 SPO2=091% BPM=110 PI=01.00 ALARM=0000 EXC=${exc.toString(16).padStart(6, '0')}\r\n`
  const E = MASIMO_EXCEPTION
  assert.deepEqual(values(decode(line(E.SET_MODE))), [['spo2', 91, []], ['pulse_rate', 110, []]])
  assert.deepEqual(decode(line(E.SET_MODE | E.INTERFERENCE)).observations[0]!.flags, ['artifact'])
  assert.deepEqual(decode(line(E.LOW_SIGNAL_IQ)).observations[0]!.flags, ['artifact'])
  assert.deepEqual(decode(line(E.PULSE_SEARCH)).observations[0]!.flags, ['artifact'])
  assert.deepEqual(decode(line(E.SENSOR_OFF | E.SET_MODE)).observations[0]!.flags, ['sensor_off'])
  assert.deepEqual(decode(line(E.LOW_PERFUSION)).observations[0]!.flags, ['questionable'])
  assert.deepEqual(decode(line(E.NO_SENSOR | E.INTERFERENCE | E.LOW_PERFUSION)).observations[0]!.flags, ['sensor_off', 'artifact', 'questionable'])
  // The field is EXC on Rad-8 firmware and EXCPT in others: both are read.
  assert.deepEqual(decode(LINE.replace('EXCPT=0000', 'EXCPT=0010')).observations[0]!.flags, ['artifact'])
  const bad = decode(LINE.replace('EXCPT=0000', 'EXCPT=zz'))
  assert.deepEqual(bad.observations[0]!.flags, ['questionable'])
  assert.equal(bad.problems[0]!.code, 'NEVA_OXIMETER_BAD_FIELD')
  assert.match(bad.problems[0]!.reason, /exception field "zz" is not hexadecimal/)
})

test('the device clock is read in the configured zone; an implausible clock keeps the reading at the receive time, flagged', () => {
  assert.equal(decode(LINE, NOW, { ...OPTIONS, defaultUtcOffsetMinutes: -300 }).observations[0]!.device_time, LINE_TIME + 6 * 3600_000)
  const suspect = (line: string) => decode(line).observations.map((o) => [o.device_time, o.flags])
  const at = [NOW, ['clock_suspect']]
  assert.deepEqual(suspect(LINE.replace('11/25/26', '13/25/26')), [at, at])
  assert.deepEqual(suspect(LINE.replace('11/25/26', '02/30/26')), [at, at])
  // A clock reset by a flat battery, and one a year ahead.
  assert.deepEqual(suspect(LINE.replace('11/25/26', '01/01/00')), [at, at])
  assert.deepEqual(suspect(LINE.replace('11/25/26', '11/25/27')), [at, at])
  // Live, a record more than a day old is suspect; in a capture file it is not.
  assert.deepEqual(suspect(LINE.replace('11/25/26', '11/20/26')), [at, at])
  const old = decodeOximeterCapture(Buffer.from(LINE.replace('11/25/26', '11/20/26')), 'ascii', { ...OPTIONS, receivedTime: NOW })
  assert.deepEqual(old.observations[0]!.flags, [])
  assert.equal(old.observations[0]!.device_time, LINE_TIME - 5 * 86_400_000)
})

test('lines split anywhere across chunks decode the same; CR, LF, CR LF and blank lines all end lines', () => {
  const text = `${LINE}\r\n\r\n${LINE.replace('10:30:01', '10:30:02')}\n${LINE.replace('10:30:01', '10:30:03')}\r`
  const whole = decode(text)
  assert.equal(whole.observations.length, 6)
  const d = new OximeterAsciiDecoder(OPTIONS)
  const bytes = Buffer.from(text)
  const got: Decoded['observations'] = []
  for (let i = 0; i < bytes.length; i += 7) got.push(...d.push(bytes.subarray(i, i + 7), NOW).observations)
  assert.deepEqual(got, whole.observations)
  assert.deepEqual(got.map((o) => o.device_time), [0, 0, 1, 1, 2, 2].map((s) => LINE_TIME + s * 1000))
})

test('garbage between good lines is refused with its offset; the good lines around it are kept', () => {
  const good1 = `${LINE}\r\n`
  const noise = 'x\u00ff\u0001SPO2=09'
  const text = `${good1}${noise}\r\n${LINE.replace('10:30:01', '10:30:02')}\r\n09/99 SPO2=098% BPM=072\r\n`
  const d = decode(text)
  assert.equal(d.observations.length, 4)
  assert.deepEqual(d.problems.map((p) => [p.code, p.offset]), [
    ['NEVA_OXIMETER_NOT_A_RECORD', good1.length],
    ['NEVA_OXIMETER_NOT_A_RECORD', text.lastIndexOf('09/99')],
  ])
  assert.match(d.problems[0]!.reason, /line at byte \d+: unprintable byte 0xff at column 2/)
  assert.match(d.problems[1]!.reason, /expected "MM\/DD\/YY HH:MM:SS"/)
  const stray = decode(LINE.replace('BPM=072', 'BPM=07 2'))
  assert.deepEqual(values(stray), [])
  assert.match(stray.problems[0]!.reason, /stray token "2"/)
  const malformed = decode(LINE.replace('BPM=072', 'BPM=7x2'))
  assert.deepEqual(values(malformed), [['spo2', 98, []]])
  assert.match(malformed.problems[0]!.reason, /BPM="7x2" is neither a number nor dashes/)
})

test('an over-long line is reported once with the offset where it started; the next line decodes', () => {
  const long = 'A'.repeat(5000)
  const text = `${LINE}\r\n${long}\r\n${LINE}\r\n`
  const d = new OximeterAsciiDecoder({ ...OPTIONS, maxLineBytes: 256 })
  const out = d.push(Buffer.from(text), NOW)
  assert.equal(out.observations.length, 4)
  assert.equal(out.problems.length, 1)
  assert.equal(out.problems[0]!.code, 'NEVA_OXIMETER_LINE_TOO_LONG')
  assert.equal(out.problems[0]!.offset, LINE.length + 2)
  assert.match(out.problems[0]!.reason, /longer than 256 bytes/)
  assert.ok(out.problems[0]!.payload.length <= 256)
})

test('values no patient has are refused, the other reading of the line is kept', () => {
  const d = decode(LINE.replace('SPO2=098%', 'SPO2=140%'))
  assert.deepEqual(values(d), [['pulse_rate', 72, []]])
  assert.equal(d.problems[0]!.code, 'NEVA_OXIMETER_IMPLAUSIBLE_VALUE')
  assert.match(d.problems[0]!.reason, /SPO2: 140 % is outside 0–100 for spo2/)
})

test('reset drops a partial line', () => {
  const d = new OximeterAsciiDecoder(OPTIONS)
  d.push(Buffer.from(LINE.slice(0, 40)), NOW)
  d.reset()
  const out = d.push(Buffer.from(`${LINE.slice(40)}\r\n${LINE}\r\n`), NOW)
  assert.equal(out.problems.length, 1)
  assert.equal(out.problems[0]!.offset, 0)
  assert.equal(out.observations.length, 2)
})

test('the encoder writes what the decoder reads, in the device zone', () => {
  const line = encodeOximeterAsciiRecord({ time: LINE_TIME, spo2: 98, pulseRate: 72, perfusionIndex: 3.45, exception: 0, serialNumber: '0000123456' }, { utcOffsetMinutes: 60, exceptionKey: 'EXCPT' })
  assert.equal(line, '11/25/26 10:30:01 SN=0000123456 SPO2=098% BPM=072 PI=03.45% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXCPT=000000\r\n')
  assert.deepEqual(values(decode(line)), [['spo2', 98, []], ['pulse_rate', 72, []]])
  const off = encodeOximeterAsciiRecord({ time: LINE_TIME, exception: MASIMO_EXCEPTION.SENSOR_OFF }, { utcOffsetMinutes: 60 })
  assert.match(off, /SPO2=---% BPM=--- PI=--.--% .* EXC=000020\r\n$/)
})
