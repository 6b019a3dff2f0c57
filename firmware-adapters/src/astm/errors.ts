// Error catalog of the ASTM adapter: why a frame, a record or a message was refused.
export const ASTM_ERRORS = {
  NEVA_ASTM_CHECKSUM: 'frame checksum does not match its content (E1381: the sender resends it)',
  NEVA_ASTM_FRAME_NUMBER: 'frame number is neither the next one nor a repeat of the last good one',
  NEVA_ASTM_FRAME_MALFORMED: 'bytes do not form STX, frame number 0-7, text, ETB or ETX, two hex checksum digits',
  NEVA_ASTM_FRAME_TOO_LONG: 'frame text is longer than the cap',
  NEVA_ASTM_MESSAGE_TOO_LONG: 'message is longer than the cap; it was acknowledged and dropped',
  NEVA_ASTM_NOISE: 'bytes outside any frame',
  NEVA_ASTM_RECEIVER_TIMEOUT: 'no frame within the E1381 receiver timeout; the partial message was discarded',
  NEVA_ASTM_INTERRUPTED: 'the sender started over or the link dropped before the message ended',
  NEVA_ASTM_NOT_ASTM: 'input holds no ASTM E1381 frame and no E1394 header record',
  NEVA_ASTM_NO_HEADER: 'records before any H header record: their delimiters are unknown',
  NEVA_ASTM_BAD_DELIMITERS: 'the H record does not define four distinct delimiters',
  NEVA_ASTM_UNKNOWN_RECORD: 'record is not an E1394 record (H, P, O, R, C, M, Q, S, L)',
  NEVA_ASTM_NO_TEST: 'result record names no test in R-3',
  NEVA_ASTM_FIELD_TOO_LONG: 'a field is longer than Neva stores for it',
  NEVA_ASTM_TOO_MANY: 'more records than the cap for one message',
  NEVA_ASTM_BAD_ID: 'patient or specimen id longer than Neva stores; the results under it are refused',
  // What the decoder deliberately skips (Decoded.ignored): counted, not kept aside.
  NEVA_ASTM_NO_VALUE: 'result record without a value is no result',
  NEVA_ASTM_SKIPPED_RECORD: 'record kind Neva does not store (M manufacturer, Q query, S scientific)',
  NEVA_ASTM_COMMENT_DROPPED: 'comment not on a result, or beyond what a result keeps',
  NEVA_ASTM_BAD_TIME: 'date/time is not YYYYMMDD[HHMM[SS]]; the result is kept without it',
  NEVA_ASTM_REPEATED_FRAME: 'a frame sent again (its acknowledgement was lost) is read once',
} as const
export type AstmErrorCode = keyof typeof ASTM_ERRORS
