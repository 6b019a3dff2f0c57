import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_ENCODING, readEncoding, type Hl7Encoding } from './encoding.js'
import { hl7Escape, hl7Unescape } from './escape.js'
import { parseHl7 } from './parse.js'
import { formatHl7Time, parseHl7Time } from './time.js'

test('fields, repetitions, components and subcomponents; MSH fields numbered from MSH-1, the separator', () => {
  const { message, problems } = parseHl7('MSH|^~\\&|APP^EUI^EUI-64|FAC|||20250101||ORU^R01^ORU_R01|c1|P|2.6\rPID|||id1^^^H&1.2&ISO^MR~id2||Doe^Jane\r')
  assert.deepEqual(problems, [])
  const msh = message!.header
  assert.deepEqual([msh.field(1), msh.field(2), msh.value(3), msh.value(3, 2), msh.value(9, 2), msh.value(10)], ['|', '^~\\&', 'APP', 'EUI', 'R01', 'c1'])
  const pid = message!.segment('PID')!
  assert.deepEqual(pid.repetitions(3), ['id1^^^H&1.2&ISO^MR', 'id2'])
  assert.deepEqual([pid.value(3), pid.value(3, 1, 2), pid.value(3, 4), pid.value(3, 4, 1, 2), pid.value(3, 5), pid.value(3, 9), pid.value(40)], ['id1', 'id2', 'H&1.2&ISO', '1.2', 'MR', '', ''])
  assert.equal(pid.toString(), 'PID|||id1^^^H&1.2&ISO^MR~id2||Doe^Jane')
  assert.equal(msh.toString(), 'MSH|^~\\&|APP^EUI^EUI-64|FAC|||20250101||ORU^R01^ORU_R01|c1|P|2.6')
})

test('encoding characters come from MSH-1/MSH-2, whatever they are', () => {
  const { message } = parseHl7('MSH#@$%*#A@B*C$D#F\rPID###x@y%F%z$w')
  assert.deepEqual(message!.encoding, { field: '#', component: '@', repetition: '$', escape: '%', subcomponent: '*' })
  const msh = message!.header
  assert.deepEqual([msh.value(3), msh.value(3, 2), msh.value(3, 2, 1, 2), msh.value(3, 1, 2), msh.value(4)], ['A', 'B*C', 'C', 'D', 'F'])
  assert.deepEqual([message!.segment('PID')!.value(3, 2), message!.segment('PID')!.value(3, 1, 2)], ['y#z', 'w'])
  // Three characters: no subcomponent separator, so & is text.
  assert.deepEqual(parseHl7('MSH|^~\\|A&B').message!.header.value(3, 1, 1, 1), 'A&B')
  for (const bad of ['MSHA^~\\&', 'MSH|^^\\&|', 'MSH|^~\\&xyz|', 'MSH', 'MSH|', 'MSH|^ \\&|']) {
    assert.equal(typeof readEncoding(bad), 'string', bad)
    assert.equal(parseHl7(`${bad}\rPID|1`).problems[0]?.code, 'NEVA_HL7V2_BAD_ENCODING', bad)
  }
})

test('escape sequences: \\F\\ \\S\\ \\T\\ \\R\\ \\E\\, hex, line breaks; unknown ones stay as sent', () => {
  const enc = DEFAULT_ENCODING
  assert.equal(hl7Unescape('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f', enc), 'a|b^c&d~e\\f')
  assert.equal(hl7Unescape('\\X41\\\\X0D0A\\x\\.br\\y', enc), 'A\r\nx\ny')
  assert.equal(hl7Unescape('\\XC3A9\\ \\XE9\\', enc), 'é é') // UTF-8 bytes, else ISO 8859-1
  assert.equal(hl7Unescape('\\H\\bold\\N\\ \\Zvendor\\ \\X4\\ open\\', enc), '\\H\\bold\\N\\ \\Zvendor\\ \\X4\\ open\\')
  assert.equal(hl7Unescape('\\Zx\\\\F\\', enc), '\\Zx\\|')
  const odd: Hl7Encoding = { field: '#', component: '@', repetition: '$', escape: '%', subcomponent: '*' }
  assert.equal(hl7Unescape('a%F%b%E%c', odd), 'a#b%c')
  assert.equal(hl7Escape('a|b^c&d~e\\f\r\ng', enc), 'a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\X0D\\\\X0A\\g')
  assert.equal(hl7Unescape(hl7Escape('50% #1 @home $5 *x*', odd), odd), '50% #1 @home $5 *x*')
})

test('segments split on CR, CR LF or LF, with their byte offsets; HL7 null "" reads as empty', () => {
  for (const sep of ['\r', '\r\n', '\n', '\r\r']) {
    const { message } = parseHl7(['MSH|^~\\&|A', 'PID|||""^^^H', 'OBX|1'].join(sep) + sep)
    assert.deepEqual(message!.segments.map((s) => s.name), ['MSH', 'PID', 'OBX'], JSON.stringify(sep))
    assert.equal(message!.segment('PID')!.value(3), '')
    assert.equal(message!.segments[1]!.offset, 10 + sep.length)
  }
})

test('refusals name what is wrong, with byte offsets; good segments around a bad one are read', () => {
  assert.equal(parseHl7('').problems[0]?.code, 'NEVA_HL7V2_NO_MSH')
  assert.match(parseHl7('PID|1\rMSH|^~\\&|').problems[0]!.reason, /does not start with MSH/)
  assert.match(parseHl7('FHS|^~\\&|\rMSH|^~\\&|').problems[0]!.reason, /batches \(FHS\)/)
  assert.match(parseHl7('x'.repeat(2000), { maxBytes: 1000 }).problems[0]!.reason, /2000 bytes; the limit is 1000/)
  assert.equal(parseHl7('MSH|^~\\&|\r' + 'NTE|1\r'.repeat(20), { maxSegments: 10 }).problems[0]?.code, 'NEVA_HL7V2_TOO_MANY_SEGMENTS')
  const { message, problems } = parseHl7('MSH|^~\\&|A\rPID|1\rbroken line|x\rOBX|1\rMSH|^~\\&|B\rPID|2')
  assert.deepEqual(message!.segments.map((s) => s.name), ['MSH', 'PID', 'OBX'])
  assert.deepEqual(problems.map((p) => [p.code, p.offset]), [['NEVA_HL7V2_BAD_SEGMENT', 17], ['NEVA_HL7V2_SECOND_MESSAGE', 37]])
  assert.match(problems[0]!.reason, /segment at byte 17: "broken line" is not a segment name/)
  assert.equal(problems[1]!.payload, 'MSH|^~\\&|B\rPID|2')
})

test('character set from MSH-18: ISO 8859-1 when it says so, UTF-8 otherwise', () => {
  const latin1 = Buffer.concat([Buffer.from('MSH|^~\\&|A||||||ORU^R01|1|P|2.6||||||8859/1\rPID|||x||M'), Buffer.from([0xfc]), Buffer.from('ller')])
  assert.equal(parseHl7(latin1).message!.segment('PID')!.value(5), 'Müller')
  assert.equal(parseHl7('MSH|^~\\&|A\rPID|||x||Müller').message!.segment('PID')!.value(5), 'Müller')
})

test('HL7 DTM: every precision, offsets, the gateway zone for times without one; impossible dates refused', () => {
  assert.equal(parseHl7Time('20150122182658+0000'), Date.UTC(2015, 0, 22, 18, 26, 58))
  assert.equal(parseHl7Time('20120111150457-0600'), Date.UTC(2012, 0, 11, 21, 4, 57))
  assert.equal(parseHl7Time('20090813095715+0500'), Date.UTC(2009, 7, 13, 4, 57, 15))
  assert.equal(parseHl7Time('20150122115000'), Date.UTC(2015, 0, 22, 11, 50))
  assert.equal(parseHl7Time('20150122115000', 60), Date.UTC(2015, 0, 22, 10, 50))
  assert.equal(parseHl7Time('20150122115000', -300), Date.UTC(2015, 0, 22, 16, 50))
  assert.equal(parseHl7Time('2015'), Date.UTC(2015, 0, 1))
  assert.equal(parseHl7Time('201501221150'), Date.UTC(2015, 0, 22, 11, 50))
  assert.equal(parseHl7Time('20150122115000.1234'), Date.UTC(2015, 0, 22, 11, 50, 0, 123))
  assert.equal(parseHl7Time('20150122115000.5+0100'), Date.UTC(2015, 0, 22, 10, 50, 0, 500))
  assert.equal(parseHl7Time('19991231235959'), Date.UTC(1999, 11, 31, 23, 59, 59))
  for (const bad of ['', '2015012', '20150230', '20151301', '20150122246000', '20150122115000+1500', '20150122115000+01', '2015-01-22', 'now', '20150122115000.']) {
    assert.equal(parseHl7Time(bad), undefined, bad)
  }
  const t = Date.UTC(2026, 10, 25, 12, 30, 15, 250)
  assert.equal(formatHl7Time(t), '20261125123015.250+0000')
  assert.equal(formatHl7Time(Date.UTC(2026, 0, 1), -330), '20251231183000-0530')
  assert.equal(parseHl7Time(formatHl7Time(t, 345)), t)
})
