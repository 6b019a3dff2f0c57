// Waveforms: ECG from ambulance tablets, stored as one chunk per lead.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, literals } from './observation.js'

/** The 12 standard leads, in the conventional order. */
export const ECG_LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] as const
export type EcgLead = (typeof ECG_LEADS)[number]

/** IEEE 11073-10101 MDC_ECG_ELEC_POTL_<lead>: partition 2, term 256 + lead (I 1, II 2, V1–V6 3–8, III 61, aVR 62, aVL 63, aVF 64). */
export const ECG_LEAD_MDC: Record<EcgLead, number> = {
  I: 131329, II: 131330, III: 131389, aVR: 131390, aVL: 131391, aVF: 131392,
  V1: 131331, V2: 131332, V3: 131333, V4: 131334, V5: 131335, V6: 131336,
}

/** Samples per chunk at most: 10 s at 1 kHz. */
export const MAX_WAVEFORM_SAMPLES = 10_000

export const WaveformChunk = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    device_id: Identifier,
    patient_id: Identifier,
    lead: literals(ECG_LEADS),
    mdc_code: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
    /** Device time of the first sample. */
    start_time: EpochMs,
    sample_rate_hz: Type.Integer({ minimum: 1, maximum: 10_000 }),
    /** Microvolts per count: value_uV = sample × resolution_uv. */
    resolution_uv: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }),
    /** Raw counts, signed 16-bit. */
    samples: Type.Array(Type.Integer({ minimum: -32768, maximum: 32767 }), { minItems: 1, maxItems: MAX_WAVEFORM_SAMPLES }),
    received_time: EpochMs,
  },
  { additionalProperties: false },
)
export type WaveformChunk = Static<typeof WaveformChunk>
