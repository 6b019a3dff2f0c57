// DiagnosticReport: the lab results of one order, as references to their Observations.
import { compact, iso, patientRef, ref, type Resource, type Row } from './common.js'
import { fhirId } from './ids.js'
import { labStatus } from './observation.js'

export function reportResource(row: Row): Resource {
  const statuses = (row.statuses as string[]).map(labStatus)
  const status = statuses.every((s) => s === 'final') ? 'final' : statuses.includes('preliminary') ? 'partial' : statuses.includes('corrected') ? 'corrected' : 'final'
  return compact({
    resourceType: 'DiagnosticReport',
    id: fhirId(row.k),
    identifier: [{ system: 'urn:neva:order-id', value: String(row.order_id) }],
    status,
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB', display: 'Laboratory' }] }],
    code: { text: `lab order ${row.order_id}` },
    subject: patientRef(row),
    effectiveDateTime: iso(row.t_ms),
    issued: iso(row.t_ms),
    result: (row.results as string[]).map((k) => ref('Observation', k)),
  })
}
