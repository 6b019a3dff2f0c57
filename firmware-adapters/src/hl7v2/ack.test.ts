import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildAck } from './ack.js'
import { decodeHl7 } from './decode.js'
import { parseHl7 } from './parse.js'

const ORU = 'MSH|^~\\&|MON-7^0012AB^EUI-64|ICU|GW^1^ISO|HOSP|20261125115959+0000||ORU^R01^ORU_R01|ctl-1|T|2.5\rPID|||p1\r'
const lines = (ack: string) => ack.split('\r').filter((l) => l !== '')

test('AA: sender and receiver swapped, trigger echoed, MSA-2 the original MSH-10, a new control id and time', () => {
  const ack = buildAck(parseHl7(ORU).message, 'AA', undefined, { controlId: 'N1', time: Date.UTC(2026, 10, 25, 12) })
  assert.deepEqual(lines(ack), ['MSH|^~\\&|GW^1^ISO|HOSP|MON-7^0012AB^EUI-64|ICU|20261125120000+0000||ACK^R01^ACK|N1|T|2.5', 'MSA|AA|ctl-1'])
  assert.ok(ack.endsWith('\r'))
})

test('AE/AR: the reason in MSA-3 and in an ERR with the HL7 table 0357 code, escaped', () => {
  const ack = buildAck(ORU, 'AR', 'ORU^R40 is not | stored\r\nhere', { controlId: 'N2', error: 'NEVA_HL7V2_UNSUPPORTED_MESSAGE' })
  assert.deepEqual(lines(ack).slice(1), [
    'MSA|AR|ctl-1|ORU\\S\\R40 is not \\F\\ stored here',
    'ERR|||200^Unsupported message type^HL70357|E||||ORU\\S\\R40 is not \\F\\ stored here',
  ])
  assert.match(lines(buildAck(ORU, 'AE', 'not stored, resend'))[2]!, /^ERR\|\|\|207\^Application internal error\^HL70357\|E\|\|\|\|not stored, resend$/)
  // What the sender gets back parses, with its own MSH-10 in MSA-2.
  const parsed = parseHl7(ack).message!
  assert.deepEqual([parsed.segment('MSA')!.value(1), parsed.segment('MSA')!.value(2), parsed.segment('MSA')!.value(3)], ['AR', 'ctl-1', 'ORU^R40 is not | stored here'])
})

test("the original's encoding characters are kept", () => {
  const odd = 'MSH#@$%*#MON#ICU#####ORU@R01#c#P#2.6\rPID###p1'
  const ack = buildAck(odd, 'AE', 'bad # value', { controlId: 'N3' })
  assert.deepEqual(lines(ack), ['MSH#@$%*#NEVA##MON#ICU###ACK@R01@ACK#N3#P#2.6', 'MSA#AE#c#bad %F% value', 'ERR###207@Application internal error@HL70357#E####bad %F% value'])
})

test('too broken to parse: still an AR; MSA-2 from the first line when it has one, else empty', () => {
  const big = decodeHl7(ORU + 'NTE|1|' + 'x'.repeat(5000), 0, { maxMessageBytes: 1000 })
  assert.equal(big.message, undefined)
  assert.match(lines(buildAck(ORU + 'NTE|1|' + 'x'.repeat(5000), 'AR', big.ack.text))[1]!, /^MSA\|AR\|ctl-1\|message is \d+ bytes/)
  assert.deepEqual(lines(buildAck(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 'AR', 'not HL7', { controlId: 'N4' })).slice(0, 2), [
    'MSH|^~\\&|NEVA|||||||ACK|N4|P|2.6'.replace('|||||||ACK', '||||||ACK'),
    'MSA|AR||not HL7',
  ])
  assert.deepEqual(lines(buildAck(undefined, 'AR'))[1], 'MSA|AR')
})
