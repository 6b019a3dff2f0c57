import { test } from 'node:test'
import assert from 'node:assert/strict'
import { labCodeTable } from '../lab-codes.js'
import { decodeHl7 } from './decode.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const MSH = 'MSH|^~\\&|MON-7^0012AB^EUI-64|ICU|||20261125115959+0000||ORU^R01^ORU_R01|ctl-1|P|2.6'
const PID = 'PID|||p-42^^^H^MR||Doe^Jane'
const PV1 = 'PV1||I|ICU^12^B'
const OBR = 'OBR|1||x|182777000^monitoring of patient^SCT|||20261125115958+0000'
const msg = (...obx: string[]) => [MSH, PID, PV1, OBR, ...obx].join('\r') + '\r'
const decode = (...obx: string[]) => decodeHl7(msg(...obx), NOW)
const spo2 = (value: string, unit = '262688^MDC_DIM_PERCENT^MDC', rest = '') => `OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.0.1.1|${value}|${unit}${rest}`

test('a PCD-01 reading: MDC code, value, unit and LOINC from the table; patient, bed, device, time', () => {
  const d = decode(spo2('97'))
  assert.deepEqual(d.observations, [{
    device_id: 'MON-7', patient_id: 'p-42', source: 'hl7v2', mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 97, unit: '%',
    device_time: Date.UTC(2026, 10, 25, 11, 59, 58), received_time: NOW, flags: [],
  }])
  assert.deepEqual([d.patientId, d.deviceId, d.location, d.messageType, d.controlId, d.ack], ['p-42', 'MON-7', { pointOfCare: 'ICU', room: '12', bed: 'B' }, 'ORU^R01', 'ctl-1', { code: 'AA' }])
})

test('units: MDC codes (32-bit or 16-bit term), UCUM and the spellings monitors use; a wrong unit is refused', () => {
  const ok = [
    spo2('97'), spo2('97', '2720^MDC_DIM_PERCENT^MDC'.replace('2720', String(262688 - 4 * 65536))), spo2('97', '%^%^UCUM'), spo2('97', ''), spo2('97', '^percent'),
    'OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC|1.0.1.2|72|bpm', 'OBX|3|NM|147842^^MDC|1.0.1.3|72|{beat}/min^^UCUM', 'OBX|4|NM|147842^^MDC||72|264864^MDC_DIM_BEAT_PER_MIN^MDC',
    'OBX|5|NM|150021^^MDC||120|mmHg', 'OBX|6|NM|150021^^MDC||120|mm[Hg]^mm[Hg]^UCUM', 'OBX|7|NM|150344^MDC_TEMP^MDC||37.2|degC', 'OBX|8|NM|150344^^MDC||37.2|Cel^^UCUM',
    'OBX|9|NM|150344^^MDC||37.2|268192^MDC_DIM_DEGC^MDC', 'OBX|10|NM|151562^^MDC||14|264928^MDC_DIM_RESP_PER_MIN^MDC', 'OBX|11|NM|151562^^MDC||14|/min^^UCUM',
  ]
  const d = decode(...ok)
  assert.deepEqual(d.problems, [])
  assert.equal(d.observations.length, ok.length)
  const bad = decode(spo2('97', '266016^MDC_DIM_MMHG^MDC'), 'OBX|2|NM|150344^MDC_TEMP^MDC||98.6|[degF]^^UCUM', 'OBX|3|NM|150021^^MDC||16|kPa')
  assert.deepEqual(bad.problems.map((p) => p.code), ['NEVA_HL7V2_UNIT_MISMATCH', 'NEVA_HL7V2_UNIT_MISMATCH', 'NEVA_HL7V2_UNIT_MISMATCH'])
  assert.equal(bad.problems[1]!.reason, 'OBX 2: temperature (MDC 150344 MDC_TEMP) is in Cel, got OBX-6 "[degF]^UCUM"')
  assert.equal(bad.problems[0]!.payload, spo2('97', '266016^MDC_DIM_MMHG^MDC'))
  assert.equal(bad.problems[0]!.offset, msg().length) // byte offset of the OBX in the message
})

test('codes: 16-bit MDC terms are normalized; a bare number is MDC; LOINC-coded vitals; ACVPU by letter', () => {
  const d = decode(
    'OBX|1|NM|19384^MDC_PULS_OXIM_SAT_O2|1.0.1.1|96|%', 'OBX|2|NM|149530|1.0.1.2|80|/min', 'OBX|3|NM|8867-4^Heart rate^LN||77|/min',
    'OBX|4|NM|59408-5^SpO2^LN||95|%', 'OBX|5|ST|67775-7^Level of responsiveness^LN||V', 'OBX|6|NM|3151-8^O2 flow^LN||2|L/min^^UCUM',
    'OBX|7|NM|X123^local^99LOC^150456^MDC_PULS_OXIM_SAT_O2^MDC||94|%',
  )
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.observations.map((o) => [o.name, o.mdc_code, o.value]), [
    ['spo2', 150456, 96], ['pulse_rate', 149530, 80], ['heart_rate', 147842, 77], ['spo2', 150456, 95], ['consciousness', 0, 2], ['o2_flow', 0, 2], ['spo2', 150456, 94],
  ])
})

test('LOINC 2708-6 alone is arterial oxygen saturation (a blood gas SaO2): a lab result, never SpO2; beside 59408-5 or MDC 150456 it is SpO2', () => {
  const d = decode(
    'OBX|1|NM|2708-6^Oxygen saturation in Arterial blood^LN||91|%|||||F',
    'OBX|2|NM|2708-6^Oxygen saturation^LN^59408-5^SpO2 by pulse oximetry^LN||95|%',
    'OBX|3|NM|2708-6^Oxygen saturation^LN^150456^MDC_PULS_OXIM_SAT_O2^MDC||94|%',
  )
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.labResults.map((l) => [l.test_code, l.loinc, l.numeric_value, l.unit]), [['2708-6', '2708-6', 91, '%']])
  assert.deepEqual(d.observations.map((o) => [o.name, o.loinc, o.mdc_code, o.value]), [['spo2', '59408-5', 150456, 95], ['spo2', '59408-5', 150456, 94]])
})

test('skipped, not refused: device entries, metrics Neva does not store, empty values, withdrawn or unobtainable results', () => {
  const d = decode(
    'OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X|||||||SN-1',
    'OBX|2|NM|147232^MDC_ECG_TIME_PD_QT_GL^MDC|1.0.1.1|360|264338^MDC_DIM_MILLI_SEC^MDC',
    'OBX|3|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.0.1.2||262688^MDC_DIM_PERCENT^MDC|||||X',
    spo2('97', '262688^^MDC', '|||||D'), spo2('97', '262688^^MDC', '|||||W'),
    spo2('97', '262688^^MDC', '||INV'), spo2('97', '262688^^MDC', '||NAV~PH'), spo2('97', '262688^^MDC', '||BUSY'),
  )
  // The QT interval is a coded metric beyond the named vitals: kept as 'other', by its code.
  assert.deepEqual(d.observations.map((o) => [o.name, o.mdc_code, o.value, o.unit, o.device_label]), [['other', 147232, 360, 'ms', 'MDC_ECG_TIME_PD_QT_GL']])
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.ignored.map((i) => i.code), [
    'NEVA_HL7V2_DEVICE_ENTRY', 'NEVA_HL7V2_NO_VALUE', 'NEVA_HL7V2_NOT_OBTAINED', 'NEVA_HL7V2_NOT_OBTAINED',
    'NEVA_HL7V2_NOT_OBTAINED', 'NEVA_HL7V2_NOT_OBTAINED', 'NEVA_HL7V2_NOT_OBTAINED',
  ])
  assert.equal(d.ignored[0]!.reason, 'OBX 1: MDC 69965 MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS is a device entry (1.0.0.0), not a reading')
  assert.match(d.ignored[4]!.reason, /OBX-8 INV \(invalid\): the device says the value is not valid/)
  // Nothing refused: accepted.
  assert.equal(d.ack.code, 'AA')
})

test('quality: QUES, CAL and a value under OBX-11 X are kept but flagged questionable; TEST/DEMO data is refused', () => {
  const d = decode(spo2('97', '262688^^MDC', '||QUES'), spo2('96', '262688^^MDC', '||CAL~H'), spo2('95', '262688^^MDC', '|||||X'), spo2('94', '262688^^MDC', '||L~PM'), spo2('93', '262688^^MDC', '||DEMO'))
  assert.deepEqual(d.observations.map((o) => [o.value, o.flags]), [[97, ['questionable']], [96, ['questionable']], [95, ['questionable']], [94, []]])
  assert.deepEqual(d.problems.map((p) => p.code), ['NEVA_HL7V2_TEST_DATA'])
  assert.match(d.problems[0]!.reason, /OBX-8 DEMO: the device says this is demo data/)
})

test('values: NM parsed strictly; "---", trailing garbage, repetitions and ranges are refused, naming the OBX', () => {
  const d = decode(spo2('97.5'), spo2(' 98 '), spo2('+96'), spo2('---'), spo2('98abc'), spo2('9 8'), spo2('1e2'), spo2('98~97'), spo2('140'), spo2('-1'),
    'OBX|11|SN|150456^^MDC||^95|%', 'OBX|12|SN|150456^^MDC||>^95|%', 'OBX|13|CWE|150456^^MDC||95^x|%', 'OBX|14|ST|150456^^MDC||95|%', 'OBX|15||150456^^MDC||95|%')
  assert.deepEqual(d.observations.map((o) => o.value), [97.5, 98, 96, 95, 95, 95])
  assert.deepEqual(d.problems.map((p) => p.code), [
    'NEVA_HL7V2_BAD_NUMBER', 'NEVA_HL7V2_BAD_NUMBER', 'NEVA_HL7V2_BAD_NUMBER', 'NEVA_HL7V2_BAD_NUMBER', 'NEVA_HL7V2_BAD_NUMBER',
    'NEVA_HL7V2_IMPLAUSIBLE_VALUE', 'NEVA_HL7V2_IMPLAUSIBLE_VALUE', 'NEVA_HL7V2_BAD_NUMBER', 'NEVA_HL7V2_NOT_NUMERIC',
  ])
  assert.equal(d.problems[0]!.reason, 'OBX 1: spo2 (MDC 150456 MDC_PULS_OXIM_SAT_O2): OBX-5 "---" is not a number (OBX-2 NM)')
  assert.match(d.problems[4]!.reason, /OBX-5 has 2 repetitions/)
  assert.match(d.problems[5]!.reason, /140 % is outside 0–100 for spo2|spo2 .*: 140 % is outside 0–100/)
  assert.match(d.problems[8]!.reason, /OBX 13: .*OBX-2 CWE cannot carry a number/)
  // Some refused, some stored: AE, naming the first refusal.
  assert.equal(d.ack.code, 'AE')
  assert.match(d.ack.text!, /^9 refused, 6 stored: OBX 1: spo2/)
})

test('time: own OBX-14, else the nearest device entry above it, else OBR-7, else MSH-7; the gateway zone; clock_suspect', () => {
  const d = decode(
    'OBX|1||70686^MDC_DEV_PRESS_BLD_NONINV_VMD^MDC|1.2.0.0|||||||X|||20261125110000',
    'OBX|2||70687^MDC_DEV_PRESS_BLD_NONINV_CHAN^MDC|1.2.1.0|||||||X|||20261125111000',
    'OBX|3|NM|150021^^MDC|1.2.1.1|120|mmHg', 'OBX|4|NM|150022^^MDC|1.2.2.1|80|mmHg', 'OBX|5|NM|150023^^MDC|1.2.1.3|90|mmHg|||||R|||20261125111500+0100',
    'OBX|6|NM|150456^^MDC|1.3.1.1|97|%',
  )
  const at = (h: number, m: number) => Date.UTC(2026, 10, 25, h, m)
  assert.deepEqual(d.observations.map((o) => o.device_time), [at(11, 10), at(11, 0), at(10, 15), Date.UTC(2026, 10, 25, 11, 59, 58)])
  const local = decodeHl7(msg('OBX|1|NM|150456^^MDC||97|%|||||R|||20261125120000'), NOW, { defaultUtcOffsetMinutes: 120 })
  assert.equal(local.observations[0]!.device_time, at(10, 0))
  const noObr = decodeHl7([MSH, PID, 'OBX|1|NM|150456^^MDC||97|%'].join('\r'), NOW)
  assert.equal(noObr.observations[0]!.device_time, Date.UTC(2026, 10, 25, 11, 59, 59))
  const noTime = decodeHl7([MSH.replace('20261125115959+0000', ''), PID, 'OBX|1|NM|150456^^MDC||97|%'].join('\r'), NOW)
  assert.deepEqual([noTime.observations[0]!.device_time, noTime.observations[0]!.flags, noTime.key], [NOW, [], undefined])
  for (const wrong of ['19700101000000', '20291125120000', 'yesterday']) {
    const s = decode(`OBX|1|NM|150456^^MDC||97|%|||||R|||${wrong}`)
    assert.deepEqual([s.observations[0]!.device_time, s.observations[0]!.flags], [NOW, ['clock_suspect']], wrong)
  }
})

test('patient: PID-3, else PID-2; none, or no PID at all, refuses the whole message; an unusable id too', () => {
  assert.equal(decodeHl7([MSH, 'PID||ext-9', OBR, spo2('97')].join('\r'), NOW).observations[0]!.patient_id, 'ext-9')
  const noPid = decodeHl7([MSH, OBR, 'OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0', spo2('97')].join('\r'), NOW)
  assert.deepEqual([noPid.ack.code, noPid.observations, noPid.ignored, noPid.problems.length], ['AR', [], [], 1])
  assert.equal(noPid.problems[0]!.reason, 'ORU^R01 from MON-7 has 2 OBX from a device but no patient (no PID segment): readings without a patient cannot be charted')
  assert.equal(noPid.problems[0]!.payload, noPid.message!.text)
  const empty = decodeHl7([MSH, 'PID|||^^^H', spo2('97')].join('\r'), NOW)
  assert.match(empty.problems[0]!.reason, /no patient \(PID-3 is empty\)/)
  const spaced = decodeHl7([MSH, 'PID|||Jane Doe', spo2('97')].join('\r'), NOW)
  assert.deepEqual([spaced.ack.code, spaced.problems[0]!.code], ['AR', 'NEVA_HL7V2_BAD_PATIENT_ID'])
})

test('device: OBX-18, else MSH-3, else MSH-4, else the fallback; other characters become "_"', () => {
  assert.equal(decode(spo2('97', '%', '||||||||||||SN 12/x^^EUI')).deviceId, 'SN_12/x')
  assert.equal(decode(spo2('97', '%', '||||||||||||SN-1'), spo2('96', '%', '||||||||||||SN-2')).observations[1]!.device_id, 'SN-1')
  const fac = decodeHl7(msg(spo2('97')).replace('MON-7^0012AB^EUI-64', ''), NOW)
  assert.equal(fac.deviceId, 'ICU')
  const none = decodeHl7(msg(spo2('97')).replace('MON-7^0012AB^EUI-64|ICU', '|'), NOW, { fallbackDeviceId: 'mllp:10.0.0.7' })
  assert.equal(none.deviceId, 'mllp:10.0.0.7')
})

test('identity: a resend has the same key; another control id, sender or MSH-7 another', () => {
  const a = decode(spo2('97'))
  assert.deepEqual(decodeHl7(msg(spo2('97')), NOW + 5000).key, a.key)
  assert.deepEqual(a.key!.time, Date.UTC(2026, 10, 25, 11, 59, 58))
  assert.match(a.key!.hash, /^[A-Za-z0-9_-]{22}$/)
  for (const [from, to] of [['ctl-1', 'ctl-2'], ['|ICU|', '|CCU|'], ['115959+0000', '115957+0000']]) {
    assert.notEqual(decodeHl7(msg(spo2('97')).replace(from!, to!), NOW).key!.hash, a.key!.hash, to)
  }
  // An unbelievable device clock moves every reading to the receive time: the key falls back to MSH-7.
  const suspect = decode(spo2('97', '%', '|||||R|||19700101'))
  assert.equal(suspect.key!.time, Date.UTC(2026, 10, 25, 11, 59, 59))
})

test('lab analyzer ORU^R01: OBX not coded in MDC become lab results with order, comments, LOINC from the table or LN', () => {
  const text = [
    'MSH|^~\\&|POC-LAB|LAB|||20261125110000||ORU^R01|L1|P|2.5', 'PID|||mrn-1', 'OBR|1|plc-1|fil-1|CBC|||20261125104500',
    'OBX|1|NM|WBC^Leukocytes^99LAB||11.7|10*3/uL|4.0-10.0|H|||F|||20261125105000', 'NTE|1||check smear~repeat \\T\\ call',
    'OBX|2|NM|2345-7^Glucose^LN||5.4|mmol/L|3.9-6.1|N|||F', 'OBX|3|SN|CRP||<^5|mg/L|||||F', 'OBX|4|ST|NOTE||POS||||||P', 'NTE|1||one', 'NTE|2||two',
    'OBX|5|NM|K||4.1a|mmol/L|||||F', 'OBX|6|NM|NA||||||||X', 'OBX|7|NM|||140|mmol/L|||||F', 'OBX|8|CWE|BLOOD^^99LAB||NEG^Negative^99LAB||||||F',
  ].join('\r')
  const d = decodeHl7(text, NOW, { labCodes: labCodeTable({ NOTE: { loinc: '0000-0', name: 'x' } }) })
  assert.deepEqual(d.observations, [])
  assert.deepEqual(d.labResults.map((l) => [l.test_code, l.loinc, l.value, l.numeric_value, l.unit, l.reference_range, l.abnormal_flag, l.status, l.order_id, l.patient_id, l.comments]), [
    ['WBC', '6690-2', '11.7', 11.7, '10*3/uL', '4.0-10.0', 'H', 'F', 'fil-1', 'mrn-1', ['check smear\nrepeat & call']],
    ['2345-7', '2345-7', '5.4', 5.4, 'mmol/L', '3.9-6.1', 'N', 'F', 'fil-1', 'mrn-1', []],
    ['CRP', '1988-5', '<5', null, 'mg/L', '', null, 'F', 'fil-1', 'mrn-1', []],
    ['NOTE', '0000-0', 'POS', null, '', '', null, 'P', 'fil-1', 'mrn-1', ['one', 'two']],
    ['BLOOD', null, 'NEG', null, '', '', null, 'F', 'fil-1', 'mrn-1', []],
  ])
  assert.deepEqual(d.labResults.map((l) => l.result_time), [Date.UTC(2026, 10, 25, 10, 50), ...Array(4).fill(Date.UTC(2026, 10, 25, 10, 45))])
  assert.deepEqual(d.problems.map((p) => p.code), ['NEVA_HL7V2_BAD_NUMBER', 'NEVA_HL7V2_NO_TEST_CODE'])
  assert.deepEqual(d.ignored.map((p) => p.code), ['NEVA_HL7V2_NOT_OBTAINED'])
  assert.equal(d.ack.code, 'AE')
  // No PID: lab results are stored without a patient (QC and unlinked samples).
  const qc = decodeHl7(text.replace('PID|||mrn-1\r', ''), NOW)
  assert.deepEqual([qc.labResults[0]!.patient_id, qc.labResults[0]!.order_id], [null, 'fil-1'])
})

test('other message types are refused whole, with what they are', () => {
  const reasons = ['ORA^R41', 'ADT^A01', 'ACK', 'QRY^A19', ''].map((t) => decodeHl7(msg(spo2('97')).replace('ORU^R01^ORU_R01', t), NOW))
  assert.deepEqual(reasons.map((d) => [d.ack.code, d.observations.length]), Array(5).fill(['AR', 0]))
  assert.deepEqual(reasons.map((d) => d.ack.text), [
    'ORA^R41 (IHE PCD-05 alarm status) is not stored by this gateway; it reads ORU^R01, ORU^R40 and ORU^R42',
    'ADT^A01 (patient administration) is not stored by this gateway; it reads ORU^R01, ORU^R40 and ORU^R42',
    'ACK (an acknowledgement) is not stored by this gateway; it reads ORU^R01, ORU^R40 and ORU^R42',
    'QRY^A19 is not stored by this gateway; it reads ORU^R01, ORU^R40 and ORU^R42',
    'a message without MSH-9 is not stored by this gateway; it reads ORU^R01, ORU^R40 and ORU^R42',
  ])
})

test('not HL7 at all, or too large: AR, and the bytes are kept aside', () => {
  const junk = decodeHl7(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), NOW, { fallbackDeviceId: 'mllp:127.0.0.1' })
  assert.deepEqual([junk.ack.code, junk.problems[0]!.code, junk.deviceId, junk.message], ['AR', 'NEVA_HL7V2_NO_MSH', 'mllp:127.0.0.1', undefined])
  const big = decodeHl7(msg(spo2('97')) + 'NTE|1|' + 'x'.repeat(2000), NOW, { maxMessageBytes: 1000 })
  assert.deepEqual([big.ack.code, big.problems[0]!.code], ['AR', 'NEVA_HL7V2_TOO_LARGE'])
})
