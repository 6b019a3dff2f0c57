// The bulk export's vital-sign Observations as NDJSON lines built by template: the same resource
// vitalResource (observation.ts) maps, field for field and in the same order, without an object
// and a JSON.stringify per row. What repeats (a patient's reference, a device's, the code and
// profile of a metric, a unit) is rendered once and kept; a row only adds its id, time and value.
// Strings reach the line through JSON.stringify, never by hand.
import type { BulkVitalRow } from '@neva/analytics'
import { text, UCUM, type Row } from './common.js'
import { escapeKey, fhirId } from './ids.js'
import { category, isVitalSign, vitalCoding, vitalProfiles, vitalResource } from './observation.js'

const SEP = fhirId('|')

export class VitalLines {
  private readonly heads = new Map<string, string>()
  private readonly subjects = new Map<string, string>()
  private readonly devices = new Map<string, string>()
  private readonly units = new Map<string, string>()
  private readonly escaped = new Map<string, string>()

  /** One Observation as a line (with its newline). */
  line(row: BulkVitalRow): string {
    const [patient, t, name, gateway, seq, device, mdc, loinc, value, unit, label, words, , , reported] = row
    // Words or a coded state, a device's own label, a patient's own reading: the few rows whose
    // resource differs from a number's go through the API's mapping itself.
    if (words.trim() !== '' || reported === 1 || (name === 'other' && label.trim() !== '')) return `${JSON.stringify(vitalResource(bulkRowObject(row)))}\n`
    return `{"resourceType":"Observation","id":"${this.id(gateway, seq, name)}",${this.head(loinc, mdc, name)}"subject":${this.ref(this.subjects, 'Patient', patient)},"effectiveDateTime":"${new Date(t).toISOString()}","valueQuantity":{"value":${JSON.stringify(Number(value))}${this.unit(unit)}},"device":${this.ref(this.devices, 'Device', device)}}\n`
  }

  /** fhirId(`${gateway}|${seq}|${name}`): escaping is per byte, so the parts escape alone. */
  private id(gateway: string, seq: string, name: string): string {
    const id = `${this.escape(gateway)}${SEP}${seq}${SEP}${this.escape(name)}`
    return id.length <= 64 ? id : fhirId(`${gateway}|${seq}|${name}`)
  }

  private escape(part: string): string {
    let e = this.escaped.get(part)
    if (e === undefined) this.escaped.set(part, (e = escapeKey(part)))
    return e
  }

  /** meta, status, category and code: fixed by the metric. */
  private head(loinc: string, mdc: number, name: string): string {
    const key = `${loinc}\u0000${mdc}\u0000${name}`
    let h = this.heads.get(key)
    if (h === undefined) {
      const code = text(loinc)
      const coding = vitalCoding(code, mdc)
      const profile = vitalProfiles(code)
      h = `${profile ? `"meta":${JSON.stringify({ profile })},` : ''}"status":"final",`
        + `${isVitalSign(code) ? `"category":${JSON.stringify(category('vital-signs', 'Vital Signs'))},` : ''}`
        + `"code":${JSON.stringify({ ...(coding.length > 0 ? { coding } : {}), text: name })},`
      this.heads.set(key, h)
    }
    return h
  }

  private ref(cache: Map<string, string>, type: string, key: string): string {
    let r = cache.get(key)
    if (r === undefined) cache.set(key, (r = JSON.stringify({ reference: `${type}/${fhirId(key)}` })))
    return r
  }

  private unit(unit: string): string {
    let u = this.units.get(unit)
    if (u === undefined) this.units.set(unit, (u = unit.trim() !== '' ? `,"unit":${JSON.stringify(unit)},"system":"${UCUM}","code":${JSON.stringify(unit)}` : ''))
    return u
  }
}

/** A bulk row as the object the API's queries give vitalResource. */
export function bulkRowObject([patient, t, name, gateway, seq, device, mdc, loinc, value, unit, label, words, code, system, reported]: BulkVitalRow): Row {
  return {
    patient_id: patient, t_ms: t, k: `${gateway}|${seq}|${name}`, name, device_id: device, mdc_code: mdc, loinc, value, unit,
    device_label: label, value_text: words, value_code: code, value_system: system, flags: reported === 1 ? ['patient_reported'] : [],
  }
}
