// ORU^R01 lab results as an analyzer or middleware sends them back for the orders it took (HL7
// v2.5.1 ch. 7, IHE LAW "AN Observation Result"): per order ORC (RE, ORC-2 placer / ORC-3 filler
// order number), OBR (the same numbers, OBR-4 the ordered test, OBR-25 F), one OBX per test, then
// SPM with the specimen id. The filler number is the tube's id in the analyzer's namespace
// (EI: id^namespace), as analyzers that number by sample id write it, so OBR-3.1 is the specimen
// the gateway's decoder and the core's matcher key on.
import { DEFAULT_ENCODING, encodingCharacters } from './encoding.js'
import { hl7Escape } from './escape.js'
import { formatNm } from './encode.js'
import { formatHl7Time } from './time.js'

export interface LabResultOruTest {
  lab_code: string
  loinc?: string | undefined
  name?: string
  /** OBX-5; a number is sent NM, text ST. */
  value: number | string
  /** OBX-6, UCUM. */
  unit: string
  /** OBX-7, e.g. "3.5-5.1". */
  referenceRange?: string
  /** OBX-8 (HL7 table 0078): N, L, H, LL, HH…; empty when not judged. */
  abnormalFlag?: string
}

export interface LabResultOruInput {
  controlId: string
  time: number
  /** MSH-3 and OBX-18: the analyzer. */
  sendingApplication: string
  receivingApplication?: string
  patientId: string
  /** The specimen id: placer order number as ordered, filler number, SPM-2. */
  specimenId: string
  tests: readonly LabResultOruTest[]
}

export function encodeLabResultOru(input: LabResultOruInput): string {
  const enc = DEFAULT_ENCODING
  const e = (s: string | undefined) => hl7Escape(s ?? '', enc)
  const seg = (...fields: string[]) => fields.join('|').replace(/\|+$/, '')
  const time = formatHl7Time(input.time)
  const device = e(input.sendingApplication)
  const placer = e(input.specimenId)
  const filler = `${placer}^${device}`
  const lines = [
    seg('MSH', encodingCharacters(enc), device, '', e(input.receivingApplication), '', time, '', 'ORU^R01^ORU_R01', e(input.controlId), 'P', '2.5.1', '', '', 'AL', 'NE'),
    seg('PID', '1', '', input.patientId === '' ? '' : `${e(input.patientId)}^^^^MR`),
    // ORC-1 RE: observations to follow (table 0119).
    seg('ORC', 'RE', placer, filler, '', 'CM', '', '', '', time),
  ]
  // One OBR for the order's tests (its universal service id the first test's, as a panel would).
  const first = input.tests[0]
  const service = first ? code(first, e) : ''
  lines.push(seg('OBR', '1', placer, filler, service, '', '', time, '', '', '', '', '', '', '', '', '', '', '', '', '', '', time, '', '', 'F'))
  input.tests.forEach((t, i) => {
    const numeric = typeof t.value === 'number'
    lines.push(seg('OBX', String(i + 1), numeric ? 'NM' : 'ST', code(t, e), '', numeric ? formatNm(t.value as number) : e(String(t.value)), e(t.unit), e(t.referenceRange), e(t.abnormalFlag), '', '', 'F', '', '', time, '', '', '', device))
  })
  lines.push(seg('SPM', '1', `${placer}&${device}`, '', 'BLD^Whole blood^HL70487'))
  return lines.join('\r') + '\r'
}

/** OBX-3 / OBR-4: the lab's code first (system L), the LOINC as the alternate identifier. */
function code(t: LabResultOruTest, e: (s: string | undefined) => string): string {
  const head = `${e(t.lab_code)}^${e(t.name)}^L`
  return t.loinc ? `${head}^${e(t.loinc)}^^LN` : head
}
