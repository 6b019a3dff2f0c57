// Observation: a vital sign or device metric (the observations table: LOINC first, the ISO/IEEE
// 11073 MDC code second, UCUM units) or a lab result (lab_results: LOINC when the analyzer gave
// one, its own test code otherwise). NEWS2 vital signs claim the FHIR vital-signs profile.
import { LOINC, MDC, NEVA_LAB_CODE, VITAL_LOINC_ALSO } from '@neva/analytics'
import { compact, iso, patientRef, ref, text, UCUM, type Resource, type Row } from './common.js'
import { fhirId } from './ids.js'

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category'
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation'
const VITALSIGNS = 'http://hl7.org/fhir/StructureDefinition/vitalsigns'
/** LOINC codes of the vital signs profile Neva measures as single values (blood pressure is a panel there), each with the profiles it claims. */
const PROFILES: Record<string, string[]> = {
  '8867-4': [VITALSIGNS], '9279-1': [VITALSIGNS], '8310-5': [VITALSIGNS],
  // R4 oxygensat: LOINC 2708-6 in code (VITAL_LOINC_ALSO puts it there), 59408-5 beside it.
  '59408-5': [VITALSIGNS, 'http://hl7.org/fhir/StructureDefinition/oxygensat'],
}
const NEWS2_INPUTS = new Set(['8867-4', '59408-5', '9279-1', '8310-5', '8480-6', '67775-7', '3151-8'])

/** A vital's code.coding: LOINC (with any code the profile requires before it), then MDC. */
export function vitalCoding(loinc: string | undefined, mdc: number): Array<{ system: string; code: string }> {
  const also = loinc ? VITAL_LOINC_ALSO[loinc] : undefined
  return [
    ...(also ? [{ system: LOINC, code: also }] : []),
    ...(loinc ? [{ system: LOINC, code: loinc }] : []),
    ...(mdc > 0 ? [{ system: MDC, code: String(mdc) }] : []),
  ]
}

/** The profiles a vital claims; undefined for a metric beyond the profile's. */
export const vitalProfiles = (loinc: string | undefined): string[] | undefined => (loinc && Object.hasOwn(PROFILES, loinc) ? PROFILES[loinc] : undefined)

/** Is this a NEWS2 input (category vital-signs)? */
export const isVitalSign = (loinc: string | undefined): boolean => loinc !== undefined && NEWS2_INPUTS.has(loinc)

/** The tag of a reading the patient entered (flag patient_reported). */
export const PATIENT_REPORTED = { system: 'urn:neva:observation-flag', code: 'patient-reported', display: 'Patient-reported (entered at home)' }

export const category = (code: string, display: string) => [{ coding: [{ system: CATEGORY, code, display }] }]

export function vitalResource(row: Row): Resource {
  const loinc = text(row.loinc)
  const coding = vitalCoding(loinc, Number(row.mdc_code))
  const vital = isVitalSign(loinc)
  // Entered at home by the patient (docs/surveys.md): tagged, and the patient is the performer.
  const reported = (row.flags as string[] | undefined ?? []).includes('patient_reported')
  const profile = vitalProfiles(loinc)
  return compact({
    resourceType: 'Observation',
    id: fhirId(row.k),
    meta: profile || reported ? compact({ profile, tag: reported ? [PATIENT_REPORTED] : undefined }) : undefined,
    status: 'final',
    category: vital ? category('vital-signs', 'Vital Signs') : undefined,
    code: compact({ coding: coding.length > 0 ? coding : undefined, text: row.name === 'other' && text(row.device_label) ? String(row.device_label) : String(row.name) }),
    subject: patientRef(row),
    effectiveDateTime: iso(row.t_ms),
    ...vitalValue(row),
    performer: reported ? [patientRef(row)] : undefined,
    device: ref('Device', String(row.device_id)),
  })
}

/** Coding systems a device names in CWE OBX-5.3, as FHIR URIs. */
const VALUE_SYSTEMS: Record<string, string> = { MDC, LN: LOINC }

/**
 * A number as valueQuantity; a coded state (CWE: code, system) as valueCodeableConcept; words
 * (ST: an ECG rhythm) as valueString. A text row's number is NaN in ClickHouse (null in JSON):
 * never a quantity of 0.
 */
function vitalValue(row: Row): Record<string, unknown> {
  const words = text(row.value_text)
  if (words === undefined) {
    return { valueQuantity: compact({ value: Number(row.value), unit: text(row.unit), system: text(row.unit) ? UCUM : undefined, code: text(row.unit) }) }
  }
  const code = text(row.value_code)
  if (code === undefined) return { valueString: words }
  const system = VALUE_SYSTEMS[String(row.value_system ?? '').toUpperCase()]
  return { valueCodeableConcept: { coding: [compact({ system, code, display: words !== code ? words : undefined })], text: words } }
}

const LAB_STATUS: Record<string, string> = { F: 'final', P: 'preliminary', C: 'corrected', X: 'cancelled', R: 'registered', I: 'registered', W: 'entered-in-error', A: 'amended' }
const FLAGS = new Set(['H', 'L', 'HH', 'LL', 'A', 'AA', 'N', '<', '>', 'S', 'R', 'I'])

export const labStatus = (status: unknown) => LAB_STATUS[String(status).toUpperCase().slice(0, 1)] ?? 'unknown'

export function labResource(row: Row): Resource {
  const loinc = text(row.loinc)
  const numeric = row.numeric_value === null || row.numeric_value === undefined ? undefined : Number(row.numeric_value)
  const flag = text(row.abnormal_flag)
  const comments = (row.comments as string[] | undefined ?? []).filter((c) => text(c))
  return compact({
    resourceType: 'Observation',
    id: fhirId(row.k),
    status: labStatus(row.status),
    category: category('laboratory', 'Laboratory'),
    code: { coding: [...(loinc ? [{ system: LOINC, code: loinc }] : []), { system: NEVA_LAB_CODE, code: String(row.test_code) }], text: String(row.test_code) },
    subject: patientRef(row),
    effectiveDateTime: iso(row.t_ms),
    valueQuantity: numeric !== undefined && Number.isFinite(numeric) ? compact({ value: numeric, unit: text(row.unit) }) : undefined,
    valueString: numeric === undefined && text(row.value) ? String(row.value) : undefined,
    interpretation: flag && FLAGS.has(flag) ? [{ coding: [{ system: INTERPRETATION, code: flag }] }] : undefined,
    referenceRange: text(row.reference_range) ? [{ text: row.reference_range }] : undefined,
    note: comments.length > 0 ? comments.map((c) => ({ text: c })) : undefined,
    device: text(row.device_id) ? ref('Device', String(row.device_id)) : undefined,
  })
}
