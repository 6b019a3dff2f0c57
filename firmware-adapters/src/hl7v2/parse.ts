// HL7 v2 parser: bytes → segments → fields, bounded. Segments end with CR (HL7 v2.6 §2.5.1);
// LF and CR LF are tolerated because file exports and some gateways use them. The character set
// comes from MSH-18 (UTF-8 when absent).
import { FirmwareErrorCode, type DecodeProblem, type Hl7v2ErrorCode } from '../errors.js'
import { readEncoding } from './encoding.js'
import { Hl7Message, Hl7Segment } from './message.js'

export const HL7_MAX_MESSAGE_BYTES = 1024 * 1024
export const HL7_MAX_SEGMENTS = 5000

export interface Hl7ParseLimits {
  maxBytes?: number
  maxSegments?: number
}

export interface Hl7ParseResult {
  /** Undefined when the input is not an HL7 message at all (problems say why). */
  message?: Hl7Message
  problems: DecodeProblem[]
}

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/
const LATIN1 = new TextDecoder('latin1')
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
/** Problem payloads are at most this long (RejectedReading.payload). */
export const MAX_PAYLOAD_CHARS = 65536

export const clip = (s: string, n = MAX_PAYLOAD_CHARS): string => (s.length > n ? s.slice(0, n) : s)

function problem(code: Hl7v2ErrorCode, reason: string, payload: string, offset?: number): DecodeProblem {
  return offset === undefined ? { code, reason, payload: clip(payload) } : { code, reason, payload: clip(payload), offset }
}

export function parseHl7(input: Uint8Array | string, limits: Hl7ParseLimits = {}): Hl7ParseResult {
  const maxBytes = limits.maxBytes ?? HL7_MAX_MESSAGE_BYTES
  const maxSegments = limits.maxSegments ?? HL7_MAX_SEGMENTS
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  if (bytes.length > maxBytes) {
    return { problems: [problem(FirmwareErrorCode.NEVA_HL7V2_TOO_LARGE, `message is ${bytes.length} bytes; the limit is ${maxBytes}`, LATIN1.decode(bytes.subarray(0, 4096)))] }
  }
  // Segment boundaries on the bytes: CR and LF never occur inside a UTF-8 or ISO 8859 character.
  const spans: Array<[number, number]> = []
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  for (let i = start; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0d && bytes[i] !== 0x0a) continue
    if (i > start && !isBlank(bytes, start, i)) {
      if (spans.length === maxSegments) {
        return { problems: [problem(FirmwareErrorCode.NEVA_HL7V2_TOO_MANY_SEGMENTS, `message has more than ${maxSegments} segments`, LATIN1.decode(bytes.subarray(0, 4096)))] }
      }
      spans.push([start, i])
    }
    start = i + 1
  }
  const first = spans[0]
  const head = first ? LATIN1.decode(bytes.subarray(first[0], first[1])) : ''
  if (!head.startsWith('MSH')) {
    const what = head === '' ? 'the message is empty' : /^(FHS|BHS)/.test(head) ? `batches (${head.slice(0, 3)}) are not read; send one message per frame` : 'it does not start with MSH (its first bytes are in payload)'
    return { problems: [problem(FirmwareErrorCode.NEVA_HL7V2_NO_MSH, `not an HL7 message: ${what}`, LATIN1.decode(bytes.subarray(0, 4096)))] }
  }
  const encoding = readEncoding(head)
  if (typeof encoding === 'string') {
    return { problems: [problem(FirmwareErrorCode.NEVA_HL7V2_BAD_ENCODING, encoding, head)] }
  }
  const decode = textDecoder(head.split(encoding.field)[17] ?? '')
  const problems: DecodeProblem[] = []
  const segments: Hl7Segment[] = []
  const texts: string[] = []
  for (const [s, e] of spans) {
    const text = decode(bytes.subarray(s, e))
    const parts = text.split(encoding.field)
    const name = parts[0]!
    if (segments.length > 0 && name === 'MSH') {
      problems.push(problem(FirmwareErrorCode.NEVA_HL7V2_SECOND_MESSAGE, `a second MSH at byte ${s}: one message per frame; the rest of the frame is not read`, decode(bytes.subarray(s)), s))
      break
    }
    if (!SEGMENT_NAME.test(name)) {
      problems.push(problem(FirmwareErrorCode.NEVA_HL7V2_BAD_SEGMENT, `segment at byte ${s}: ${JSON.stringify(name.slice(0, 16))} is not a segment name; the segment is not read`, text, s))
      continue
    }
    // MSH-1 is the separator itself, so MSH's fields shift by one (fields[n] is MSH-n).
    const fields = name === 'MSH' ? ['MSH', encoding.field, ...parts.slice(1)] : parts
    segments.push(new Hl7Segment(name, fields, encoding, s))
    texts.push(text)
  }
  return { message: new Hl7Message(encoding, segments, texts.join('\r')), problems }
}

function isBlank(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0x20 && bytes[i] !== 0x09) return false
  return true
}

/** MSH-18 character set → a decoder; UTF-8 unless it names ISO 8859, with ISO 8859-1 for invalid UTF-8. */
function textDecoder(charset: string): (b: Uint8Array) => string {
  const m = /^8859\/(\d{1,2})$/.exec(charset.trim())
  if (m) {
    let decoder = LATIN1
    try {
      decoder = new TextDecoder(`iso-8859-${m[1]}`)
    } catch {
      // A part Node does not know: ISO 8859-1 at least keeps ASCII right.
    }
    return (b) => decoder.decode(b)
  }
  return (b) => {
    try {
      return UTF8.decode(b)
    } catch {
      return LATIN1.decode(b)
    }
  }
}
