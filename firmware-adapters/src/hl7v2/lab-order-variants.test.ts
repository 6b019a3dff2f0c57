// Held-out order messages in the layouts LIS and middleware write across v2.3–2.5.1 (written by
// hand from the standard's segment tables, not by our encoder): v2.3 ORM with the id only in
// PID-2 and the priority in OBR-5; v2.4 OML^O21 before TQ1/SPM existed (priority in ORC-7.6);
// v2.5.1 SPM-2 carrying only the filler's part of its EIP; CE/CWE with the lab's code first and
// the LOINC as the alternate, lower-case system names; escape sequences in texts and ids; CR LF
// and LF line endings; one ORC over several OBRs; optional segments and fields left out. Bad ones
// are refused with a problem naming the field; the ACK parser is fuzzed like the decoder.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { buildAck } from './ack.js'
import { decodeHl7LabOrders, decodeHl7OrderAnswer } from './lab-order.js'
import { fuzzRuns } from '../fuzz-runs.js'

const msg = (...segments: string[]) => segments.join('\r')

test('v2.3 ORM^O01: patient in PID-2 only, priority in OBR-5, the lab\'s code with its LOINC as alternate (system in lower case)', () => {
  const d = decodeHl7LabOrders(msg(
    'MSH|^~\\&|LIS|LAB|AN|LAB|20260301120000||ORM^O01|L23-1|P|2.3',
    'PID|1|E-2211|||Kuznetsova^Maria',
    'ORC|NW|PL-7001|||||||20260301115900',
    'OBR|1|PL-7001||K^Potassium^99LAB^2823-3^^ln|A',
    'OBR|2|PL-7001||NA^Sodium^99LAB|A',
  ))
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.orders, [{ control: 'NW', specimen_id: 'PL-7001', patient_id: 'E-2211', priority: 'urgent', tests: [{ lab_code: 'K', loinc: '2823-3', text: 'Potassium' }, { lab_code: 'NA', text: 'Sodium' }] }])
})

test('v2.4 OML^O21 (no TQ1, no SPM): the priority from ORC-7.6, the specimen from OBR-2, CR LF line endings', () => {
  const d = decodeHl7LabOrders([
    'MSH|^~\\&|HIS|CITY|MW|LAB|20260301121500||OML^O21|H24-9|P|2.4',
    'PID|1||MRN-24^^^CITY^MR',
    'ORC|NW|TB-24^HIS|||||^^^^^S',
    'OBR|1|TB-24^HIS||2345-7^Glucose^LN',
    'ORC|NW|TB-24^HIS|||||^^^^^S',
    'OBR|2|TB-24^HIS||2160-0^Creatinine^LN',
  ].join('\r\n') + '\r\n')
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.orders, [{ control: 'NW', specimen_id: 'TB-24', patient_id: 'MRN-24', priority: 'stat', tests: [{ loinc: '2345-7', text: 'Glucose' }, { loinc: '2160-0', text: 'Creatinine' }] }])
})

test('v2.5.1 OML^O21: SPM-2 with only the filler\'s part, TQ1-9 as a coded value, escaped text, LF line endings, no PID', () => {
  const d = decodeHl7LabOrders([
    'MSH|^~\\&|MW|LAB|XN|HEMA|20260301123000||OML^O21^OML_O21|M251-3|P|2.5.1|||AL|NE',
    'ORC|NW',
    'TQ1|1||||||||R^Routine^HL70485',
    'OBR|1|||718-7^Hemoglobin \\T\\ indices^LN^HGB^^L',
    'SPM|1|^FT-3301&ANALYZER||BLD',
  ].join('\n'))
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.orders, [{ control: 'NW', specimen_id: 'FT-3301', patient_id: '', priority: 'routine', tests: [{ loinc: '718-7', lab_code: 'HGB', text: 'Hemoglobin & indices' }] }])
})

test('other encoding characters (MSH-1/MSH-2) are honoured', () => {
  const d = decodeHl7LabOrders(msg('MSH#*!?@#MW#LAB###20260301##ORM*O01#X-1#P#2.3.1', 'PID#1##P-9', 'ORC#NW#SP-99', 'OBR#1#SP-99##2951-2*Sodium*LN#S'))
  assert.deepEqual(d.problems, [])
  assert.deepEqual(d.orders, [{ control: 'NW', specimen_id: 'SP-99', patient_id: 'P-9', priority: 'stat', tests: [{ loinc: '2951-2', text: 'Sodium' }] }])
})

test('refused with the field named: an escaped delimiter in a specimen id, a test nobody can read, no specimen anywhere', () => {
  const d = decodeHl7LabOrders(msg(
    'MSH|^~\\&|MW|LAB|||20260301||OML^O21^OML_O21|B-1|P|2.5.1',
    'PID|1||P-1',
    'ORC|NW|SP\\F\\1', 'OBR|1|SP\\F\\1||2345-7^^LN',
    'ORC|NW|SP-2', 'OBR|2|SP-2||^Glucose^LN',
    'ORC|NW', 'OBR|3|||2345-7^^LN', 'SPM|1|||SER',
    'ORC|NW|SP-4', 'OBR|4|SP-4||2823-3^^LN',
  ))
  assert.deepEqual(d.problems.map((p) => p.code), ['NEVA_HL7V2_ORDER_NO_SPECIMEN', 'NEVA_HL7V2_ORDER_NO_TEST', 'NEVA_HL7V2_ORDER_NO_SPECIMEN'])
  assert.match(d.problems[0]!.reason, /^OBR-2: specimen id/)
  assert.match(d.problems[1]!.reason, /^OBR-4 .*SP-2/)
  assert.match(d.problems[2]!.reason, /SPM-2, OBR-2, ORC-2, OBR-3 and ORC-3 are empty/)
  assert.deepEqual(d.orders.map((o) => o.specimen_id), ['SP-4'], 'the good order beside them kept')
  const noTrigger = decodeHl7LabOrders('MSH|^~\\&|MW|LAB|||20260301||ORM|B-2|P|2.3\rORC|NW|SP-1\rOBR|1|SP-1||2345-7^^LN')
  assert.match(noTrigger.problems[0]!.reason, /^MSH-9/)
})

test('fuzz: the decoder never throws, and whatever it keeps is a valid order (held-out layouts mutated)', () => {
  const bases = [
    msg('MSH|^~\\&|LIS|LAB|AN|LAB|20260301120000||ORM^O01|L23-1|P|2.3', 'PID|1|E-2211', 'ORC|NW|PL-7001', 'OBR|1|PL-7001||K^Potassium^99LAB^2823-3^^LN|A'),
    msg('MSH|^~\\&|MW|LAB|XN|HEMA|20260301123000||OML^O21^OML_O21|M-3|P|2.5.1', 'ORC|NW', 'TQ1|1||||||||R', 'OBR|1|||718-7^Hb \\T\\ x^LN^HGB^^L', 'SPM|1|^FT-3301&AN||BLD'),
  ].map((b) => Buffer.from(b, 'latin1'))
  const segs = fc.constantFrom('ORC|NW|S-1\r', 'OBR|1|S-1||2345-7^^LN\r', 'SPM|1|S-2\r', 'TQ1|1||||||||S\r', 'NTE|1||x\r', '\\F\\', '\r\n', '^~&', '|||')
  fc.assert(fc.property(fc.nat(bases.length - 1), fc.array(fc.tuple(fc.nat(400), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }), fc.array(segs, { maxLength: 4 }), (which, edits, extra) => {
    const b = Buffer.concat([bases[which]!, Buffer.from(`\r${extra.join('')}`, 'latin1')])
    for (const [i, v] of edits) b[i % b.length] = v
    const d = decodeHl7LabOrders(b)
    for (const o of d.orders) {
      assert.match(o.specimen_id, /^[A-Za-z0-9._:/-]{1,64}$/)
      assert.ok(o.tests.length > 0 && o.tests.every((t) => t.loinc !== undefined || t.lab_code !== undefined))
    }
    for (const p of d.problems) assert.ok(p.code.startsWith('NEVA_') && p.reason.length > 0)
  }), { numRuns: fuzzRuns() })
})

test('ACK parser: any ACK built for an order is read back with its code, control id and text; mutated ones never throw', () => {
  const order = 'MSH|^~\\&|NEVA|GW|XN|LAB|20260301||OML^O21^OML_O21|CTL|P|2.5.1\rPID|1||P\r'
  const printable = fc.stringMatching(/^[ -~]{0,40}$/)
  fc.assert(fc.property(fc.constantFrom('AA' as const, 'AE' as const, 'AR' as const), fc.stringMatching(/^[A-Za-z0-9.-]{1,20}$/), printable, (code, control, text) => {
    const ack = buildAck(order.replace('CTL', control), code, code === 'AA' ? undefined : text, { time: 0 })
    const a = decodeHl7OrderAnswer(ack)
    assert.ok(!('reason' in a), JSON.stringify(a))
    assert.deepEqual([a.code, a.accepted, a.controlId], [code, code === 'AA', control])
    // MSA-3 unescaped: the refusal's words as the peer wrote them, delimiters included.
    assert.equal(a.text, code === 'AA' ? '' : text)
  }), { numRuns: fuzzRuns() })
  const base = Buffer.from(buildAck(order, 'AR', 'unknown test', { time: 0, error: 'NEVA_HL7V2_ORDER_NO_TEST' }), 'latin1')
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 16 }), (edits) => {
    const b = Buffer.from(base)
    for (const [i, v] of edits) b[i] = v
    const a = decodeHl7OrderAnswer(b)
    // Accepted only when MSA-1 says so: a mangled refusal never reads as a delivery.
    if (!('reason' in a) && a.accepted) assert.match(a.code, /^[AC]A$/)
  }), { numRuns: fuzzRuns() })
})
