// Alarm limits sent as their own OBX (IHE PCD-04: an MDC_ATTR_LIMIT_CURR OBX in the alert's group,
// beside the source measurement) are the alarm's: NR "low^high" or a range as text; over the
// source's OBX-7 when they give any. The real Mindray alert re-sent that way gives the same alarm.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { Alarm, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeHl7 } from './decode.js'
import { MDC_EVT, encodeOruR40, type OruR40Input } from './encode-alarm.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const alarm = validator(Alarm)
const base: OruR40Input = {
  controlId: 'l-1', time: NOW - 2000, sendingApplication: 'MON-3', patientId: 'p-7', location: { pointOfCare: 'ICU', bed: 'B2' },
  equipmentId: 'mon-3', alertId: 'alm-17', event: { code: MDC_EVT.HI[0], name: MDC_EVT.HI[1], text: 'HR high' },
  vital: 'heart_rate', value: 150, priority: 'medium', alertType: 'physiological', phase: 'start', state: 'active',
}
/** The encoder's alert with one more OBX: the limits, under the alert's own OBX-4 path. */
const withLimitObx = (five: string, type = 'NR', unit = '264864^MDC_DIM_BEAT_PER_MIN^MDC', input: Partial<OruR40Input> = {}) => {
  const msg = encodeOruR40({ ...base, ...input }).replace(/\r$/, '')
  const path = /\rOBX\|\d+\|[A-Z]*\|196\d+\^MDC_EVT_[A-Z_]+\^MDC\|([^|]*)\|/.exec(msg)![1]!.replace(/\.\d+$/, '')
  return `${msg}\rOBX|9|${type}|67892^MDC_ATTR_LIMIT_CURR^MDC|${path}.8|${five}|${unit}|||||F\r`
}
const limits = (msg: string) => {
  const d = decodeHl7(msg, NOW)
  assert.equal(d.alarms.length, 1, JSON.stringify(d.problems))
  const a = d.alarms[0]!
  assert.ok(alarm.check({ ...a, gateway_id: 'g', seq: 1 }), alarm.explain({ ...a, gateway_id: 'g', seq: 1 }))
  return [a.limit_low, a.limit_high, a.value, a.unit]
}

test('a limit OBX (NR low^high) gives the alarm its limits; one side may be empty', () => {
  assert.deepEqual(limits(withLimitObx('45^130')), [45, 130, 150, '/min'])
  assert.deepEqual(limits(withLimitObx('^130')), [null, 130, 150, '/min'])
  assert.deepEqual(limits(withLimitObx('45^')), [45, null, 150, '/min'])
})

test('a limit OBX as a text range, and over the source OBX-7 when both are sent', () => {
  assert.deepEqual(limits(withLimitObx('45-130', 'ST')), [45, 130, 150, '/min'])
  assert.deepEqual(limits(withLimitObx('<130', 'ST')), [null, 130, 150, '/min'])
  assert.deepEqual(limits(withLimitObx('50^120', 'NR', '', { limits: { low: 40, high: 140 } })), [50, 120, 150, '/min'])
  // A limit OBX that gives no number leaves OBX-7's.
  assert.deepEqual(limits(withLimitObx('n/a', 'ST', '', { limits: { low: 40, high: 140 } })), [40, 140, 150, '/min'])
})

test('the limit OBX is an attribute of the alarm, not a reading', () => {
  for (const [five, type] of [['45^130', 'NR'], ['130', 'NM']] as const) {
    const d = decodeHl7(withLimitObx(five, type), NOW)
    assert.deepEqual([d.observations, d.problems], [[], []])
  }
})

const DIR = new URL('../../../../shared/fixtures/real/hl7/', import.meta.url)
const MINDRAY = new URL('ihe_pcd_tf_E3.1_mindray_egateway_pcd04_oru_r40_low_spo2_alarm.hl7', DIR)
test('the real Mindray alert with its OBX-7 limits moved to a limit OBX decodes to the same alarm', { skip: !existsSync(MINDRAY) && 'no ../shared/fixtures/real/hl7' }, () => {
  const real = readFileSync(MINDRAY, 'latin1').replace(/[\r\n]+$/, '')
  const moved = real.replace('|262688^MDC_DIM_PERCENT^MDC|90-96|', '|262688^MDC_DIM_PERCENT^MDC||')
    + '\rOBX|6|NR|67892^MDC_ATTR_LIMIT_CURR^MDC|1.3.1.150456.6|90^96|262688^MDC_DIM_PERCENT^MDC|||||F\r'
  assert.notEqual(moved, real)
  const [a, b] = [decodeHl7(real, NOW).alarms[0]!, decodeHl7(moved, NOW).alarms[0]!]
  assert.deepEqual([b.value, b.unit, b.limit_low, b.limit_high], [88, '%', 90, 96])
  assert.deepEqual(b, a)
})

test('fuzz: any limit OBX value never throws; the alarm stays valid, its limits numbers or null', () => {
  const five = fc.oneof(fc.string({ maxLength: 40 }), fc.tuple(fc.double({ noNaN: true }), fc.double({ noNaN: true })).map(([a, b]) => `${a}^${b}`))
  fc.assert(fc.property(five, fc.constantFrom('NR', 'ST', 'NM', 'CWE', ''), (v, type) => {
    const d = decodeHl7(withLimitObx(v.replace(/[\r|]/g, ''), type), NOW)
    for (const a of d.alarms) {
      assert.ok(alarm.check({ ...a, gateway_id: 'g', seq: 1 }), alarm.explain({ ...a, gateway_id: 'g', seq: 1 }))
      for (const l of [a.limit_low, a.limit_high]) assert.ok(l === null || Number.isFinite(l))
    }
  }), { numRuns: fuzzRuns() })
})
