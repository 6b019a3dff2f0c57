// ORU^R42 (IHE PCD-10) as a pump gateway sends it: one OBR per event, the pump's MDS, VMD, delivery
// info and one infusate source channel, shaped as the IHE PCD TF-2 example. For the simulators and
// the tests; decodeHl7 reads it back.
import { DEFAULT_ENCODING, encodingCharacters } from './encoding.js'
import { formatNm } from './encode.js'
import { hl7Escape } from './escape.js'
import type { Hl7Location } from './decode.js'
import { formatHl7Time } from './time.js'

/** MDC_EVT_PUMP_DELIV_START and _STOP (IEEE 11073-10101). */
export const MDC_PUMP_EVT = { start: [197288, 'MDC_EVT_PUMP_DELIV_START'], stop: [197290, 'MDC_EVT_PUMP_DELIV_STOP'] } as const

export interface OruR42Input {
  controlId: string
  time: number
  sendingApplication: string
  patientId: string
  location?: Hl7Location
  /** OBX-18 of the MDS: the pump's id. */
  equipmentId: string
  /** OBR-2: the order the infusion carries out. */
  orderId?: string
  event: keyof typeof MDC_PUMP_EVT
  drug: string
  /** mg/mL. */
  concentration: number
  /** mL/h. */
  rate: number
  /** mL. */
  volumeInfused: number
  volumeToBeInfused: number
  /** "delivering", "stopped", "paused"… (pump-delivery-status-…). */
  state: string
}

export function encodeOruR42(input: OruR42Input): string {
  const enc = DEFAULT_ENCODING
  const e = (s: string | undefined) => hl7Escape(s ?? '', enc)
  const t = formatHl7Time(input.time, 0)
  const loc = input.location ?? {}
  const [evtCode, evtName] = MDC_PUMP_EVT[input.event]
  const obx = (n: number, type: string, id: string, sub: string, value: string, unit = '', extra = '') =>
    `OBX|${n}|${type}|${id}|${sub}|${value}|${unit}|||||${type === '' ? 'X' : 'R'}|||||${extra}`
  const ml = '263762^MDC_DIM_MILLI_L^MDC^mL^mL^UCUM'
  return [
    `MSH|${encodingCharacters(enc)}|${e(input.sendingApplication)}||||${t}||ORU^R42^ORU_R01|${e(input.controlId)}|P|2.6|||AL|NE||UNICODE UTF-8|||IHE_PCD_010^IHE PCD^1.3.6.1.4.1.19376.1.6.4.10^ISO`,
    `PID|||${e(input.patientId)}^^^^MR`,
    `PV1||I|${e(loc.pointOfCare)}^${e(loc.room)}^${e(loc.bed)}^${e(loc.facility)}`,
    `OBR|1|${e(input.orderId)}^PCD-03|${e(input.controlId)}^NEVA|2222^${e(input.drug)}|||${t}`,
    obx(1, '', '70049^MDC_DEV_PUMP_INFUS_LVP_MDS^MDC', '1.0.0.0', '', '', `||${e(input.equipmentId)}`),
    obx(2, 'CWE', '68487^MDC_ATTR_EVT_COND^MDC', '1.0.0.2', `${evtCode}^${evtName}^MDC`),
    obx(3, 'ST', '68488^MDC_ATTR_EVT_SOURCE^MDC', '1.0.0.3', '1.1.2.0'),
    obx(4, '', '70050^MDC_DEV_PUMP_INFUS_LVP_VMD^MDC', '1.1.0.0', ''),
    obx(5, '', '70071^MDC_DEV_PUMP_INFUSATE_SOURCE_PRIMARY^MDC', '1.1.2.0', ''),
    obx(6, 'CWE', '158005^MDC_DEV_PUMP_CURRENT_DELIVERY_STATUS^MDC', '1.1.2.1', `^pump-delivery-status-${e(input.state)}`),
    obx(7, 'ST', '158012^MDC_DEV_PUMP_SOURCE_CHANNEL_LABEL^MDC', '1.1.2.3', 'Primary'),
    obx(8, 'NM', '157784^MDC_FLOW_FLUID_PUMP^MDC', '1.1.2.4', formatNm(input.rate), '265266^MDC_DIM_MILLI_L_PER_HR^MDC^mL/h^mL/h^UCUM'),
    obx(9, 'NM', '157884^MDC_VOL_FLUID_TBI^MDC', '1.1.2.6', formatNm(input.volumeToBeInfused), ml),
    obx(10, 'NM', '157993^MDC_VOL_FLUID_DELIV_TOTAL^MDC', '1.1.2.7', formatNm(input.volumeInfused), ml),
    obx(11, 'ST', '184514^MDC_DRUG_NAME_LABEL^MDC', '1.1.2.10', e(input.drug)),
    obx(12, 'NM', '157760^MDC_CONC_DRUG^MDC', '1.1.2.11', formatNm(input.concentration), '264306^MDC_DIM_MILLI_G_PER_ML^MDC^mg/mL^mg/mL^UCUM'),
  ].join('\r') + '\r'
}
