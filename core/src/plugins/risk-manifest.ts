// What the core checks of a deterioration (risk) model's manifest before storing it: its shape,
// enough to name and hash the model. The gateway checks the rest (feature set and list against
// its extractor, calibration, escalation) and the signature before it installs one.
import { Type, type Static } from '@sinclair/typebox'
import { Identifier, ModelManifest } from '@neva/contracts'

const Numbers = Type.Array(Type.Number(), { minItems: 1, maxItems: 10_000 })
const Threshold = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])

export const RiskManifestSchema = Type.Object(
  {
    id: Identifier,
    version: ModelManifest.properties.version,
    kind: Type.Literal('gradient_boosted_trees'),
    outcome: Type.String({ maxLength: 200 }),
    file: ModelManifest.properties.file,
    sha256: ModelManifest.properties.sha256,
    feature_set: ModelManifest.properties.feature_set,
    features: Type.Array(Type.Object({ name: Type.String({ maxLength: 64 }), unit: Type.String({ maxLength: 32 }) }, { additionalProperties: false }), { minItems: 1, maxItems: 2048 }),
    min_vitals: Type.Integer({ minimum: 0, maximum: 6 }),
    calibration: Type.Object({ method: Type.String({ maxLength: 200 }), x: Numbers, y: Numbers }, { additionalProperties: false }),
    escalation: Type.Optional(Type.Object({ yellow: Threshold, red: Threshold }, { additionalProperties: true })),
    training: Type.Record(Type.String(), Type.Unknown()),
    data: Type.Object({ source: Type.String({ maxLength: 500 }), licence: Type.String({ maxLength: 200 }), citation: Type.String({ maxLength: 2000 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
)
export type RiskManifestBody = Static<typeof RiskManifestSchema>
