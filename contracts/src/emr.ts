// The medical record the city's hospital systems send the core: patients (pseudonymous), their
// encounters, complaints and diagnoses. Lab results come from the analyzers (lab-result.ts),
// triage from the gateways (triage.ts). Every event carries its own id, so a system that resends
// what it already sent changes nothing.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, literals } from './observation.js'
import { DeviceText, PlaceName } from './ids.js'
import { TriageLevelSchema } from './triage.js'

export const SEXES = ['female', 'male', 'other', 'unknown'] as const
export const ENCOUNTER_KINDS = ['outpatient', 'ed_arrival', 'admission', 'icu_stay'] as const
export const DIAGNOSIS_KINDS = ['preliminary', 'final'] as const
/** Who set a diagnosis: a clinician, or decision support (a suggestion a clinician may take). */
export const DIAGNOSIS_AUTHORS = ['clinician', 'decision_support'] as const

/** ICD-10 code: a letter, two digits, optionally a dot and up to four more characters (J18.9, U07.1). */
export const Icd10 = Type.String({ pattern: '^[A-Z][0-9]{2}(\\.[0-9A-Z]{1,4})?$', maxLength: 8 })
const Place = PlaceName(64)

export const EmrPatient = Type.Object(
  {
    type: Type.Literal('patient'),
    /** Pseudonymous: the hospital system's key for the person, never a name or a national id. */
    patient_id: Identifier,
    birth_year: Type.Integer({ minimum: 1900, maximum: 2100 }),
    sex: literals(SEXES),
    district: Place,
    /** When the system last changed this record; the latest version wins. */
    updated_time: EpochMs,
  },
  { additionalProperties: false },
)
export type EmrPatient = Static<typeof EmrPatient>

export const Encounter = Type.Object(
  {
    type: Type.Literal('encounter'),
    encounter_id: Identifier,
    patient_id: Identifier,
    kind: literals(ENCOUNTER_KINDS),
    /** The clinic or hospital. */
    site: Place,
    /** The ward, for admissions and ICU stays. */
    ward: Type.Union([Place, Type.Null()]),
    /** The bed, for ICU stays and admissions where the system knows it; absent or null otherwise. */
    bed: Type.Optional(Type.Union([Place, Type.Null()])),
    /** The level given at triage, for ED arrivals; absent or null when not triaged. */
    triage_level: Type.Optional(Type.Union([TriageLevelSchema, Type.Null()])),
    /** Fixed once sent: a correction of the start is a new encounter. */
    start_time: EpochMs,
    /** null while the encounter is open. */
    end_time: Type.Union([EpochMs, Type.Null()]),
    updated_time: EpochMs,
  },
  { additionalProperties: false },
)
export type Encounter = Static<typeof Encounter>

export const Complaint = Type.Object(
  {
    type: Type.Literal('complaint'),
    complaint_id: Identifier,
    encounter_id: Identifier,
    patient_id: Identifier,
    time: EpochMs,
    /** As the patient or the clinician put it. */
    text: Type.String({ maxLength: 4000 }),
    /** BCP 47 language of the text: "ru", "en", … */
    language: Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$', maxLength: 16 }),
    /** Coded complaints where the system has them (e.g. ICD-10 R codes for symptoms). */
    codes: Type.Array(DeviceText(32), { maxItems: 32 }),
  },
  { additionalProperties: false },
)
export type Complaint = Static<typeof Complaint>

export const Diagnosis = Type.Object(
  {
    type: Type.Literal('diagnosis'),
    diagnosis_id: Identifier,
    encounter_id: Identifier,
    patient_id: Identifier,
    icd10: Icd10,
    kind: literals(DIAGNOSIS_KINDS),
    set_by: literals(DIAGNOSIS_AUTHORS),
    /** The clinician (or model version) who set it. */
    author_id: Identifier,
    time: EpochMs,
  },
  { additionalProperties: false },
)
export type Diagnosis = Static<typeof Diagnosis>

export const EmrEvent = Type.Union([EmrPatient, Encounter, Complaint, Diagnosis])
export type EmrEvent = Static<typeof EmrEvent>

export const MAX_EMR_EVENTS = 10_000

export const EmrBatch = Type.Object(
  { events: Type.Array(EmrEvent, { minItems: 1, maxItems: MAX_EMR_EVENTS }) },
  { additionalProperties: false },
)
export type EmrBatch = Static<typeof EmrBatch>

/** Events accepted by kind; a batch sent again is accepted again and stored once. */
export const EmrAck = Type.Object({
  patients: Type.Integer(),
  encounters: Type.Integer(),
  complaints: Type.Integer(),
  diagnoses: Type.Integer(),
})
export type EmrAck = Static<typeof EmrAck>
