// Builds IHE PCD-04 ORU^R40 alert messages for simulators and tests (the inverse of alarm.ts), laid
// out as IHE PCD TF-2 §3.4 shows them: the OBR names the alert (OBR-3, and OBR-29 pointing every
// update at the alert), then the event identification, the source measurement with its limits,
// the event phase, alarm state, inactivation state, priority and alert type, OBX-4 facets .1–.7.
import { VITALS, type AlarmPriority, type AlarmType, type VitalName } from '@neva/contracts'
import { DEFAULT_ENCODING, encodingCharacters, type Hl7Encoding } from './encoding.js'
import { formatNm } from './encode.js'
import { hl7Escape } from './escape.js'
import type { Hl7Location } from './decode.js'
import { formatHl7Time } from './time.js'
import { MDC_UNIT_NAMES } from './units.js'

/** IEEE 11073-10101 events of threshold alarms (partition 3). */
export const MDC_EVT = { HI: [196648, 'MDC_EVT_HI'], LO: [196670, 'MDC_EVT_LO'] } as const

const PRIORITY_CODE: Record<AlarmPriority, string> = { high: 'PH', medium: 'PM', low: 'PL', none: 'PN' }
const TYPE_CODE: Record<AlarmType, string> = { physiological: 'SP', technical: 'ST', advisory: 'SA' }

export interface OruR40Input {
  controlId: string
  /** MSH-7, OBR-7 and the event's OBX-14 (epoch ms). */
  time: number
  utcOffsetMinutes?: number
  sendingApplication: string
  sendingFacility?: string
  patientId?: string
  location?: Hl7Location
  /** OBX-18 of the event: the device. */
  equipmentId?: string
  /** The alert's own identifier: the same in every update (start, continue, end) of one alarm. */
  alertId: string
  event: { code: number; name: string; text?: string }
  /** The measurement that crossed a limit, its value and the limits (OBX-7). */
  vital?: VitalName
  value?: number
  limits?: { low?: number; high?: number }
  priority: AlarmPriority
  alertType: AlarmType
  phase: 'start' | 'continue' | 'end'
  state: 'active' | 'inactive' | 'latched' | 'off'
  inactivation?: string
  encoding?: Hl7Encoding
}

export function encodeOruR40(input: OruR40Input): string {
  const enc = input.encoding ?? DEFAULT_ENCODING
  const e = (s: string | undefined) => hl7Escape(s ?? '', enc)
  const c = (...parts: string[]) => parts.join(enc.component).replace(new RegExp(`${reEscape(enc.component)}+$`), '')
  const seg = (...fields: string[]) => fields.join(enc.field).replace(new RegExp(`${reEscape(enc.field)}+$`), '')
  const time = formatHl7Time(input.time, input.utcOffsetMinutes ?? 0)
  const loc = input.location ?? {}
  const def = input.vital ? VITALS[input.vital] : undefined
  // Containment path of the alert's source: the metric's code when the alarm is about one.
  const path = `1.0.0.${def?.mdc ?? 0}`
  const app = e(input.sendingApplication)
  const lines = [
    seg('MSH', encodingCharacters(enc), app, e(input.sendingFacility), '', '', time, '', c('ORU', 'R40', 'ORU_R40'), e(input.controlId), 'P', '2.6', '', '', 'AL', 'NE', '',
      'UNICODE UTF-8', '', '', c('IHE_PCD_ACM_001', 'IHE PCD', '1.3.6.1.4.1.19376.1.6.4.4.1', 'ISO')),
    seg('PID', '', '', input.patientId ? c(e(input.patientId), '', '', '', 'MR') : ''),
    seg('PV1', '', 'I', c(e(loc.pointOfCare), e(loc.room), e(loc.bed), e(loc.facility))),
    seg('OBR', '1', '', c(e(input.alertId), app), c('196616', 'MDC_EVT_ALARM', 'MDC'), '', '', time, ...Array(21).fill(''),
      c('', [e(input.alertId), app].join(enc.subcomponent))),
    seg('OBX', '1', 'ST', c(String(input.event.code), input.event.name, 'MDC'), `${path}.1`, e(input.event.text ?? input.event.name), '', '',
      [PRIORITY_CODE[input.priority], TYPE_CODE[input.alertType]].join(enc.repetition), '', '', 'F', '', '', time, '', '', '', e(input.equipmentId)),
  ]
  if (def && input.value !== undefined) {
    const unit = def.mdcUnit !== 0 && MDC_UNIT_NAMES[def.mdcUnit] ? c(String(def.mdcUnit), MDC_UNIT_NAMES[def.mdcUnit]!, 'MDC') : c(e(def.unit), e(def.unit), 'UCUM')
    const { low, high } = input.limits ?? {}
    // OBX-7: the range outside which the device alarms ("90-96", ">90", "<120").
    const r = low !== undefined && high !== undefined ? `${formatNm(low)}-${formatNm(high)}` : low !== undefined ? `>${formatNm(low)}` : high !== undefined ? `<${formatNm(high)}` : ''
    lines.push(seg('OBX', '2', 'NM', c(String(def.mdc), def.mdcName, 'MDC'), `${path}.2`, formatNm(input.value), unit, e(r), '', '', '', 'F', '', '', time))
  }
  const attrs: [string, string, string, string][] = [
    ['3', '68481', 'MDC_ATTR_EVENT_PHASE', input.phase],
    ['4', '68482', 'MDC_ATTR_ALARM_STATE', input.state],
    ['5', '68483', 'MDC_ATTR_ALARM_INACTIVATION_STATE', input.inactivation ?? 'enabled'],
    ['6', '68484', 'MDC_ATTR_ALARM_PRIORITY', PRIORITY_CODE[input.priority]],
    ['7', '68485', 'MDC_ATTR_ALERT_TYPE', TYPE_CODE[input.alertType]],
  ]
  for (const [facet, code, name, value] of attrs) lines.push(seg('OBX', facet, 'ST', c(code, name, 'MDC'), `${path}.${facet}`, e(value), '', '', '', '', '', 'F'))
  return lines.join('\r') + '\r'
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
