// Error catalog of the ECG chunk codec (MQTT topic neva/v1/devices/{device_id}/ecg).
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
