// The ECG chunk encoding: one MQTT message carries a few seconds of up to 12 standard leads
// (version 1, a lead mask) or of up to 16 named leads (version 2, a lead table).
// Little-endian throughout; the layout is documented in README.md.
import { ECG_LEADS, MAX_WAVEFORM_SAMPLES, type EcgLead } from '@neva/contracts'

export const ECG_TOPIC_PREFIX = 'neva/v1/devices/'
export const ecgTopic = (deviceId: string) => `${ECG_TOPIC_PREFIX}${deviceId}/ecg`

export const ECG_MAGIC = 'NECG'
export const ECG_VERSION = 1
/** Version 2 names its leads (any lead set a recording has) instead of the 12-lead mask. */
export const ECG_VERSION_NAMED = 2
export const MAX_NAMED_LEADS = 16
export const MAX_LEAD_NAME_BYTES = 16
/** Samples of all leads in one chunk: what 12 leads × MAX_WAVEFORM_SAMPLES allow in version 1. */
export const MAX_CHUNK_SAMPLES = 12 * MAX_WAVEFORM_SAMPLES
export const ECG_ENCODINGS = { int16: 0, delta: 1 } as const
export type EcgEncoding = keyof typeof ECG_ENCODINGS

export const MAX_PATIENT_ID_BYTES = 128
/** Bytes before the patient id: magic, version, encoding, lead mask, samples, rate, resolution, start. */
export const FIXED_HEADER_BYTES = 24
/** Patient id length byte, body length and CRC. */
export const FRAMING_BYTES = 1 + 4 + 4
/** A zig-zag varint of a difference of two int16 takes at most 3 bytes (2 × 65535 < 2^21). */
export const MAX_VARINT_BYTES = 3
/** Version 2's lead table: a count, then each name's length and bytes. */
export const MAX_LEAD_TABLE_BYTES = 1 + MAX_NAMED_LEADS * (1 + MAX_LEAD_NAME_BYTES)
export const MAX_ECG_PAYLOAD_BYTES = FIXED_HEADER_BYTES + FRAMING_BYTES + MAX_PATIENT_ID_BYTES + MAX_LEAD_TABLE_BYTES + MAX_CHUNK_SAMPLES * MAX_VARINT_BYTES

export const OFFSET = {
  version: 4,
  encoding: 5,
  leadMask: 6,
  samples: 8,
  rate: 10,
  resolutionNv: 12,
  startTime: 16,
  patientIdLength: 24,
  patientId: 25,
} as const

/** Leads a mask names, in the conventional order (bit i is ECG_LEADS[i]). */
export function leadsOf(mask: number): EcgLead[] {
  return ECG_LEADS.filter((_, i) => (mask >> i) & 1)
}

export function maskOf(leads: readonly EcgLead[]): number {
  let mask = 0
  for (const lead of leads) mask |= 1 << ECG_LEADS.indexOf(lead)
  return mask
}

export const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1)
export const unzigzag = (z: number) => (z % 2 === 0 ? z / 2 : -(z + 1) / 2)

export const PATIENT_ID = /^[A-Za-z0-9._:/-]{1,128}$/
