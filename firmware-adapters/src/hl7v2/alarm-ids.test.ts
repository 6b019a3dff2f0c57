// The id rule on HL7 alerts and lab results (contracts/src/ids.ts): an alert whose OBR-3/OBR-29
// identifier carries a quote, a backslash (\E\), ";" or a control character is refused alone
// (NEVA_HL7V2_BAD_ALARM_ID, naming the field; ACK AE), the other alerts of the message are kept;
// real device captures pass.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { Alarm, LabResult, isAlarmId, validator } from '@neva/contracts'
import { decodeHl7 } from './decode.js'
import { MDC_EVT, encodeOruR40, type OruR40Input } from './encode-alarm.js'
import { screenIds } from '../ids.js'
import type { DecodeProblem } from '../errors.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const base: OruR40Input = {
  controlId: 'a-1', time: NOW - 2000, sendingApplication: 'MON-3', patientId: 'p-7', location: { pointOfCare: 'ICU', room: '4', bed: 'B2' },
  equipmentId: 'mon-3', alertId: 'alm-17', event: { code: MDC_EVT.LO[0], name: MDC_EVT.LO[1], text: 'SpO2 low' },
  vital: 'spo2', value: 86, limits: { low: 90 }, priority: 'high', alertType: 'physiological', phase: 'start', state: 'active',
}
const text = (input: Partial<OruR40Input>) => String(encodeOruR40({ ...base, ...input }))

export const HOSTILE_ALARM_IDS = [
  "X\\';CREATE TABLE t (x UInt8) ENGINE=Log;--",
  "X\\'", "\\'", 'X\\', "X'", 'X"', 'X`', 'X;DROP TABLE alarms', 'X\u2019;--', 'X\uff07', 'X\u00e9', 'X\u0001', 'X\u200b',
]

for (const alertId of HOSTILE_ALARM_IDS) {
  test(`an alert id ${JSON.stringify(alertId)} is refused alone, naming OBR-29`, () => {
    const d = decodeHl7(text({ alertId }), NOW)
    assert.deepEqual(d.alarms, [])
    assert.equal(d.problems.length, 1)
    assert.equal(d.problems[0]!.code, 'NEVA_HL7V2_BAD_ALARM_ID')
    assert.match(d.problems[0]!.reason, /OBR-29/)
    assert.equal(d.ack.code, 'AR')
  })
}

test('one bad alert among good ones: the good ones are kept, the message is answered AE', () => {
  const good = text({ alertId: 'alm-1' }).split('\r').filter(Boolean)
  const bad = text({ alertId: "X\\';CREATE TABLE t (x UInt8) ENGINE=Log;--" }).split('\r').filter(Boolean)
  const groups = (lines: string[]) => lines.slice(lines.findIndex((l) => l.startsWith('OBR')))
  const msg = [...good.slice(0, 3), ...groups(good), ...groups(bad).map((l) => l.replace(/^OBR\|1\|/, 'OBR|2|')), ...groups(text({ alertId: 'alm-3' }).split('\r').filter(Boolean)).map((l) => l.replace(/^OBR\|1\|/, 'OBR|3|'))].join('\r')
  const d = decodeHl7(msg, NOW)
  assert.deepEqual(d.alarms.map((a) => a.alarm_id), ['mon-3/alm-1^MON-3', 'mon-3/alm-3^MON-3'])
  assert.deepEqual(d.problems.map((p) => [p.code, p.reason.slice(0, 5)]), [['NEVA_HL7V2_BAD_ALARM_ID', 'OBR 2']])
  assert.equal(d.ack.code, 'AE')
})

test('OBR-3 is named when there is no OBR-29', () => {
  const msg = text({ alertId: 'X\\\';--' }).replace(/\|\^X[^\r|]*(\r)/, '|$1')
  const d = decodeHl7(msg, NOW)
  assert.equal(d.problems[0]?.code, 'NEVA_HL7V2_BAD_ALARM_ID')
  assert.match(d.problems[0]!.reason, /OBR-3 /)
})

test('real IHE and vendor captures pass the rule: alarm ids and lab ids', () => {
  const dir = '/work/shared/fixtures/real/hl7'
  let files: string[]
  try { files = readdirSync(dir).filter((f) => f.endsWith('.hl7')) } catch { return } // fixtures not on this machine
  const alarm = validator(Alarm)
  const lab = validator(LabResult)
  let alarms = 0
  for (const f of files) {
    const d = decodeHl7(readFileSync(`${dir}/${f}`), NOW)
    assert.ok(!d.problems.some((p) => /BAD_ALARM_ID|BAD_ID/.test(p.code)), `${f}: ${JSON.stringify(d.problems)}`)
    for (const a of d.alarms) {
      alarms++
      assert.ok(isAlarmId(a.alarm_id), a.alarm_id)
      assert.ok(alarm.check({ ...a, gateway_id: 'gw', seq: 1 }), `${f}: ${alarm.explain({ ...a, gateway_id: 'gw', seq: 1 })}`)
    }
    for (const l of d.labResults) assert.ok(lab.check({ ...l, gateway_id: 'gw', seq: 1 }), `${f}: ${lab.explain({ ...l, gateway_id: 'gw', seq: 1 })}`)
  }
  assert.ok(alarms >= 3, 'the IHE alarm examples decode to alarms')
})

test('screenIds keeps aside a lab result with a quote in its sample id and keeps the others', () => {
  const labResult = { device_id: 'ana-1', source: 'astm' as const, order_id: "S1'; DROP", patient_id: null, test_code: 'GLU', loinc: null, value: '5', numeric_value: 5, unit: 'mmol/L', reference_range: '', abnormal_flag: null, status: 'F', result_time: null, received_time: NOW, comments: [] }
  const d = screenIds({ source: 'astm', observations: [], problems: [] as DecodeProblem[], labResults: [labResult, { ...labResult, order_id: 'T20 10134GA D28', test_code: 'LYM#' }] })
  assert.deepEqual(d.labResults!.map((l) => l.order_id), ['T20 10134GA D28'])
  assert.equal(d.problems[0]!.code, 'NEVA_DECODE_BAD_ID')
  assert.match(d.problems[0]!.reason, /labResults order_id/)
})

test('without any alert identifier, an event name with a quote is refused naming OBX-4/OBX-3', () => {
  const withCode = text({ event: { code: MDC_EVT.LO[0], name: "MDC_EVT_LO';--", text: 'SpO2 low' } }).replace(/^OBR\|1\|[^\r]*/m, 'OBR|1')
  // With a numeric event code the id is built from the code: kept (the name is display text).
  assert.deepEqual(decodeHl7(withCode, NOW).alarms.map((a) => a.alarm_id), ['mon-3/1.0.0.150456:196670'])
  const msg = withCode.replace(`OBX|1|ST|${MDC_EVT.LO[0]}^`, 'OBX|1|ST|^')
  const d = decodeHl7(msg, NOW)
  assert.equal(d.alarms.length, 0, JSON.stringify(d.alarms))
  assert.equal(d.problems[0]?.code, 'NEVA_HL7V2_BAD_ALARM_ID')
  assert.match(d.problems[0]!.reason, /OBX-4\/OBX-3/)
})
