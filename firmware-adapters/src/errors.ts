// Error catalog of the firmware adapters: every code a decoder or a device link gives, why a
// message, a reading or some bytes were refused (problems, kept aside) or deliberately skipped
// (ignored, only counted), declared once with its meaning. One section per protocol; the rest of
// the package names a code through `FirmwareErrorCode.NEVA_…`, never as a string
// (edge/test/error-catalog.test.ts enforces it; docs/errors.md lists the catalog).

// The MQTT JSON conventions (vitals, alarms, transport) and what every decoder shares.
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

// HL7 v2 and MLLP: why a message, a reading or some bytes were refused
// (problems, kept aside) or deliberately skipped (ignored, only counted).
export const HL7V2_ERRORS = {
  // The message as a whole
  NEVA_HL7V2_TOO_LARGE: 'message is larger than the gateway accepts',
  NEVA_HL7V2_TOO_MANY_SEGMENTS: 'message has more segments than the gateway accepts',
  NEVA_HL7V2_NO_MSH: 'message does not start with an MSH segment',
  NEVA_HL7V2_BAD_ENCODING: 'MSH-1/MSH-2 encoding characters are unusable',
  NEVA_HL7V2_BAD_SEGMENT: 'a segment does not start with a segment name',
  NEVA_HL7V2_SECOND_MESSAGE: 'a second MSH inside one message',
  NEVA_HL7V2_UNSUPPORTED_MESSAGE: 'message type is not ORU^R01, ORU^R40 or ORU^R42',
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
  // One infusion event (an OBR group of an ORU^R42)
  NEVA_HL7V2_NO_INFUSION_DATA: 'infusion event names no drug, rate, volume or pump state',
  NEVA_HL7V2_BAD_WAVEFORM: 'an NA/MA waveform OBX Neva cannot store: not an ECG lead, no sample rate, a unit or sample it cannot read, or a multiplexed array',
  // Lab orders (OML^O21, ORM^O01) and their acknowledgements (ORL^O22, ORR^O02, ACK)
  NEVA_HL7V2_NOT_AN_ORDER: 'message is not OML^O21 or ORM^O01 (nor an ORL^O22, ORR^O02 or ACK where an answer was awaited)',
  NEVA_HL7V2_ORDER_NO_SPECIMEN: 'order names no specimen (SPM-2, OBR-2, ORC-2, OBR-3 or ORC-3) Neva accepts',
  NEVA_HL7V2_ORDER_NO_TEST: 'order names no test in OBR-4',
  NEVA_HL7V2_ORDER_FROM_DEVICE: 'an order message (ORM, OML, OM*) sent to the gateway: orders are placed at the core by the hospital system or a clinician, never by a device or middleware',
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

// ASTM (E1381 frames, E1394 records): why a frame, a record or a message was refused.
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

// Pulse oximeters (serial ASCII lines and binary frames).
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

// OPC UA devices: why a configured node or a value it reported was refused,
// ignored, or why the link to the device failed.
export const OPCUA_ERRORS = {
  NEVA_OPCUA_CONFIG: "the OPC UA device configuration is invalid (among others: a node mapped to an unknown MDC code, or a unit not the code table's)",
  NEVA_OPCUA_NOT_A_NUMBER: 'the value is not a scalar number (a string, boolean, array, object or NaN)',
  NEVA_OPCUA_IMPLAUSIBLE_VALUE: 'value is physiologically impossible',
  NEVA_OPCUA_BAD_STATUS: 'the server reported the value with a Bad status code: it has no valid value (ignored, counted)',
  NEVA_OPCUA_NO_VALUE: 'the server reported a null value: the device measures nothing now (ignored, counted)',
  NEVA_OPCUA_CONNECTION_LOST: 'the connection to the OPC UA server dropped; reconnecting',
  NEVA_OPCUA_CONNECT_FAILED: 'connecting, creating the session or the subscription failed; retrying',
  NEVA_OPCUA_MONITOR_FAILED: 'the server refused to monitor a node (unknown node id, not readable)',
  NEVA_OPCUA_NOT_DURABLE: 'values could not be made durable yet (outbox full or failing); kept in memory and retried',
  NEVA_OPCUA_DROPPED: 'values waiting to be made durable exceeded the memory bound; the oldest were dropped',
} as const
export type OpcuaErrorCode = keyof typeof OPCUA_ERRORS

// The ECG chunk codec (MQTT topic neva/v1/devices/{device_id}/ecg).
export const ECG_ERRORS = {
  NEVA_ECG_UNKNOWN_TOPIC: 'topic is under neva/ but is not neva/v1/devices/{device_id}/ecg',
  NEVA_ECG_TOO_LARGE: 'payload is larger than any valid chunk',
  NEVA_ECG_TRUNCATED: 'payload is shorter than its header says',
  NEVA_ECG_BAD_MAGIC: 'payload does not start with "NECG"',
  NEVA_ECG_UNSUPPORTED_VERSION: 'payload is of a format version this gateway does not read',
  NEVA_ECG_LENGTH_MISMATCH: 'payload length differs from the lengths its header gives',
  NEVA_ECG_CHECKSUM: 'CRC-32 of the payload does not match',
  NEVA_ECG_BAD_HEADER: 'a header field is out of range',
  NEVA_ECG_BAD_SAMPLES: 'the samples section is malformed',
  /** Counted, not refused: the chunk is stored at the receive time. */
  NEVA_ECG_CLOCK_SUSPECT: 'start time is implausible; the chunk was stored ending at the receive time',
} as const
export type EcgErrorCode = keyof typeof ECG_ERRORS

// WFDB recordings (PhysioNet header + signal files; firmware-adapters/src/wfdb/README.md).
export const WFDB_ERRORS = {
  NEVA_WFDB_BAD_HEADER: 'the .hea text is not a WFDB header (record line or a signal line malformed)',
  NEVA_WFDB_TOO_LARGE: 'the header or the samples it announces exceed what the reader accepts',
  NEVA_WFDB_UNSUPPORTED: 'the header asks for something the reader does not read (multi-segment record, a storage format other than 16, 212 or 80)',
  NEVA_WFDB_BAD_FILE_NAME: 'a signal file name is not a plain file name beside the header',
  NEVA_WFDB_FILE_MISSING: 'a signal file the header names cannot be read',
  NEVA_WFDB_TRUNCATED: 'a signal file is shorter than the samples the header announces',
  NEVA_WFDB_CHECKSUM: "a signal's samples do not sum to the header's checksum",
  NEVA_WFDB_INITIAL_VALUE: "a signal's first sample differs from the header's initial value",
} as const
export type WfdbErrorCode = keyof typeof WFDB_ERRORS

// Fetal monitors (CTG): FHR, uterine activity and maternal HR as HL7 NA arrays or serial lines.
export const CTG_ERRORS = {
  NEVA_CTG_BAD_SAMPLES: 'samples of a CTG signal are not numbers or outside what the signal can be; they are stored as gaps, the rest is kept',
  NEVA_CTG_TOO_MANY_SAMPLES: 'a CTG array is longer than one waveform chunk may be',
  NEVA_CTG_BAD_RATE: 'the sample rate of a CTG signal is not a whole number of Hz in 1–1000',
  NEVA_CTG_BAD_UNIT: "a CTG signal's unit is not one its kind can have (bpm for heart rates; toco or mmHg for uterine activity)",
  NEVA_CTG_BAD_LINE: 'a fetal monitor serial line is not in the CTG line protocol (docs/ctg.md)',
  NEVA_CTG_NO_PATIENT: 'a fetal monitor line came before the monitor or the port named its patient',
} as const
export type CtgErrorCode = keyof typeof CTG_ERRORS

/** Every code of the package, with its meaning. */
export const FIRMWARE_ERRORS = { ...DECODE_ERRORS, ...HL7V2_ERRORS, ...ASTM_ERRORS, ...OXIMETER_ERRORS, ...OPCUA_ERRORS, ...ECG_ERRORS, ...WFDB_ERRORS, ...CTG_ERRORS } as const
export type FirmwareErrorCode = keyof typeof FIRMWARE_ERRORS

/** Each code as a constant, `FirmwareErrorCode.NEVA_DECODE_SCHEMA === 'NEVA_DECODE_SCHEMA'`. */
export const FirmwareErrorCode = Object.freeze(Object.fromEntries(Object.keys(FIRMWARE_ERRORS).map((code) => [code, code]))) as { readonly [C in FirmwareErrorCode]: C }

export interface DecodeProblem {
  /** A code of this catalog, or of the edge's for input the gateway refuses itself (NEVA_EDGE_MQTT_TOPIC_DENIED). */
  code: DecodeErrorCode | (string & {})
  /** Names what was wrong, e.g. "readings[2].value: 900 /min is outside 0–350". */
  reason: string
  /** The offending part of the input (the whole payload, or one reading as JSON). */
  payload: string
  /** Byte offset of the offending part in the input, when the input is a stream or a file. */
  offset?: number
}
