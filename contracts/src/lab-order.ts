// LabOrder: a laboratory test order, from the hospital system or a clinician, and where it stands.
// Its own record, not an ICU `orders` row: it carries a specimen id the analyzers key on, a list
// of tests, a priority and a longer state machine that gateways and the lab move along.
//
//   ordered ─► collected ─► received ─► in_analysis ─► resulted ─► verified
//      └───────────┴────────────┴────────────┴──► cancelled
//
// verified and cancelled are final. A result may arrive before the lab scans the tube
// (ordered/collected/received ─► resulted is allowed: the analyzer's word wins over the desk's).
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, literals } from './observation.js'
import { Identifier } from './ids.js'

export const LAB_ORDER_STATES = ['ordered', 'collected', 'received', 'in_analysis', 'resulted', 'verified', 'cancelled'] as const
export type LabOrderState = (typeof LAB_ORDER_STATES)[number]

export const LAB_ORDER_TRANSITIONS: Record<LabOrderState, readonly LabOrderState[]> = {
  ordered: ['collected', 'received', 'in_analysis', 'resulted', 'cancelled'],
  collected: ['received', 'in_analysis', 'resulted', 'cancelled'],
  received: ['in_analysis', 'resulted', 'cancelled'],
  in_analysis: ['resulted', 'cancelled'],
  resulted: ['verified'],
  verified: [],
  cancelled: [],
}

/** Orders an analyzer may still be asked to run (the gateway's worklist). */
export const LAB_PENDING_STATES: readonly LabOrderState[] = ['ordered', 'collected', 'received', 'in_analysis']

export const labTransitionAllowed = (from: LabOrderState, to: LabOrderState): boolean => LAB_ORDER_TRANSITIONS[from].includes(to)

export const LAB_PRIORITIES = ['routine', 'urgent', 'stat'] as const
export type LabPriority = (typeof LAB_PRIORITIES)[number]

/** LOINC code: up to 7 digits, a hyphen, the check digit ("2345-7"). */
export const LOINC_PATTERN = '^[0-9]{1,7}-[0-9]$'
/** The LOINC check digit (Regenstrief's mod-10 algorithm, as the LOINC manual spells it out). */
export function loincCheckDigitOk(code: string): boolean {
  if (!new RegExp(LOINC_PATTERN).test(code)) return false
  const [body, check] = code.split('-') as [string, string]
  const fromRight = body.split('').reverse()
  const odd = fromRight.filter((_, i) => i % 2 === 0).join('')
  const even = fromRight.filter((_, i) => i % 2 === 1).join('')
  const digits = `${even}${odd ? (BigInt(odd) * 2n).toString() : ''}`
  const sum = digits.split('').reduce((a, d) => a + Number(d), 0)
  return (10 - (sum % 10)) % 10 === Number(check)
}
/**
 * The lab's own test code, as it goes into ASTM O-5 (^^^CODE) and HL7 OBR-4: none of the
 * delimiters of either standard (| ^ & \ ~), no space, no quote.
 */
export const LAB_CODE_PATTERN = '^[A-Za-z0-9._#%/+*-]{1,32}$'
/** ICD-10 code of the preliminary diagnosis ("J18.9"). */
export const ICD10_PATTERN = '^[A-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?$'

export const LabTest = Type.Object(
  {
    loinc: Type.String({ pattern: LOINC_PATTERN, maxLength: 10 }),
    lab_code: Type.String({ pattern: LAB_CODE_PATTERN, maxLength: 32 }),
  },
  { additionalProperties: false },
)
export type LabTest = Static<typeof LabTest>

/**
 * The specimen (tube) id: what the analyzer reads off the barcode and sends in Q-3 / O-3. Neva's
 * id rule, which keeps it clear of every ASTM and HL7 delimiter.
 */
export const SpecimenId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:/-]+$' })

export const LabDiagnosis = Type.Object(
  {
    code: Type.String({ pattern: ICD10_PATTERN, maxLength: 8 }),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
)

/** POST /v1/lab/orders */
export const NewLabOrder = Type.Object(
  {
    patient_id: Identifier,
    encounter_id: Identifier,
    specimen_id: SpecimenId,
    tests: Type.Array(LabTest, { minItems: 1, maxItems: 50 }),
    priority: literals(LAB_PRIORITIES),
    /** Why: the preliminary diagnosis, when there is one. */
    diagnosis: Type.Optional(LabDiagnosis),
    /** The hospital system's id of the ordering clinician; refused from a clinician (it is them). */
    ordered_by: Type.Optional(Identifier),
    /** Placed from the order set of this preliminary decision-support answer (docs/lab.md, "Order sets"). */
    order_set: Type.Optional(Type.Object({ suggestion_id: Identifier }, { additionalProperties: false })),
  },
  { additionalProperties: false },
)
export type NewLabOrder = Static<typeof NewLabOrder>

export const LabOrderChange = Type.Object(
  {
    state: literals(LAB_ORDER_STATES),
    /** Who: "user:<id>", "system:<name>" or "gateway:<id>". */
    by: Type.String({ maxLength: 200 }),
    time: EpochMs,
  },
  { additionalProperties: false },
)
export type LabOrderChange = Static<typeof LabOrderChange>

export const LabOrder = Type.Object(
  {
    order_id: Identifier,
    patient_id: Identifier,
    encounter_id: Identifier,
    /** Where the patient was when it was ordered: the worklist's site, the critical alarm's ward. */
    site: Type.String({ maxLength: 64 }),
    ward: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    specimen_id: SpecimenId,
    tests: Type.Array(LabTest),
    priority: literals(LAB_PRIORITIES),
    diagnosis_code: Type.String({ maxLength: 8 }),
    diagnosis_text: Type.String({ maxLength: 500 }),
    ordered_by: Type.String({ maxLength: 200 }),
    state: literals(LAB_ORDER_STATES),
    placed_time: EpochMs,
    updated_time: EpochMs,
    /** Every change, oldest first (the first is `ordered`). */
    history: Type.Array(LabOrderChange),
  },
  { additionalProperties: false },
)
export type LabOrder = Static<typeof LabOrder>

/** POST /v1/lab/orders/:id/state */
export const LabStateChange = Type.Object({ state: literals(LAB_ORDER_STATES) }, { additionalProperties: false })
export type LabStateChange = Static<typeof LabStateChange>
