// A CTG verdict: FIGO 2015 classification of a fetal monitor's trace over a sliding window, made
// at the edge every minute of trace and kept when it changes (or every 10 min while it stays), like
// a triage result. A pathological one also raises an alarm of the ordinary kind.
import { Type, type Static } from '@sinclair/typebox'
import { Identifier } from './ids.js'
import { EpochMs } from './observation.js'

export const CTG_CLASSES = ['normal', 'suspicious', 'pathological'] as const
export type CtgClassName = (typeof CTG_CLASSES)[number]

const Count = Type.Integer({ minimum: 0, maximum: 100_000 })
const Bpm = Type.Union([Type.Number({ minimum: 0, maximum: 300 }), Type.Null()])

export const CtgVerdict = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    patient_id: Identifier,
    device_id: Identifier,
    /** The window: its first sample's and its end's time (device time of the trace). */
    window_start: EpochMs,
    time: EpochMs,
    minutes: Type.Number({ minimum: 0, maximum: 10_000 }),
    classification: Type.Union(CTG_CLASSES.map((c) => Type.Literal(c))),
    /** Why, as a midwife checks it on the trace; for a normal trace what made it normal. */
    reasons: Type.Array(Type.String({ maxLength: 512 }), { maxItems: 32 }),
    /** What limits the reading (signal loss), not findings. */
    notes: Type.Array(Type.String({ maxLength: 512 }), { maxItems: 32 }),
    baseline_bpm: Bpm,
    variability_bpm: Bpm,
    accelerations: Count,
    early_decelerations: Count,
    variable_decelerations: Count,
    late_decelerations: Count,
    prolonged_decelerations: Count,
    contractions: Count,
    signal_loss_pct: Type.Number({ minimum: 0, maximum: 100 }),
    received_time: EpochMs,
  },
  { additionalProperties: false },
)
export type CtgVerdict = Static<typeof CtgVerdict>
