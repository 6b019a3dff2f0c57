// Builds IHE PCD-01 style ORU^R01 messages for simulators and tests (the inverse of decode.ts):
// MSH, PID, PV1, OBR, one MDS device entry, then one OBX per reading, MDC-coded with MDC units
// (LOINC for the vitals MDC has no term for). Every text is escaped with the message's encoding.
import { ACVPU, VITALS, type Acvpu, type QualityFlag, type VitalName } from '@neva/contracts'
import { DEFAULT_ENCODING, encodingCharacters, type Hl7Encoding } from './encoding.js'
import { hl7Escape } from './escape.js'
import type { Hl7Location } from './decode.js'
import { formatHl7Time } from './time.js'
import { MDC_UNIT_NAMES } from './units.js'

export interface OruReadingInput {
  vital: VitalName
  /** A number, or an ACVPU letter for consciousness. */
  value: number | Acvpu
  /** When measured (OBX-14); default the message's observation time (OBR-7). */
  time?: number
  /** Only 'questionable' has an HL7 form (OBX-8 QUES); other flags are not sent. */
  flags?: readonly QualityFlag[]
}

export interface OruR01Input {
  /** MSH-10: unique per message; a resend reuses it. */
  controlId: string
  /** MSH-7 and OBR-7 (epoch ms). */
  time: number
  /** The offset written in every time; default 0 (UTC). */
  utcOffsetMinutes?: number
  sendingApplication: string
  sendingFacility?: string
  receivingApplication?: string
  receivingFacility?: string
  patientId: string
  patientName?: { family: string; given?: string }
  location?: Hl7Location
  /** OBX-18 equipment instance identifier of every OBX. */
  equipmentId?: string
  readings: readonly OruReadingInput[]
  encoding?: Hl7Encoding
}


/** Numbers as HL7 NM: never in exponent notation. */
export function formatNm(value: number): string {
  const s = String(value)
  if (!/e/i.test(s)) return s
  return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '')
}

export function encodeOruR01(input: OruR01Input): string {
  const enc = input.encoding ?? DEFAULT_ENCODING
  const offset = input.utcOffsetMinutes ?? 0
  const e = (s: string | undefined) => hl7Escape(s ?? '', enc)
  const c = (...parts: string[]) => parts.join(enc.component).replace(new RegExp(`${reEscape(enc.component)}+$`), '')
  const time = (t: number) => formatHl7Time(t, offset)
  const seg = (...fields: string[]) => fields.join(enc.field).replace(new RegExp(`${reEscape(enc.field)}+$`), '')
  const equipment = e(input.equipmentId)
  const loc = input.location ?? {}
  const lines = [
    seg('MSH', encodingCharacters(enc), e(input.sendingApplication), e(input.sendingFacility), e(input.receivingApplication), e(input.receivingFacility),
      time(input.time), '', c('ORU', 'R01', 'ORU_R01'), e(input.controlId), 'P', '2.6', '', '', 'AL', 'NE', '', 'UNICODE UTF-8', '', '',
      c('IHE_PCD_001', 'IHE PCD', '1.3.6.1.4.1.19376.1.6.1.1.1', 'ISO')),
    seg('PID', '', '', c(e(input.patientId), '', '', '', 'MR'), '', input.patientName ? c(e(input.patientName.family), e(input.patientName.given)) : ''),
    seg('PV1', '', 'I', c(e(loc.pointOfCare), e(loc.room), e(loc.bed), e(loc.facility))),
    seg('OBR', '1', e(input.controlId), e(input.controlId), c('182777000', 'monitoring of patient', 'SCT'), '', '', time(input.time)),
    // The MDS of a multi-parameter monitor (IEEE 11073-10101 MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS).
    seg('OBX', '1', '', c('69965', 'MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS', 'MDC'), '1.0.0.0', '', '', '', '', '', '', 'X', '', '', '', '', '', '', equipment),
  ]
  input.readings.forEach((r, i) => {
    const def = VITALS[r.vital]
    const n = i + 2
    const subId = `1.0.0.${n - 1}`
    const at = r.time === undefined ? '' : time(r.time)
    const flags = r.flags?.includes('questionable') ? 'QUES' : ''
    let type = 'NM'
    let value: string
    if (def.ordinal) {
      type = 'ST'
      value = typeof r.value === 'string' ? r.value : ACVPU[r.value] ?? String(r.value)
    } else {
      value = typeof r.value === 'number' ? formatNm(r.value) : r.value
    }
    const id = def.mdc !== 0 ? c(String(def.mdc), def.mdcName, 'MDC') : c(def.loinc, '', 'LN')
    const unit = def.ordinal ? '' : def.mdcUnit !== 0 && MDC_UNIT_NAMES[def.mdcUnit] ? c(String(def.mdcUnit), MDC_UNIT_NAMES[def.mdcUnit]!, 'MDC') : c(e(def.unit), e(def.unit), 'UCUM')
    lines.push(seg('OBX', String(n), type, id, subId, e(value), unit, '', flags, '', '', 'R', '', '', at, '', '', '', equipment))
  })
  return lines.join('\r') + '\r'
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
