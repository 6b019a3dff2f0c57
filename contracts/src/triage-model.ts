// A triage model as it ships: the ONNX file and this manifest. The gateway refuses a model whose
// file, hash or inputs do not match the manifest, and keeps scoring with the one it has.
//
// The ONNX graph takes one input, `features`, float32 [N, F] already normalized
// ((x − mean) / std per the manifest, missing values imputed as the manifest says), and has two
// outputs: `probabilities` float32 [N, L] in `labels` order, and `contributions` float32
// [N, F, L], each feature's additive share of each label's logit (a logistic regression explains
// itself exactly; the gateway reports the features that pushed most towards the chosen level).
import { Type, type Static } from '@sinclair/typebox'
import { Identifier } from './observation.js'
import { TriageLevelSchema } from './triage.js'

export const ModelFeature = Type.Object(
  {
    /** e.g. "spo2", "spo2_delta_5m", "spo2_missing"; the feature extractor defines the list. */
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_]+$' }),
    /** UCUM unit of the raw value; "1" for indicators and ratios. */
    unit: Type.String({ minLength: 1, maxLength: 32 }),
    description: Type.String({ maxLength: 300 }),
    /** Normalization: z = (x − mean) / std. */
    mean: Type.Number(),
    std: Type.Number({ exclusiveMinimum: 0 }),
    /** Raw value used when the input is missing (its `_missing` indicator says so). */
    impute: Type.Number(),
  },
  { additionalProperties: false },
)
export type ModelFeature = Static<typeof ModelFeature>

const Rate = Type.Number({ minimum: 0, maximum: 1 })
export const TriageEvaluation = Type.Object(
  {
    under_triage: Rate,
    over_triage: Rate,
    /** Sensitivity for red: red patients called red. */
    red_sensitivity: Rate,
    auroc: Type.Object({ green: Rate, yellow: Rate, red: Rate }, { additionalProperties: false }),
    /** confusion[true][predicted], both in label order. */
    confusion: Type.Array(Type.Array(Type.Integer({ minimum: 0 }))),
  },
  { additionalProperties: false },
)
export type TriageEvaluation = Static<typeof TriageEvaluation>

export const ModelManifest = Type.Object(
  {
    id: Identifier,
    version: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._-]+$' }),
    /** ISO 8601 UTC time of training. */
    created: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' }),
    kind: Type.Union([Type.Literal('logistic_regression'), Type.Literal('mlp')]),
    /** File name of the ONNX model next to the manifest, and its sha256 (hex). */
    file: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+\\.onnx$' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    /** Version of the feature extractor the model was trained with; must match the gateway's. */
    feature_set: Type.String({ minLength: 1, maxLength: 32 }),
    features: Type.Array(ModelFeature, { minItems: 1, maxItems: 512 }),
    labels: Type.Tuple([Type.Literal('green'), Type.Literal('yellow'), Type.Literal('red')]),
    /** P(red) ≥ red → red; else P(yellow) + P(red) ≥ yellow → yellow; else green. */
    thresholds: Type.Object({ red: Rate, yellow: Rate }, { additionalProperties: false }),
    training: Type.Object(
      {
        description: Type.String({ maxLength: 2000 }),
        seed: Type.String({ maxLength: 64 }),
        patients: Type.Integer({ minimum: 0 }),
        samples: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
    /** Held-out figures, for the model with the NEWS2 floor and for NEWS2 alone. */
    evaluation: Type.Object(
      { n: Type.Integer({ minimum: 0 }), model: TriageEvaluation, news2: TriageEvaluation },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type ModelManifest = Static<typeof ModelManifest>

