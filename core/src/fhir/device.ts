// Device: a monitor, oximeter, ventilator or analyzer by the id it reports under.
import { compact, text, type Resource, type Row } from './common.js'
import { fhirId } from './ids.js'

export function deviceResource(row: Row): Resource {
  return compact({
    resourceType: 'Device',
    id: fhirId(row.k),
    identifier: [{ system: 'urn:neva:device-id', value: String(row.k) }],
    status: 'active',
    deviceName: [{ name: String(row.k), type: 'user-friendly-name' }],
    note: text(row.source) ? [{ text: `reports over ${row.source}` }] : undefined,
  })
}
