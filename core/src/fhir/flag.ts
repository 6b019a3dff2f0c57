// Flag: a device alarm on a patient, active until its device ends it; its first and last update.
import { compact, iso, patientRef, text, type Resource, type Row } from './common.js'
import { fhirId } from './ids.js'

export function flagResource(row: Row): Resource {
  const active = row.state === 'active'
  const label = text(row.event_text) ?? text(row.event_name) ?? 'device alarm'
  return compact({
    resourceType: 'Flag',
    id: fhirId(row.k),
    identifier: [{ system: 'urn:neva:alarm-id', value: String(row.k) }],
    status: active ? 'active' : 'inactive',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'clinical', display: 'Clinical' }] }],
    code: compact({
      coding: row.event_code !== null && row.event_code !== undefined ? [{ system: 'urn:iso:std:iso:11073:10101', code: String(row.event_code) }] : undefined,
      text: `${label}${text(row.priority) ? ` (${row.priority} priority)` : ''}`,
    }),
    subject: patientRef(row),
    period: compact({ start: iso(row.t_ms), end: active ? undefined : iso(Number(row.last_ms)) }),
    author: { reference: `Device/${fhirId(String(row.device_id))}` },
  })
}
