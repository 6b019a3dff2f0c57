// Decision support: the three most likely ICD-10 codes for a complaint (preliminary), and a
// second opinion on the physician's final diagnosis. Every answer carries the id it was stored
// under, so agreement with the clinicians' own diagnoses can be measured later.
import { Type, type Static } from '@sinclair/typebox'
import { Identifier, literals } from './observation.js'
import { DeviceText } from './ids.js'
import { Icd10, SEXES } from './emr.js'

export const DX_SUGGESTION_KINDS = ['preliminary', 'final_check'] as const
export const DX_VERDICTS = ['consistent', 'alternative'] as const

export const DxComplaint = Type.Object(
  {
    /** Free text, Russian or English, as the patient or clinician put it. */
    text: Type.String({ maxLength: 4000 }),
    /** Coded symptoms where the system has them (ICD-10 R codes). */
    codes: Type.Optional(Type.Array(DeviceText(32), { maxItems: 32 })),
  },
  { additionalProperties: false },
)
export type DxComplaint = Static<typeof DxComplaint>

export const PreliminaryRequest = Type.Object(
  {
    encounter_id: Identifier,
    patient_id: Identifier,
    complaints: Type.Array(DxComplaint, { minItems: 1, maxItems: 16 }),
    /** Years at the encounter. */
    age: Type.Integer({ minimum: 0, maximum: 130 }),
    sex: literals(SEXES),
  },
  { additionalProperties: false },
)
export type PreliminaryRequest = Static<typeof PreliminaryRequest>

export const DxCandidate = Type.Object({ icd10: Type.String(), p: Type.Number({ minimum: 0, maximum: 1 }) })
export type DxCandidate = Static<typeof DxCandidate>

export const DxModelRef = Type.Object({ id: Type.String(), version: Type.Integer() })

/** The union of the suggested diagnoses' order sets (contracts/src/lab-order-sets.ts), pre-checked. */
export const SuggestedOrderSet = Type.Object({
  tests: Type.Array(Type.Object({
    loinc: Type.String(), lab_code: Type.String(), name: Type.String(), purpose: Type.Union([Type.Literal('confirm'), Type.Literal('exclude')]),
    for: Type.Array(Type.String()), checked: Type.Boolean(),
  })),
  /** The guidelines the sets follow. */
  sources: Type.Array(Type.String()),
  /** Suggested diagnoses that have no set. */
  without_set: Type.Array(Type.String()),
})

export const PreliminaryAnswer = Type.Object({
  suggestion_id: Type.String(),
  model: DxModelRef,
  /** Most likely first; at most three. */
  suggestions: Type.Array(DxCandidate, { maxItems: 3 }),
  order_set: Type.Optional(SuggestedOrderSet),
})
export type PreliminaryAnswer = Static<typeof PreliminaryAnswer>

export const FinalCheckRequest = Type.Object(
  {
    encounter_id: Identifier,
    patient_id: Identifier,
    /** The physician's final diagnosis. */
    icd10: Icd10,
    /** Absent: the complaints stored for this encounter are used. */
    complaints: Type.Optional(Type.Array(DxComplaint, { minItems: 1, maxItems: 16 })),
  },
  { additionalProperties: false },
)
export type FinalCheckRequest = Static<typeof FinalCheckRequest>

export const FinalCheckAnswer = Type.Object({
  suggestion_id: Type.String(),
  model: DxModelRef,
  verdict: literals(DX_VERDICTS),
  /** The alternative opinion, when the verdict is "alternative". */
  icd10: Type.Optional(Type.String()),
  p: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
})
export type FinalCheckAnswer = Static<typeof FinalCheckAnswer>
