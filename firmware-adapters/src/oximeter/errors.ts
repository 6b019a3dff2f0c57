// Error catalog of the pulse oximeter codecs (serial ASCII lines and binary frames).
export const OXIMETER_ERRORS = {
  NEVA_OXIMETER_LINE_TOO_LONG: 'a line exceeded the maximum length; its bytes up to the next line end were dropped',
  NEVA_OXIMETER_NOT_A_RECORD: 'a line is not an oximeter record (no SPO2= and BPM= fields, stray tokens or unprintable bytes)',
  NEVA_OXIMETER_BAD_FIELD: 'a field of a record is malformed',
  NEVA_OXIMETER_IMPLAUSIBLE_VALUE: 'value is physiologically impossible',
  NEVA_OXIMETER_SKIPPED_BYTES: 'bytes that are not valid frames were skipped to resynchronize',
  NEVA_OXIMETER_PACKET_INCOMPLETE: 'a packet ended before all of its frames arrived; its values were dropped',
  NEVA_OXIMETER_NOT_STORED: 'a parameter the oximeter sends that is not a vital sign Neva stores (ignored, counted)',
} as const
export type OximeterErrorCode = keyof typeof OXIMETER_ERRORS
