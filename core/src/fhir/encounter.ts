// Encounter: an ED arrival, admission, ICU stay or outpatient visit, with its place.
import { compact, iso, patientRef, ref, text, type Resource, type Row } from './common.js'
import { fhirId } from './ids.js'

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode'
const CLASS: Record<string, { code: string; display: string }> = {
  outpatient: { code: 'AMB', display: 'ambulatory' },
  ed_arrival: { code: 'EMER', display: 'emergency' },
  admission: { code: 'IMP', display: 'inpatient encounter' },
  icu_stay: { code: 'ACUTE', display: 'inpatient acute' },
}

export function encounterResource(row: Row): Resource {
  const cls = CLASS[String(row.kind)] ?? { code: 'IMP', display: 'inpatient encounter' }
  const end = row.end_ms === null || row.end_ms === undefined ? undefined : Number(row.end_ms)
  const place = [row.site, text(row.ward), text(row.bed)].filter(Boolean).join(' / ')
  return compact({
    resourceType: 'Encounter',
    id: fhirId(row.k),
    status: end === undefined ? 'in-progress' : 'finished',
    class: { system: ACT_CODE, ...cls },
    type: [{ text: String(row.kind) }],
    subject: patientRef(row),
    period: compact({ start: iso(Number(row.start_ms)), end: end === undefined ? undefined : iso(end) }),
    location: [{ location: { display: place } }],
    serviceProvider: { display: String(row.site) },
  })
}

export const encounterRef = (key: string) => ref('Encounter', key)
