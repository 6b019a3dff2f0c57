// What an OBX-3 names: an IEEE 11073 (MDC) metric, a LOINC code, or a lab analyzer's own test
// code. IHE PCD-01 codes metrics in MDC (coding system "MDC"); some devices leave the coding
// system out and send the bare number.
import { VITALS, normalizeMdc, vitalByMdc, type VitalDefinition } from '@neva/contracts'
import { defaultCodeTable, type MetricCode } from '../codes/code-table.js'
import { lookupLabCode, type LabCodeTable } from '../lab-codes.js'
import type { Hl7Segment } from './message.js'

export type ObxCoding =
  | { kind: 'mdc'; code: number; sent: string; name: string; def: VitalDefinition | undefined; metric?: MetricCode | undefined }
  | { kind: 'loinc-vital'; code: string; name: string; def: VitalDefinition }
  | { kind: 'lab'; code: string; name: string; loinc: string | null }

// LOINC → vital: the first vital in table order with that code (heart rate before pulse rate,
// non-invasive before arterial pressure). SpO2 is 59408-5 (by pulse oximetry) only: 2708-6 alone
// is oxygen saturation in arterial blood, a blood gas's SaO2, kept as a lab result and never scored
// as NEWS2's SpO2, which is pulse oximetry. An OBX coded 2708-6 with 59408-5 or MDC 150456 beside it
// (as FHIR's oxygen saturation profile codes SpO2) is SpO2 by its other code.
const VITAL_BY_LOINC = new Map<string, VitalDefinition>()
for (const v of Object.values(VITALS)) if (!VITAL_BY_LOINC.has(v.loinc)) VITAL_BY_LOINC.set(v.loinc, v)

export function vitalByLoinc(code: string): VitalDefinition | undefined {
  return VITAL_BY_LOINC.get(code)
}

const MAX_MDC = 0xffffffff

export function obxCoding(obx: Hl7Segment, labCodes: LabCodeTable): ObxCoding {
  const primary = { code: obx.value(3, 1).trim(), name: obx.value(3, 2), system: obx.value(3, 3).trim().toUpperCase() }
  const alternate = { code: obx.value(3, 4).trim(), name: obx.value(3, 5), system: obx.value(3, 6).trim().toUpperCase() }
  for (const c of [primary, alternate]) {
    if (c.code === '') continue
    if (c.system === 'MDC') return mdc(c.code, c.name)
    if (c.system === 'LN') {
      const def = vitalByLoinc(c.code)
      if (def) return { kind: 'loinc-vital', code: c.code, name: c.name, def }
    }
  }
  if (primary.system === '' && /^\d{1,10}$/.test(primary.code) && !lookupLabCode(labCodes, primary.code)) return mdc(primary.code, primary.name)
  let loinc: string | null = null
  if (primary.system === 'LN') loinc = primary.code
  else loinc = lookupLabCode(labCodes, primary.code)?.loinc ?? (alternate.system === 'LN' && alternate.code !== '' ? alternate.code : null)
  return { kind: 'lab', code: primary.code, name: primary.name, loinc }
}

function mdc(sent: string, name: string): ObxCoding {
  if (/^\d{1,10}$/.test(sent) && Number(sent) <= MAX_MDC) {
    const code = normalizeMdc(Number(sent))
    return { kind: 'mdc', code, sent, name, def: vitalByMdc(code), metric: defaultCodeTable().metricByCode.get(code) }
  }
  // A reference id (MDC_PULS_OXIM_SAT_O2) where the number belongs.
  const def = Object.values(VITALS).find((v) => v.mdcName !== '' && v.mdcName === sent)
  const metric = def ? undefined : defaultCodeTable().metricByRef.get(sent)
  return { kind: 'mdc', code: def?.mdc ?? metric?.code ?? 0, sent, name: name || sent, def, metric }
}
