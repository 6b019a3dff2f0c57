import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LabResult, validator } from '@neva/contracts'
import { labCodeTable } from '../lab-codes.js'
import { decodeAstmMessage, type AstmDecodeOptions } from './decode.js'
import { encodeAstmMessage } from './encode.js'
import { escape, parseAstmTime, unescape, DEFAULT_DELIMITERS } from './records.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const OPTIONS: AstmDecodeOptions = { deviceId: 'lab-chem-1', receivedTime: NOW, defaultUtcOffsetMinutes: 60 }
const msg = (...records: string[]) => records.map((r) => `${r}\r`).join('')
const labResult = validator(LabResult)

test('a result: code, LOINC, value, unit, range, flag, status, time in the gateway zone, patient, specimen, comments', () => {
  const d = decodeAstmMessage(msg(
    'H|\\^&|||Chem^1.0|||||||P|LIS2-A2|20261125103500',
    'P|1||PAT-7',
    'O|1|SPEC-42||^^^GLU|R',
    'R|1|^^^GLU|5.4|mmol/L|3.9-6.1|N||F||||20261125103000',
    'C|1|I|haemolysed^slightly|G',
    'C|2|I|re-run&F&confirmed|G',
    'R|2|^^^LACT|---|mmol/L|0.5-2.2|||X',
    'L|1|N',
  ), OPTIONS)
  assert.deepEqual(d.problems, [])
  assert.equal(d.labResults.length, 2)
  const [glu, lact] = d.labResults
  assert.deepEqual(glu, {
    device_id: 'lab-chem-1', source: 'astm', order_id: 'SPEC-42', patient_id: 'PAT-7', test_code: 'GLU', loinc: '2345-7',
    value: '5.4', numeric_value: 5.4, unit: 'mmol/L', reference_range: '3.9-6.1', abnormal_flag: 'N', status: 'F',
    // 10:30 at UTC+1
    result_time: Date.UTC(2026, 10, 25, 9, 30), received_time: NOW, comments: ['haemolysed slightly', 're-run|confirmed'],
  })
  // `---` is a value that is not a number; no time → null, never 0.
  assert.deepEqual([lact!.value, lact!.numeric_value, lact!.result_time, lact!.abnormal_flag, lact!.status], ['---', null, null, null, 'X'])
  for (const r of d.labResults) assert.ok(labResult.check({ ...r, gateway_id: 'gw', seq: 1 }), labResult.explain({ ...r, gateway_id: 'gw', seq: 1 }))
  // The message is identified by its hash at its H-14 time: a resend is stored once.
  assert.equal(d.key?.device, 'lab-chem-1')
  assert.equal(d.key?.time, Date.UTC(2026, 10, 25, 9, 35))
  assert.equal(decodeAstmMessage(msg('H|\\^&', 'P|1|x', 'R|1|^^^GLU|1', 'L'), OPTIONS).key, undefined)
})

test('delimiters come from the H record: `H|@^\\` (GeneXpert) reads the same as `H|\\^&`', () => {
  const std = decodeAstmMessage(msg('H|\\^&', 'P|1|p1', 'O|1|s1', 'R|1|^^^NA|140|mmol/L|135 to 145^REF|N&S&L||F', 'L|1|N'), OPTIONS)
  const gx = decodeAstmMessage(msg('H|@^\\', 'P|1|p1', 'O|1|s1', 'R|1|^^^NA|140|mmol/L|135 to 145^REF|N\\S\\L||F', 'L|1|N'), OPTIONS)
  assert.deepEqual(gx.labResults, std.labResults)
  assert.equal(std.labResults[0]!.reference_range, '135 to 145')
  assert.equal(std.labResults[0]!.abnormal_flag, 'N^L')
  // Escapes: field, component, repeat, escape; unknown sequences kept as sent.
  const d = DEFAULT_DELIMITERS
  assert.equal(unescape('a&F&b&S&c&R&d&E&e&H&f&', d), 'a|b^c\\d&e&H&f&')
  assert.equal(unescape(escape('x|y^z\\w&v', d), d), 'x|y^z\\w&v')
  const bad = decodeAstmMessage(msg('H|||||', 'R|1|^^^NA|140', 'L'), OPTIONS)
  assert.deepEqual(bad.problems.map((p) => p.code), ['NEVA_ASTM_BAD_DELIMITERS', 'NEVA_ASTM_NO_HEADER'])
  assert.match(bad.problems[0]!.reason, /four different characters/)
})

test('test code: the 4th component of R-3, the next non-empty one when it is empty, or the components the config names', () => {
  const table = labCodeTable({ 'MTB-RIF': { loinc: '89370-1', name: 'MTB' } })
  const codes = (r3: string, testCodeComponents?: number[]) =>
    decodeAstmMessage(msg('H|\\^&', `R|1|${r3}|1`, 'L'), { ...OPTIONS, labCodes: table, testCodeComponents }).labResults.map((r) => [r.test_code, r.loinc])
  assert.deepEqual(codes('^^^GLU'), [['GLU', '2345-7']])
  assert.deepEqual(codes('^^^glu '), [['glu', '2345-7']])
  assert.deepEqual(codes('^^^WBC^804-5^1'), [['WBC', '6690-2']]) // a LOINC-looking 5th component is not used
  assert.deepEqual(codes('^^^^WBC^1'), [['WBC', '6690-2']]) // Sysmex
  assert.deepEqual(codes('GLU'), [['GLU', '2345-7']])
  assert.deepEqual(codes('^MTB-RIF^^Xpert^Ultra^4^rpoB1^Ct', [2, 7, 8]), [['MTB-RIF^rpoB1^Ct', null]])
  assert.deepEqual(codes('^MTB-RIF', [2]), [['MTB-RIF', '89370-1']])
  const none = decodeAstmMessage(msg('H|\\^&', 'R|1|^^^|5', 'L'), OPTIONS)
  assert.equal(none.problems[0]?.code, 'NEVA_ASTM_NO_TEST')
})

test('patients and specimens: P-3, else P-4, else P-5; O-3, else O-4; no patient (QC) → null', () => {
  const d = decodeAstmMessage(msg(
    'H|\\^&',
    'P|1|A||C', 'O|1||  INST-1  ^rack^3', 'R|1|^^^K|4.1',
    'P|2||B|C', 'O|1|HOST-2|INST-2', 'R|1|^^^K|4.2',
    'P|3|||C', 'R|1|^^^K|4.3',
    'P|4||||Doe^Jane', 'O|1||^^  27^M', 'R|1|^^^K|4.4',
    'L|1|N',
  ), OPTIONS)
  assert.deepEqual(d.labResults.map((r) => [r.patient_id, r.order_id]), [['A', 'INST-1'], ['B', 'HOST-2'], ['C', null], [null, '27']])
  const long = decodeAstmMessage(msg('H|\\^&', `P|1|${'x'.repeat(200)}`, 'R|1|^^^K|4', 'P|2|ok', 'R|1|^^^K|5', 'L'), OPTIONS)
  assert.deepEqual(long.problems.map((p) => p.code), ['NEVA_ASTM_BAD_ID', 'NEVA_ASTM_BAD_ID'])
  assert.deepEqual(long.labResults.map((r) => r.patient_id), ['ok'])
})

test('values: padded numbers are numbers, text stays text, an empty value is no result (ignored with its reason)', () => {
  const text = msg(
    'H|\\^&', 'P|1|p',
    'R|1|^^^A|  5.5', 'R|2|^^^B|< 1.20', 'R|3|^^^C|NOT DETECTED^', 'R|4|^^^D|^0.0', 'R|5|^^^E|-----',
    'R|6|^^^F|', 'R|7|^^^G|   ', 'R|8|^^^H|1e3', 'R|9|^^^I|0',
    'L',
  )
  const d = decodeAstmMessage(text, OPTIONS)
  assert.deepEqual(d.labResults.map((r) => [r.test_code, r.value, r.numeric_value]), [
    ['A', '5.5', 5.5], ['B', '< 1.20', null], ['C', 'NOT DETECTED', null], ['D', '0.0', 0], ['E', '-----', null], ['H', '1e3', 1000], ['I', '0', 0],
  ])
  assert.deepEqual(d.ignored.map((p) => [p.code, p.reason]), [
    ['NEVA_ASTM_NO_VALUE', `R record at offset ${text.indexOf('R|6|')} (F): no value, no result`],
    ['NEVA_ASTM_NO_VALUE', `R record at offset ${text.indexOf('R|7|')} (G): no value, no result`],
  ])
})

test('times: YYYYMMDD[HHMM[SS]] in the configured zone; R-12 when R-13 is empty; an unreadable time is dropped, not the result', () => {
  assert.equal(parseAstmTime('20240820151030', 120), Date.UTC(2024, 7, 20, 13, 10, 30))
  assert.equal(parseAstmTime('202408201510', 0), Date.UTC(2024, 7, 20, 15, 10))
  assert.equal(parseAstmTime('20240820', 0), Date.UTC(2024, 7, 20))
  assert.equal(parseAstmTime('', 0), null)
  for (const bad of ['20240231120000', '20241320', '2024082015', 'yesterday', '20240820256000']) assert.equal(parseAstmTime(bad, 0), 'invalid', bad)
  const d = decodeAstmMessage(msg('H|\\^&', 'R|1|^^^A|1|||||F|||20240820151030', 'R|2|^^^B|2|||||F|||20240820151030|20240820152000', 'R|3|^^^C|3|||||F||||2024-08-20', 'L'), { ...OPTIONS, defaultUtcOffsetMinutes: 0 })
  assert.deepEqual(d.labResults.map((r) => r.result_time), [Date.UTC(2024, 7, 20, 15, 10, 30), Date.UTC(2024, 7, 20, 15, 20), null])
  assert.deepEqual(d.ignored.map((p) => p.code), ['NEVA_ASTM_BAD_TIME'])
  assert.match(d.ignored[0]!.reason, /R-13 "2024-08-20" is not a date and time/)
})

test('records: M, Q and S are skipped and counted; comments off a result are counted; unknown records and records before H are refused', () => {
  const text = msg(
    'R|1|^^^GLU|9', // before any H
    'H|\\^&', 'C|1|I|header comment|G', 'P|1|p', 'Q|1|^123', 'M|1|HISTOGRAM|RBC|x', 'S|1|x', 'R|1|^^^GLU|5', 'C|1|I||I',
    'X|1|what', 'hello there', 'L|1|N',
    'R|1|^^^GLU|7', // after L, before the next H
  )
  const d = decodeAstmMessage(text, OPTIONS)
  assert.deepEqual(d.labResults.map((r) => r.value), ['5'])
  assert.deepEqual(d.problems.map((p) => [p.code, p.offset]), [
    ['NEVA_ASTM_NO_HEADER', 0], ['NEVA_ASTM_UNKNOWN_RECORD', text.indexOf('X|1')], ['NEVA_ASTM_UNKNOWN_RECORD', text.indexOf('hello')], ['NEVA_ASTM_NO_HEADER', text.lastIndexOf('R|1')],
  ])
  assert.match(d.problems[2]!.reason, /does not start with a record type followed by the field delimiter "\|"/)
  assert.deepEqual(d.ignored.map((p) => p.code), ['NEVA_ASTM_COMMENT_DROPPED', 'NEVA_ASTM_SKIPPED_RECORD', 'NEVA_ASTM_SKIPPED_RECORD', 'NEVA_ASTM_SKIPPED_RECORD'])
  // Fields longer than a result column refuse that result only.
  const long = decodeAstmMessage(msg('H|\\^&', `R|1|^^^GLU|5|${'u'.repeat(40)}`, 'R|2|^^^K|4|mmol/L', 'L'), OPTIONS)
  assert.deepEqual(long.problems.map((p) => p.code), ['NEVA_ASTM_FIELD_TOO_LONG'])
  assert.match(long.problems[0]!.reason, /unit is 40 characters, Neva stores at most 32/)
  assert.deepEqual(long.labResults.map((r) => r.test_code), ['K'])
})

test('two messages in one text; Latin-1 text is read when it is not UTF-8', () => {
  const text = Buffer.concat([Buffer.from(msg('H|\\^&', 'P|1|a', 'R|1|^^^K|4', 'L|1|N', 'H|\\^&', 'P|1|b', 'R|1|^^^K|5'), 'latin1'), Buffer.from('C|1|I|bioM\xe9rieux|G\rL|1|N\r', 'latin1')])
  const d = decodeAstmMessage(text, OPTIONS)
  assert.deepEqual(d.labResults.map((r) => [r.patient_id, r.value, r.comments]), [['a', '4', []], ['b', '5', ['bioMérieux']]])
})

test('round trip: the encoder writes what the decoder reads', () => {
  const time = Date.UTC(2026, 10, 25, 9, 30)
  const text = encodeAstmMessage({
    time, utcOffsetMinutes: 60,
    patients: [
      { patient_id: 'p|1', orders: [{ order_id: 'S^1', results: [
        { test_code: 'CRP', value: 12.5, unit: 'mg/L', reference_range: '0-5', abnormal_flag: 'H', result_time: time, comments: ['a\\b&c'] },
        { test_code: 'NA', value: '<100', unit: 'mmol/L', status: 'P' },
      ] }] },
      { patient_id: null, orders: [{ order_id: 'QC-1', results: [{ test_code: 'K', value: 4 }] }] },
    ],
  })
  const d = decodeAstmMessage(text, OPTIONS)
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.labResults.map((r) => [r.patient_id, r.order_id, r.test_code, r.loinc, r.value, r.numeric_value, r.unit, r.reference_range, r.abnormal_flag, r.status, r.result_time, r.comments]), [
    ['p|1', 'S^1', 'CRP', '1988-5', '12.5', 12.5, 'mg/L', '0-5', 'H', 'F', time, ['a\\b&c']],
    ['p|1', 'S^1', 'NA', '2951-2', '<100', null, 'mmol/L', '', null, 'P', null, []],
    [null, 'QC-1', 'K', '2823-3', '4', 4, '', '', null, 'F', null, []],
  ])
  assert.equal(d.key?.time, time)
})
