// Waveforms: ECG from ambulance tablets (and recordings replayed through them), stored as one chunk
// per lead: the standard twelve or any lead set a recording has; and a fetal monitor's CTG signals
// (FHR, a second twin's FHR, uterine activity, maternal HR), each a "lead" of its own kind and unit.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier } from './observation.js'

/** The 12 standard leads, in the conventional order. */
export const ECG_LEADS = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'] as const
export type EcgLead = (typeof ECG_LEADS)[number]

/** IEEE 11073-10101 MDC_ECG_ELEC_POTL_<lead>: partition 2, term 256 + lead (I 1, II 2, V1–V6 3–8, III 61, aVR 62, aVL 63, aVF 64). */
export const ECG_LEAD_MDC: Record<EcgLead, number> = {
  I: 131329, II: 131330, III: 131389, aVR: 131390, aVL: 131391, aVF: 131392,
  V1: 131331, V2: 131332, V3: 131333, V4: 131334, V5: 131335, V6: 131336,
}

/** MDC_ECG_ELEC_POTL: an ECG lead the standard twelve do not name (MIT-BIH's MLII, Frank's vx…). */
export const ECG_LEAD_UNSPECIFIED_MDC = 131328

/** A lead's name: one of the twelve, or any short name a recording gives (MLII, vx, PLETH). */
export const LEAD_NAME = /^[A-Za-z0-9_+-]{1,16}$/

/** The standard spelling of a lead name that is one of the twelve in another case ("avr" → "aVR"). */
export function standardLead(name: string): EcgLead | undefined {
  return ECG_LEADS.find((l) => l.toLowerCase() === name.toLowerCase())
}

/** The MDC code of a lead name: its own for the twelve, MDC_ECG_ELEC_POTL for any other. */
export function leadMdc(name: string): number {
  const std = standardLead(name)
  return std === undefined ? ECG_LEAD_UNSPECIFIED_MDC : ECG_LEAD_MDC[std]
}

/**
 * What a chunk's samples measure. Absent: ECG (chunks from gateways older than CTG). The CTG
 * signals: fhr (fetal heart rate, bpm), fhr2 (a second twin's), uc (uterine activity, toco units
 * or mmHg), mhr (maternal heart rate, bpm).
 */
export const WAVEFORM_SIGNALS = ['ecg', 'fhr', 'fhr2', 'uc', 'mhr'] as const
export type WaveformSignal = (typeof WAVEFORM_SIGNALS)[number]
/** The CTG signals, in the order a trace shows them. */
export const CTG_SIGNALS = ['fhr', 'fhr2', 'uc', 'mhr'] as const satisfies readonly WaveformSignal[]
export type CtgSignal = (typeof CTG_SIGNALS)[number]

/** A sample's unit, UCUM-like: uV (ECG), bpm ({beats}/min), mm[Hg] (intrauterine pressure), toco (external toco's relative units). */
export const WAVEFORM_UNITS = ['uV', 'bpm', 'mm[Hg]', 'toco'] as const
export type WaveformUnit = (typeof WAVEFORM_UNITS)[number]

/** A sample count that is no value (a gap in a fetal monitor's array): missing, never zero. */
export const WAVEFORM_MISSING = -32768

/** Samples per chunk at most: 10 s at 1 kHz. */
export const MAX_WAVEFORM_SAMPLES = 10_000

export const WaveformChunk = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    device_id: Identifier,
    patient_id: Identifier,
    /** One of ECG_LEADS, or another lead name a recording gives (LEAD_NAME). */
    lead: Type.String({ pattern: LEAD_NAME.source }),
    mdc_code: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
    /** Device time of the first sample. */
    start_time: EpochMs,
    sample_rate_hz: Type.Integer({ minimum: 1, maximum: 10_000 }),
    /** Units per count: value = sample × resolution_uv, in `unit` (µV when absent, as its name says). */
    resolution_uv: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }),
    /** Raw counts, signed 16-bit; WAVEFORM_MISSING is a gap. */
    samples: Type.Array(Type.Integer({ minimum: -32768, maximum: 32767 }), { minItems: 1, maxItems: MAX_WAVEFORM_SAMPLES }),
    received_time: EpochMs,
    /** What the samples measure; absent: ecg. */
    signal_kind: Type.Optional(Type.Union(WAVEFORM_SIGNALS.map((s) => Type.Literal(s)))),
    /** The unit of sample × resolution_uv; absent: uV. */
    unit: Type.Optional(Type.Union(WAVEFORM_UNITS.map((u) => Type.Literal(u)))),
  },
  { additionalProperties: false },
)
export type WaveformChunk = Static<typeof WaveformChunk>
