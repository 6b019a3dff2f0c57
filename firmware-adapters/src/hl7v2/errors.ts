// Error catalog of the HL7 v2 / MLLP codec: why a message, a reading or some bytes were refused
// (problems, kept aside) or deliberately skipped (ignored, only counted).
export const HL7V2_ERRORS = {
  // The message as a whole
  NEVA_HL7V2_TOO_LARGE: 'message is larger than the gateway accepts',
  NEVA_HL7V2_TOO_MANY_SEGMENTS: 'message has more segments than the gateway accepts',
  NEVA_HL7V2_NO_MSH: 'message does not start with an MSH segment',
  NEVA_HL7V2_BAD_ENCODING: 'MSH-1/MSH-2 encoding characters are unusable',
  NEVA_HL7V2_BAD_SEGMENT: 'a segment does not start with a segment name',
  NEVA_HL7V2_SECOND_MESSAGE: 'a second MSH inside one message',
  NEVA_HL7V2_UNSUPPORTED_MESSAGE: 'message type is not ORU^R01 or ORU^R40',
  NEVA_HL7V2_NO_PATIENT: 'readings without a patient cannot be charted',
  NEVA_HL7V2_BAD_PATIENT_ID: 'patient identifier has characters Neva does not accept',
  // One OBX
  NEVA_HL7V2_BAD_NUMBER: 'OBX-5 is not a number',
  NEVA_HL7V2_NOT_NUMERIC: 'OBX-2 value type cannot carry this vital sign',
  NEVA_HL7V2_UNIT_MISMATCH: 'OBX-6 unit differs from the code table',
  NEVA_HL7V2_IMPLAUSIBLE_VALUE: 'value is physiologically impossible',
  NEVA_HL7V2_TEST_DATA: 'device marked the value as test or demo data',
  NEVA_HL7V2_NO_TEST_CODE: 'OBX-3 names no test',
  // One alert (an OBR group of an ORU^R40)
  NEVA_HL7V2_BAD_ALARM_ID: 'alert identifier (OBR-29 parent, else OBR-3, else OBR-2) has characters Neva does not accept (a quote, backslash, ; or control character)',
  NEVA_HL7V2_NO_ALARM_EVENT: 'alert names no event (no MDC_EVT_ OBX or OBX-4 facet .1, or an empty one)',
  // Ignored (counted, not kept aside)
  NEVA_HL7V2_DEVICE_ENTRY: 'device hierarchy entry (MDS/VMD/CHAN), not a reading',
  NEVA_HL7V2_NOT_A_VITAL: 'MDC metric that is not a vital sign Neva stores',
  NEVA_HL7V2_NO_VALUE: 'OBX without a value',
  NEVA_HL7V2_ALARM_HEARTBEAT: 'alert reporter watchdog heartbeat (MDC_EVT_ACTIVE), not an alarm',
  NEVA_HL7V2_NOT_OBTAINED: 'device says the result could not be obtained, or withdrew it',
  // MLLP framing
  NEVA_HL7V2_MLLP_GARBAGE: 'bytes outside an MLLP frame',
  NEVA_HL7V2_MLLP_FRAME_TOO_LARGE: 'MLLP frame larger than the gateway accepts',
  NEVA_HL7V2_MLLP_RESTARTED: 'MLLP frame cut short by a new start block',
  NEVA_HL7V2_MLLP_TRUNCATED: 'connection ended inside an MLLP frame',
} as const
export type Hl7v2ErrorCode = keyof typeof HL7V2_ERRORS
