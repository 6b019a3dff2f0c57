// Condition: a diagnosis from the hospital system (ICD-10), preliminary or final.
import { ICD10 } from '@neva/analytics'
import { compact, iso, patientRef, ref, text, type Resource, type Row } from './common.js'
import { fhirId } from './ids.js'

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical'
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status'

export function conditionResource(row: Row): Resource {
  const final = row.kind === 'final'
  return compact({
    resourceType: 'Condition',
    id: fhirId(row.k),
    clinicalStatus: { coding: [{ system: CLINICAL, code: 'active' }] },
    verificationStatus: { coding: [{ system: VERIFICATION, code: final ? 'confirmed' : 'provisional' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis', display: 'Encounter Diagnosis' }] }],
    code: { coding: [{ system: ICD10, code: String(row.icd10) }], text: String(row.icd10) },
    subject: patientRef(row),
    encounter: text(row.encounter_id) ? ref('Encounter', String(row.encounter_id)) : undefined,
    recordedDate: iso(row.t_ms),
    recorder: text(row.author_id) ? { display: `${row.author_id} (${row.set_by})` } : undefined,
  })
}
