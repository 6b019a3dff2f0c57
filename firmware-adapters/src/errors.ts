// Error catalog of the decoders: why a message or a reading was refused.
export const DECODE_ERRORS = {
  NEVA_DECODE_UNKNOWN_TOPIC: 'topic is under neva/ but matches no known convention',
  NEVA_DECODE_INVALID_JSON: 'payload is not valid UTF-8 JSON',
  NEVA_DECODE_SCHEMA: 'payload does not match the schema',
  NEVA_DECODE_DEVICE_MISMATCH: 'payload names another device than its topic',
  NEVA_DECODE_UNKNOWN_CODE: 'reading names no known vital sign',
  NEVA_DECODE_UNIT_MISMATCH: 'reading unit differs from the code table',
  NEVA_DECODE_IMPLAUSIBLE_VALUE: 'value is physiologically impossible',
  NEVA_DECODE_IMPLAUSIBLE_TIME: 'a time in the message cannot be right (clock or typo)',
  NEVA_DECODE_BAD_ID: 'an id (device, patient, alarm, order, test code…) breaks the character rule of contracts/src/ids.ts',
} as const
export type DecodeErrorCode = keyof typeof DECODE_ERRORS

export interface DecodeProblem {
  /** A code from a decoder's catalog (this one, or a protocol's own, e.g. HL7V2_ERRORS). */
  code: DecodeErrorCode | (string & {})
  /** Names what was wrong, e.g. "readings[2].value: 900 /min is outside 0–350". */
  reason: string
  /** The offending part of the input (the whole payload, or one reading as JSON). */
  payload: string
  /** Byte offset of the offending part in the input, when the input is a stream or a file. */
  offset?: number
}
