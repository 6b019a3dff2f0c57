// HL7 v2 lab orders: OML^O21 and ORM^O01 encoded and decoded back; held-out messages written the
// way middleware and LIS send them (not by our encoder) decoded as v2.5.1 / v2.3.1 say; answers
// (ORL^O22, ORR^O02, ACK) read; bad input refused with a problem naming it; arbitrary bytes and
// mutated messages never throw.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeHl7LabOrders, decodeHl7OrderAnswer, encodeHl7LabOrder, type Hl7OrderInput } from './lab-order.js'
import { fuzzRuns } from '../fuzz-runs.js'

const ORDER: Hl7OrderInput = {
  type: 'OML^O21', controlId: 'ctl-1', time: Date.UTC(2026, 2, 1, 8), sendingApplication: 'NEVA', sendingFacility: 'City 1', receivingApplication: 'LIS',
  patient_id: 'MRN-1', specimen_id: 'SP-0001', tests: [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }], priority: 'stat',
}

test('OML^O21: ORC, TQ1, OBR, SPM per test; decoded back to one order of two tests', () => {
  const text = encodeHl7LabOrder(ORDER)
  const segs = text.split('\r').filter(Boolean)
  assert.equal(segs[0], 'MSH|^~\\&|NEVA|City 1|LIS||20260301080000+0000||OML^O21^OML_O21|ctl-1|P|2.5.1|||AL|NE')
  assert.deepEqual(segs.map((s) => s.slice(0, 3)), ['MSH', 'PID', 'ORC', 'TQ1', 'OBR', 'SPM', 'ORC', 'TQ1', 'OBR', 'SPM'])
  assert.equal(segs[3], 'TQ1|1||||||||S')
  assert.equal(segs[4], 'OBR|1|SP-0001||2345-7^^LN^GLU^^L|||20260301080000+0000')
  const decoded = decodeHl7LabOrders(text)
  assert.deepEqual(decoded.problems, [])
  assert.equal(decoded.type, 'OML^O21')
  assert.equal(decoded.controlId, 'ctl-1')
  assert.deepEqual(decoded.orders, [{ control: 'NW', specimen_id: 'SP-0001', patient_id: 'MRN-1', priority: 'stat', tests: [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }] }])
})

test('ORM^O01: the priority in ORC-7.6 and OBR-5; cancel with ORC-1 CA', () => {
  const text = encodeHl7LabOrder({ ...ORDER, type: 'ORM^O01', control: 'CA', priority: 'urgent' })
  assert.match(text, /\rORC\|CA\|SP-0001\|\|\|\|\|\^\^\^\^\^A\|\|20260301080000\+0000\r/)
  const [order] = decodeHl7LabOrders(text).orders
  assert.deepEqual(order, { control: 'CA', specimen_id: 'SP-0001', patient_id: 'MRN-1', priority: 'urgent', tests: [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }] })
})

// Held out: written by hand as middleware sends them, with what our encoder never writes —
// a PV1, NTE and DG1, a second tube, SPM-2 with the filler's part, an OBR-4 with the lab's code
// only, and a test without a priority anywhere.
const HELD_OUT_OML = [
  'MSH|^~\\&|MIDDLEWARE|CENTRAL LAB|ANALYZER|CHEM|20260301101500+0300||OML^O21^OML_O21|MW000123|P|2.5.1|||AL|NE||8859/1',
  'PID|1||77001^^^CITY^MR~4455^^^NAT^NI||Ivanova^Anna||19600412|F',
  'PV1|1|I|WARD3^301^2^CITY1',
  'ORC|NW|ORD-88^HIS|||SC||||20260301101000+0300|||1234^Petrov^Ivan',
  'TQ1|1||||||||A',
  'OBR|1|ORD-88^HIS||1988-5^C reactive protein [Mass/volume] in Serum or Plasma^LN^CRP^CRP^99LAB|||20260301100500+0300',
  'NTE|1||fasting',
  'DG1|1||J18.9^Pneumonia, unspecified organism^I10',
  'SPM|1|TUBE-4711&MIDDLEWARE^TUBE-4711&LAB||SER^Serum^HL70487|||||||||||||20260301100500+0300',
  'ORC|NW|ORD-88^HIS',
  'TQ1|1||||||||A',
  'OBR|2|ORD-88^HIS||6690-2^Leukocytes [#/volume] in Blood by Automated count^LN|||20260301100500+0300',
  'SPM|1|TUBE-4712&MIDDLEWARE||BLD^Whole blood^HL70487',
  'ORC|NW|ORD-88^HIS',
  'OBR|3|ORD-88^HIS||NA^Sodium^L',
  'SPM|1|TUBE-4711&MIDDLEWARE||SER^Serum^HL70487',
].join('\r')

test('held-out OML^O21 from middleware: orders per tube (SPM-2), LOINC and the lab\'s code, ASAP priority, missing priority stays missing', () => {
  const decoded = decodeHl7LabOrders(HELD_OUT_OML)
  assert.deepEqual(decoded.problems, [])
  assert.equal(decoded.controlId, 'MW000123')
  assert.deepEqual(decoded.orders, [
    { control: 'NW', specimen_id: 'TUBE-4711', patient_id: '77001', priority: 'urgent', tests: [{ loinc: '1988-5', lab_code: 'CRP', text: 'C reactive protein [Mass/volume] in Serum or Plasma' }, { lab_code: 'NA', text: 'Sodium' }] },
    { control: 'NW', specimen_id: 'TUBE-4712', patient_id: '77001', priority: 'urgent', tests: [{ loinc: '6690-2', text: 'Leukocytes [#/volume] in Blood by Automated count' }] },
  ])
})

// Held out: an ORM^O01 (v2.3.1) as a LIS sends it to an analyzer: the sample id in OBR-3 only,
// the priority in OBR-27 (quantity/timing, component 6), two OBRs under one ORC.
const HELD_OUT_ORM = [
  'MSH|^~\\&|LIS|LAB|XN|HEMA|20260301111000||ORM^O01|LIS-991|P|2.3.1',
  'PID|1||55002||Smirnov^Oleg',
  'ORC|NW||||||||20260301110900',
  'OBR|1||S-2026-0042|718-7^Hemoglobin^LN|||20260301110000||||||||||||||||||||^^^^^S',
  'OBR|2||S-2026-0042|777-3^Platelets^LN|||20260301110000||||||||||||||||||||^^^^^S',
].join('\r')

test('held-out ORM^O01 from a LIS: the sample id in OBR-3, stat from OBR-27.6, one order of two tests', () => {
  const decoded = decodeHl7LabOrders(HELD_OUT_ORM)
  assert.deepEqual(decoded.problems, [])
  assert.deepEqual(decoded.orders, [{ control: 'NW', specimen_id: 'S-2026-0042', patient_id: '55002', priority: 'stat', tests: [{ loinc: '718-7', text: 'Hemoglobin' }, { loinc: '777-3', text: 'Platelets' }] }])
})

test('bad orders are refused one by one with a problem naming what was wrong; the good ones around them are kept', () => {
  const text = [
    'MSH|^~\\&|MW|LAB|||20260301101500||OML^O21^OML_O21|X1|P|2.5.1',
    'PID|1||MRN 1 with spaces',
    'ORC|NW|bad|id',
    'OBR|1|tube with space||2345-7^^LN',
    'ORC|NW|SP-9',
    'OBR|2|SP-9||^no code^LN',
    'ORC|NW|SP-10',
    'OBR|3|SP-10||2823-3^^LN',
  ].join('\r')
  const decoded = decodeHl7LabOrders(text)
  assert.deepEqual(decoded.problems.map((p) => p.code), ['NEVA_HL7V2_BAD_PATIENT_ID', 'NEVA_HL7V2_ORDER_NO_SPECIMEN', 'NEVA_HL7V2_ORDER_NO_TEST'])
  assert.deepEqual(decoded.orders, [{ control: 'NW', specimen_id: 'SP-10', patient_id: '', tests: [{ loinc: '2823-3' }] }])
  assert.equal(decodeHl7LabOrders('MSH|^~\\&|M|L|||20260301||ORU^R01|X|P|2.5.1\rPID|1||P1').problems[0]?.code, 'NEVA_HL7V2_NOT_AN_ORDER')
})

test('answers: ORL^O22, ORR^O02 and ACK with their MSA; anything else is a problem', () => {
  const orl = decodeHl7OrderAnswer('MSH|^~\\&|LIS|LAB|NEVA|City 1|20260301080001||ORL^O22^ORL_O22|a1|P|2.5.1\rMSA|AA|ctl-1\r')
  assert.deepEqual(orl, { code: 'AA', accepted: true, controlId: 'ctl-1', text: '' })
  const orr = decodeHl7OrderAnswer('MSH|^~\\&|XN|HEMA|LIS|LAB|20260301||ORR^O02|a2|P|2.3.1\rMSA|AE|LIS-991|unknown test\r')
  assert.deepEqual(orr, { code: 'AE', accepted: false, controlId: 'LIS-991', text: 'unknown test' })
  const ack = decodeHl7OrderAnswer('MSH|^~\\&|A|B|||20260301||ACK^O21^ACK|a3|P|2.5.1\rMSA|AR|ctl-2\rERR|||207^Application internal error^HL70357||E|||queue full\r')
  assert.deepEqual(ack, { code: 'AR', accepted: false, controlId: 'ctl-2', text: 'queue full' })
  assert.equal((decodeHl7OrderAnswer('MSH|^~\\&|A|B|||20260301||ORU^R01|a4|P|2.5.1\rMSA|AA|x\r') as { code: string }).code, 'NEVA_HL7V2_NOT_AN_ORDER')
  assert.equal((decodeHl7OrderAnswer('garbage') as { code: string }).code, 'NEVA_HL7V2_NO_MSH')
})

const id = fc.stringMatching(/^[A-Za-z0-9._:/-]{1,20}$/)
const order = fc.record({
  type: fc.constantFrom('OML^O21' as const, 'ORM^O01' as const),
  control: fc.constantFrom('NW' as const, 'CA' as const),
  patient_id: id,
  specimen_id: id,
  priority: fc.constantFrom('routine' as const, 'urgent' as const, 'stat' as const),
  tests: fc.uniqueArray(fc.record({ loinc: fc.stringMatching(/^[0-9]{1,7}-[0-9]$/), lab_code: fc.stringMatching(/^[A-Za-z0-9._#%/+*-]{1,12}$/) }), { minLength: 1, maxLength: 6, selector: (t) => `${t.loinc}|${t.lab_code}` }),
})

test('property: any order Neva can place comes back whole from either message type', () => {
  fc.assert(fc.property(order, (o) => {
    const decoded = decodeHl7LabOrders(encodeHl7LabOrder({ ...o, controlId: 'c', time: 0, sendingApplication: 'NEVA' }))
    assert.deepEqual(decoded.problems, [])
    assert.deepEqual(decoded.orders, [{ control: o.control, specimen_id: o.specimen_id, patient_id: o.patient_id, priority: o.priority, tests: o.tests.map((t) => ({ ...t })) }])
  }), { numRuns: fuzzRuns() })
})

test('fuzz: arbitrary bytes and mutated messages never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
    decodeHl7LabOrders(b)
    decodeHl7OrderAnswer(b)
  }), { numRuns: fuzzRuns() })
  const base = Buffer.from(HELD_OUT_OML, 'latin1')
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }), (edits) => {
    const b = Buffer.from(base)
    for (const [i, v] of edits) b[i] = v
    const d = decodeHl7LabOrders(b)
    for (const o of d.orders) assert.ok(o.tests.length > 0 && /^[A-Za-z0-9._:/-]+$/.test(o.specimen_id))
  }), { numRuns: fuzzRuns() })
})
