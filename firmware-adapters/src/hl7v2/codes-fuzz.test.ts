// Coded metrics beyond the named vitals: any MDC code (number or reference id), value type and
// unit. Properties: never throws; every OBX ends as exactly one of reading, refusal or skip; a
// reading keeps the code and the number as sent, is a valid Observation, and its unit is UCUM
// from the table or the sent unit flagged unit_unmapped (never a silent conversion).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Observation, normalizeMdc, vitalByMdc, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { defaultCodeTable } from '../codes/code-table.js'
import { decodeHl7 } from './decode.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const observation = validator(Observation)
const table = defaultCodeTable()
const msg = (...obx: string[]) => ['MSH|^~\\&|MON|ICU|||20261125115959||ORU^R01|c-9|P|2.6', 'PID|||p-1', 'OBR|1||x|69965^MDC_DEV_MON^MDC|||20261125115959', ...obx].join('\r')

const code = fc.oneof(
  fc.integer({ min: 1, max: 0xffffffff }),
  fc.constantFrom(...[...table.metricByCode.keys()]),
)
const unit = fc.oneof(
  fc.constant(''),
  fc.constantFrom(...[...table.unitByCode.values()].map((u) => `${u.code}^${u.ref}^MDC`)),
  fc.constantFrom('ms^ms^UCUM', 'sec^^LOCAL', '999999^MDC_DIM_UNKNOWN^MDC', 'mmHg', '{beats}/min', '°C'),
  fc.stringMatching(/^[A-Za-z0-9/%.]{1,12}$/),
)
const number = fc.oneof(fc.integer({ min: -100000, max: 100000 }).map(String), fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => d.toFixed(3)))
const valueType = fc.constantFrom('NM', 'SN', 'ST', 'CWE', 'NA', 'ED', '')

test('any MDC code, value type and unit: one outcome per OBX; a reading keeps code and number, a unit Neva cannot map is flagged', () => {
  fc.assert(
    fc.property(code, valueType, number, unit, (c, type, value, u) => {
      const five = type === 'SN' ? `^${value}` : value
      const d = decodeHl7(msg(`OBX|1|${type}|${c}^MDC_X^MDC|1.1.1.1|${five}|${u}|||||F`), NOW)
      const outcomes = d.observations.length + d.problems.length + d.ignored.length
      assert.equal(outcomes, 1, JSON.stringify(d))
      for (const o of d.observations) {
        assert.ok(observation.check({ ...o, gateway_id: 'g', seq: 1 }), observation.explain({ ...o, gateway_id: 'g', seq: 1 }))
        assert.equal(o.mdc_code, normalizeMdc(c))
        if (type === 'CWE') {
          // A coded value is words, even when its code looks like a number.
          assert.deepEqual([o.value, o.value_text, o.name], [undefined, value, 'other'])
          continue
        }
        assert.equal(o.value, Number(value))
        if (vitalByMdc(c)) continue
        assert.equal(o.name, 'other')
        assert.equal(o.device_label, 'MDC_X')
        const asSent = u.split('^').filter((x) => x !== '').join('^')
        if (u !== '') assert.equal(o.unit_as_sent, asSent)
        if (o.flags.includes('unit_unmapped')) assert.equal(o.unit, asSent.slice(0, 32))
      }
    }),
    { numRuns: fuzzRuns() },
  )
})

test('every metric in the code table decodes by its number and by its reference id, with the table unit and LOINC; none shadows a named vital', () => {
  for (const m of table.metricByCode.values()) {
    assert.equal(vitalByMdc(m.code), undefined, `${m.ref} is a named vital: it belongs in contracts/src/vitals.ts, not the table`)
    const unitRow = [...table.unitByCode.values()].find((u) => u.ucum === m.ucum)
    const sent = unitRow ? `${unitRow.code}^${unitRow.ref}^MDC` : ''
    for (const coded of [`${m.code}^${m.ref}^MDC`, `${m.ref}^^MDC`]) {
      const d = decodeHl7(msg(`OBX|1|NM|${coded}|1.1.1.1|12.5|${sent}|||||F`), NOW)
      assert.deepEqual(d.problems, [], m.ref)
      assert.deepEqual(d.observations.map((o) => [o.name, o.mdc_code, o.loinc, o.value, o.unit]), [['other', m.code, m.loinc, 12.5, m.ucum]], `${m.ref} as ${coded}`)
    }
  }
})

test('text states (ST, CWE) are kept as words with their code, no number; a number sent as ST is a reading', () => {
  const d = decodeHl7(msg(
    'OBX|1|ST|184327^MDC_ECG_STAT_RHY^MDC|1.2.1.21|MDC_ECG_SINUS_RHY||||||F',
    'OBX|2|ST|147232^MDC_ECG_TIME_PD_QT_GL^MDC|1.2.1.14|380|264338^MDC_DIM_MILLI_SEC^MDC|||||F',
    'OBX|3|CWE|184327^MDC_ECG_STAT_RHY^MDC|1.2.1.22|8197^MDC_ECG_ATR_FIB^MDC^^^^^^Atrial \\T\\ fibrillation||||||F',
    'OBX|4|TX|184327^MDC_ECG_STAT_RHY^MDC|1.2.1.23|Sinus~with PVCs||||||F',
    'OBX|5|CWE|184327^MDC_ECG_STAT_RHY^MDC|1.2.1.24|^pump-status-infusing||||||F',
  ), NOW)
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.ignored, [])
  assert.deepEqual(d.observations.map((o) => [o.mdc_code, o.value, o.unit, o.value_text, o.value_code, o.value_system]), [
    [184327, undefined, '', 'MDC_ECG_SINUS_RHY', undefined, undefined],
    [147232, 380, 'ms', undefined, undefined, undefined],
    [184327, undefined, '', 'MDC_ECG_ATR_FIB', '8197', 'MDC'],
    [184327, undefined, '', 'Sinus\nwith PVCs', undefined, undefined],
    [184327, undefined, '', 'pump-status-infusing', undefined, undefined],
  ])
  for (const o of d.observations) assert.ok(observation.check({ ...o, gateway_id: 'g', seq: 1 }), observation.explain({ ...o, gateway_id: 'g', seq: 1 }))
  assert.equal(d.ack.code, 'AA')
})

test('any MDC code and text value type: a state keeps its words (unescaped) and no number, a named vital never takes text', () => {
  const words = fc.stringMatching(/^[A-Za-z0-9 _.\-]{1,40}$/).filter((w) => w.trim() !== '' && Number.isNaN(Number(w.trim())))
  fc.assert(
    fc.property(code, fc.constantFrom('ST', 'TX', 'CWE', 'CE', 'CNE'), words, (c, type, w) => {
      const d = decodeHl7(msg(`OBX|1|${type}|${c}^MDC_X^MDC|1.1.1.1|${type.startsWith('C') ? `^${w}^MDC` : w}||||||F`), NOW)
      assert.equal(d.observations.length + d.problems.length + d.ignored.length, 1, JSON.stringify(d))
      for (const o of d.observations) {
        assert.ok(observation.check({ ...o, gateway_id: 'g', seq: 1 }), observation.explain({ ...o, gateway_id: 'g', seq: 1 }))
        assert.equal(o.name, 'other', 'text never becomes a named vital')
        assert.equal(o.value, undefined)
        assert.equal(o.value_text, w.trim())
      }
      if (vitalByMdc(c)) assert.equal(d.observations.length, 0)
    }),
    { numRuns: fuzzRuns() },
  )
})

test('a unit Neva cannot map is kept as sent and flagged; a UCUM unit the sender declares is kept', () => {
  const d = decodeHl7(msg('OBX|1|NM|147236^MDC_ECG_TIME_PD_QTc^MDC|1|0.42|sec^seconds^LOCAL|||||F', 'OBX|2|NM|147236^MDC_ECG_TIME_PD_QTc^MDC|2|420|ms^^UCUM|||||F'), NOW)
  assert.deepEqual(d.observations.map((o) => [o.value, o.unit, o.unit_as_sent, o.flags]), [
    [0.42, 'sec^seconds^LOCAL', 'sec^seconds^LOCAL', ['unit_unmapped']],
    [420, 'ms', 'ms^UCUM', []],
  ])
})
