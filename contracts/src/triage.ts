// TriageResult: the level a patient is given, with everything needed to reproduce it.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, literals } from './observation.js'

export const TRIAGE_LEVELS = ['green', 'yellow', 'red'] as const
export type TriageLevel = (typeof TRIAGE_LEVELS)[number]
export const TriageLevelSchema = literals(TRIAGE_LEVELS)

/** The NEWS2 parameters, in the order of the RCP chart. */
export const NEWS2_PARAMETERS = [
  'respiratory_rate',
  'spo2',
  'on_oxygen',
  'systolic_bp',
  'pulse',
  'consciousness',
  'temperature',
] as const
export type News2Parameter = (typeof NEWS2_PARAMETERS)[number]

const SubScore = Type.Union([Type.Integer({ minimum: 0, maximum: 3 }), Type.Null()])

export const News2Result = Type.Object(
  {
    score: Type.Integer({ minimum: 0, maximum: 20 }),
    /** True when a parameter was missing: the score is then a lower bound. */
    partial: Type.Boolean(),
    /** null = missing, never 0. */
    subscores: Type.Object(
      Object.fromEntries(NEWS2_PARAMETERS.map((p) => [p, SubScore])) as Record<News2Parameter, typeof SubScore>,
      { additionalProperties: false },
    ),
    missing: Type.Array(literals(NEWS2_PARAMETERS)),
    level: TriageLevelSchema,
    spo2_scale: Type.Union([Type.Literal(1), Type.Literal(2)]),
  },
  { additionalProperties: false },
)
export type News2Result = Static<typeof News2Result>

/** The inputs a result was computed from: value and time of each parameter, null when missing. */
const Input = Type.Union([
  Type.Object({ value: Type.Union([Type.Number(), Type.Boolean(), Type.String()]), time: EpochMs }, { additionalProperties: false }),
  Type.Null(),
])

const Probability = Type.Number({ minimum: 0, maximum: 1 })

/** What a result says about the model's part in it. */
export const ModelVerdict = Type.Object(
  {
    id: Identifier,
    version: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._-]+$' }),
    level: TriageLevelSchema,
    probabilities: Type.Object({ green: Probability, yellow: Probability, red: Probability }, { additionalProperties: false }),
    /** The features that pushed most towards `level`, largest first. */
    drivers: Type.Array(
      Type.Object({ feature: Type.String({ maxLength: 64 }), value: Type.Union([Type.Number(), Type.Null()]), contribution: Type.Number() }, { additionalProperties: false }),
      { maxItems: 8 },
    ),
    /** The deterioration model's calibrated risk of the bad outcome; absent when it did not run (never 0 for missing). */
    risk: Type.Optional(Probability),
    /** Which deterioration model gave `risk`: "<id>@<version>". */
    risk_model: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:/@-]+$' })),
    /** What the risk was computed from: the parameters seen for this patient, and age. */
    risk_inputs: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 })),
    /** Set when the inputs were too sparse for the risk to move the level (the level is then NEWS2's). */
    sparse: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
)
export type ModelVerdict = Static<typeof ModelVerdict>

export const TriageResult = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    patient_id: Identifier,
    time: EpochMs,
    level: TriageLevelSchema,
    news2: News2Result,
    /** Which scorer produced `level`: "<model id>@<version>", or "news2-rcp-2017" without a model. */
    model_version: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:/@-]+$' }),
    /** The model's own verdict; `level` is the higher of it and NEWS2's. Absent or null without a model. */
    model: Type.Optional(Type.Union([ModelVerdict, Type.Null()])),
    inputs: Type.Object(
      Object.fromEntries(NEWS2_PARAMETERS.map((p) => [p, Input])) as Record<News2Parameter, typeof Input>,
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type TriageResult = Static<typeof TriageResult>
