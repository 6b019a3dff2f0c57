// Patient: what the hospital system sent (emr_patients): sex, year of birth, district. Neva keeps
// no names; the id is the hospital's patient id.
import { compact, iso, NEVA, text, type Resource, type Row } from './common.js'
import { fhirId } from './ids.js'

const GENDER: Record<string, string> = { female: 'female', male: 'male', other: 'other', unknown: 'unknown' }

export function patientResource(row: Row | undefined, patientId: string): Resource {
  return compact({
    resourceType: 'Patient',
    id: fhirId(patientId),
    meta: row ? { lastUpdated: iso(row.t_ms) } : undefined,
    identifier: [{ system: `${NEVA}:patient-id`, value: patientId }],
    gender: row ? GENDER[String(row.sex)] : undefined,
    birthDate: row && Number(row.birth_year) > 0 ? String(row.birth_year).padStart(4, '0') : undefined,
    address: row && text(row.district) ? [{ district: row.district }] : undefined,
  })
}
