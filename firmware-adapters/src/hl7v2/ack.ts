// HL7 v2 original-mode acknowledgement (HL7 v2.6 §2.9.2): MSH with sender and receiver swapped,
// MSA echoing the original MSH-10, and on AE/AR an ERR saying why. Written with the original's
// encoding characters so that the sender can read it.
import { DEFAULT_ENCODING, encodingCharacters, type Hl7Encoding } from './encoding.js'
import type { Hl7AckCode } from './decode.js'
import { hl7Escape } from './escape.js'
import type { Hl7Message } from './message.js'
import { parseHl7 } from './parse.js'
import { formatHl7Time } from './time.js'

export interface AckStamp {
  /** MSH-10 of the ACK; default "A" + the original's control id. */
  controlId?: string
  /** MSH-7 of the ACK (epoch ms); empty when not given (the codec has no clock). */
  time?: number
  utcOffsetMinutes?: number
  /** MSH-3 of the ACK when the original's MSH-5 (receiving application) is empty. */
  application?: string
  /** The catalog code behind an AE/AR (HL7V2_ERRORS), mapped to HL7 table 0357 in ERR-3. */
  error?: string
}

// HL7 table 0357 (message error condition codes).
const TABLE_0357: Readonly<Record<string, string>> = {
  NEVA_HL7V2_UNSUPPORTED_MESSAGE: '200^Unsupported message type',
  NEVA_HL7V2_NO_PATIENT: '101^Required field missing',
  NEVA_HL7V2_NO_ALARM_EVENT: '101^Required field missing',
  NEVA_HL7V2_BAD_PATIENT_ID: '102^Data type error',
  NEVA_HL7V2_BAD_NUMBER: '102^Data type error',
  NEVA_HL7V2_NOT_NUMERIC: '102^Data type error',
  NEVA_HL7V2_UNIT_MISMATCH: '103^Table value not found',
  NEVA_HL7V2_NO_MSH: '100^Segment sequence error',
  NEVA_HL7V2_BAD_SEGMENT: '100^Segment sequence error',
  NEVA_HL7V2_SECOND_MESSAGE: '100^Segment sequence error',
  NEVA_HL7V2_NOT_AN_ORDER: '200^Unsupported message type',
  NEVA_HL7V2_ORDER_NO_SPECIMEN: '101^Required field missing',
  NEVA_HL7V2_ORDER_NO_TEST: '101^Required field missing',
  NEVA_HL7V2_ORDER_FROM_DEVICE: '200^Unsupported message type',
}
const APPLICATION_ERROR = '207^Application internal error'
/** Longest text put in MSA-3 / ERR-8. */
const MAX_TEXT = 512

/**
 * The ACK for a message: the parsed message, or its raw bytes when it could not be parsed (only
 * its first line is read, so a message too large or too broken still gets an AR; without an MSH
 * the ACK has an empty MSA-2).
 */
export function buildAck(message: Hl7Message | Uint8Array | string | undefined, code: Hl7AckCode, text?: string, stamp: AckStamp = {}): string {
  const original = message === undefined || isMessage(message) ? message : headerOf(message)
  const enc: Hl7Encoding = original?.encoding ?? DEFAULT_ENCODING
  const msh = original?.header
  const f = (n: number) => msh?.field(n) ?? ''
  const trigger = msh?.value(9, 2).trim() ?? ''
  const controlId = stamp.controlId ?? `A${f(10)}`.slice(0, 199)
  const time = stamp.time === undefined ? '' : formatHl7Time(stamp.time, stamp.utcOffsetMinutes ?? 0)
  const esc = (s: string) => hl7Escape(s, enc)
  const header = [
    'MSH', encodingCharacters(enc), f(5) || esc(stamp.application ?? 'NEVA'), f(6), f(3), f(4), time, '',
    // MSH-9 ACK^<trigger>^ACK (HL7 v2.6 §2.13.1)
    trigger ? ['ACK', esc(trigger), 'ACK'].join(enc.component) : 'ACK',
    esc(controlId), f(11) || 'P', f(12) || '2.6',
  ]
  const reason = text === undefined ? '' : esc(text.replace(/[\r\n]+/g, ' ').slice(0, MAX_TEXT))
  const segments = [header.join(enc.field), ['MSA', code, f(10), reason].join(enc.field).replace(new RegExp(`${escapeRe(enc.field)}+$`), '')]
  if (code !== 'AA') {
    const err = (stamp.error && TABLE_0357[stamp.error]) || APPLICATION_ERROR
    // ERR-3 HL7 error code, ERR-4 severity E, ERR-8 user message (HL7 v2.5+).
    segments.push(['ERR', '', '', [...err.split('^'), 'HL70357'].join(enc.component), 'E', '', '', '', reason].join(enc.field))
  }
  return segments.join('\r') + '\r'
}

function isMessage(m: Hl7Message | Uint8Array | string): m is Hl7Message {
  return typeof m === 'object' && 'segments' in m
}

/** The MSH of raw input, read from its first line only (bounded whatever the input's size). */
function headerOf(raw: Uint8Array | string): Hl7Message | undefined {
  const head = typeof raw === 'string' ? raw.slice(0, 65536) : raw.subarray(0, 65536)
  let end = -1
  for (let i = 0; i < head.length; i++) {
    const c = typeof head === 'string' ? head.charCodeAt(i) : head[i]
    if (c === 0x0d || c === 0x0a) {
      if (i > 0) { end = i; break }
    }
  }
  const line = end < 0 ? head : head.slice(0, end)
  return parseHl7(line).message
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
