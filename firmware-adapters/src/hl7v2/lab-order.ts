// HL7 v2 laboratory orders, both ways: OML^O21 (v2.5.1, the LAW-style layout: ORC, TQ1, OBR and
// SPM per test) and ORM^O01 (v2.3.1, the older one many analyzers and middleware still take:
// ORC with its quantity/timing, OBR), encoded for an analyzer or middleware, decoded when one sends
// them to us; and the answer to an order (ORL^O22, ORR^O02 or a plain ACK) read back.
//
// Neva keys an order on its specimen id: it is the placer order number (ORC-2, OBR-2) and, in
// OML, the specimen id (SPM-2). Decoding takes SPM-2, else OBR-2, else ORC-2, else OBR-3 (the
// filler's number, for a middleware that numbers tubes itself); the OBRs of one specimen are one
// order with several tests. A test is OBR-4: LOINC first (system LN), the lab's code as the
// alternate identifier (components 4-6, system L), or the lab's code alone.
import { Identifier, LAB_CODE_PATTERN, SpecimenId } from '@neva/contracts'
import { FirmwareErrorCode, type DecodeProblem } from '../errors.js'
import { DEFAULT_ENCODING, encodingCharacters } from './encoding.js'
import { hl7Escape, hl7Unescape } from './escape.js'
import type { Hl7Segment } from './message.js'
import { clip, parseHl7 } from './parse.js'
import { formatHl7Time } from './time.js'

export type Hl7OrderType = 'OML^O21' | 'ORM^O01'
export type Hl7OrderPriority = 'routine' | 'urgent' | 'stat'

export interface Hl7OrderTest {
  loinc?: string
  lab_code?: string
  text?: string
}

export interface Hl7LabOrder {
  /** ORC-1: NW new, CA cancel, … as sent. */
  control: string
  specimen_id: string
  /** PID-3 component 1; '' when the message names no patient. */
  patient_id: string
  tests: Hl7OrderTest[]
  /** TQ1-9, ORC-7.6, OBR-27.6 or OBR-5: S stat, A urgent (ASAP), R routine; missing when none of those. */
  priority?: Hl7OrderPriority
}

export interface Hl7OrderInput {
  type: Hl7OrderType
  /** MSH-10, unique per message; a resend reuses it. */
  controlId: string
  time: number
  sendingApplication: string
  sendingFacility?: string
  receivingApplication?: string
  receivingFacility?: string
  /** ORC-1; default NW (new order). CA cancels. */
  control?: 'NW' | 'CA'
  patient_id: string
  specimen_id: string
  /** A test without its LOINC is sent with the lab's code alone (OBR-4 `CODE^^L`). */
  tests: ReadonlyArray<{ loinc?: string | undefined; lab_code: string }>
  priority: Hl7OrderPriority
}

const PRIORITY_CODE = { stat: 'S', urgent: 'A', routine: 'R' } as const
const PRIORITY_OF: Record<string, Hl7OrderPriority> = { S: 'stat', A: 'urgent', R: 'routine' }

export function encodeHl7LabOrder(input: Hl7OrderInput): string {
  const enc = DEFAULT_ENCODING
  const e = (s: string | undefined) => hl7Escape(s ?? '', enc)
  const seg = (...fields: string[]) => fields.join('|').replace(/\|+$/, '')
  const time = formatHl7Time(input.time)
  const oml = input.type === 'OML^O21'
  const control = input.control ?? 'NW'
  const specimen = e(input.specimen_id)
  const priority = PRIORITY_CODE[input.priority]
  const lines = [
    // MSH-9 with its structure (v2.5.1 §2.14.9.3); MSH-15/16: AL/NE, the receiver always answers.
    seg('MSH', encodingCharacters(enc), e(input.sendingApplication), e(input.sendingFacility), e(input.receivingApplication), e(input.receivingFacility),
      time, '', oml ? 'OML^O21^OML_O21' : 'ORM^O01', e(input.controlId), 'P', oml ? '2.5.1' : '2.3.1', '', '', 'AL', 'NE'),
    seg('PID', '1', '', `${e(input.patient_id)}^^^^MR`),
  ]
  input.tests.forEach((t, i) => {
    // ORC-2 placer order number, ORC-9 date/time of transaction; ORM carries the priority in ORC-7.6.
    lines.push(seg('ORC', control, specimen, '', '', '', '', oml ? '' : `^^^^^${priority}`, '', time))
    if (oml) lines.push(seg('TQ1', '1', '', '', '', '', '', '', '', priority))
    const test = t.loinc ? `${e(t.loinc)}^^LN^${e(t.lab_code)}^^L` : `${e(t.lab_code)}^^L`
    // OBR-2 placer order number, OBR-4 universal service id, OBR-7 observation date/time.
    lines.push(seg('OBR', String(i + 1), specimen, '', test, oml ? '' : priority, '', time))
    // SPM-2 specimen id (EIP: the placer's assigned identifier), SPM-4 specimen type (v2.5.1 table 0487).
    if (oml) lines.push(seg('SPM', '1', `${specimen}&NEVA`, '', 'BLD^Whole blood^HL70487'))
  })
  return lines.map((l) => `${l}\r`).join('')
}

export interface DecodedHl7Orders {
  type?: Hl7OrderType
  /** MSH-10 of the message, for its ACK. */
  controlId: string
  orders: Hl7LabOrder[]
  problems: DecodeProblem[]
}

const SPECIMEN = new RegExp(SpecimenId.pattern!)
const IDENTIFIER = new RegExp(Identifier.pattern!)
const LAB_CODE = new RegExp(LAB_CODE_PATTERN)
const LOINC = /^[0-9]{1,7}-[0-9]$/

/** The orders of an OML^O21 or ORM^O01; a message of another type is refused whole, a bad order alone. */
export function decodeHl7LabOrders(input: Uint8Array | string): DecodedHl7Orders {
  const parsed = parseHl7(input)
  const out: DecodedHl7Orders = { controlId: '', orders: [], problems: [...parsed.problems] }
  const msg = parsed.message
  if (!msg) return out
  out.controlId = msg.header.value(10)
  const type = `${msg.header.value(9, 1)}^${msg.header.value(9, 2)}`
  if (type !== 'OML^O21' && type !== 'ORM^O01') {
    out.problems.push({ code: FirmwareErrorCode.NEVA_HL7V2_NOT_AN_ORDER, reason: `MSH-9 is ${clip(type, 40)}, not OML^O21 or ORM^O01`, payload: clip(msg.header.toString(), 4096), offset: 0 })
    return out
  }
  out.type = type
  const pid = msg.segment('PID')
  // PID-3 first repetition; v2.3 senders may fill only PID-2 (external id).
  const patientRaw = hl7Unescape((pid?.value(3) || pid?.value(2) || '').trim(), msg.encoding)
  const patient = IDENTIFIER.test(patientRaw) ? patientRaw : ''
  if (patientRaw !== '' && patient === '') {
    out.problems.push({ code: FirmwareErrorCode.NEVA_HL7V2_BAD_PATIENT_ID, reason: `PID-3 (${patientRaw.length} characters) is not a patient id Neva accepts: the orders are kept without it`, payload: clip(pid!.toString(), 4096), offset: pid!.offset })
  }
  // Walk the ORDER groups: an ORC opens one; its TQ1, OBR and SPM follow it.
  const bySpecimen = new Map<string, Hl7LabOrder>()
  let orc: Hl7Segment | undefined
  let tq1: Hl7Segment | undefined
  let pending: { obr: Hl7Segment; spm?: Hl7Segment } | undefined
  const close = () => {
    if (pending) take(pending.obr, pending.spm)
    pending = undefined
  }
  const take = (obr: Hl7Segment, spm: Hl7Segment | undefined) => {
    // SPM-2 is an EIP (placer's id ^ filler's id, each an EI whose first subcomponent is the id);
    // the others are EI (id ^ namespace). Read unescaped, so an escaped delimiter is seen as one.
    const candidates: Array<[string, string | undefined]> = [
      ['SPM-2.1', spm?.value(2, 1, 1, 1)], ['SPM-2.2', spm?.value(2, 2, 1, 1)], ['OBR-2', obr.value(2)], ['ORC-2', orc?.value(2)], ['OBR-3', obr.value(3)], ['ORC-3', orc?.value(3)],
    ]
    const [field, raw] = candidates.find(([, v]) => v !== undefined && v.trim() !== '') ?? ['', '']
    const specimen = hl7Unescape((raw ?? '').trim(), msg.encoding)
    if (!SPECIMEN.test(specimen)) {
      out.problems.push({ code: FirmwareErrorCode.NEVA_HL7V2_ORDER_NO_SPECIMEN, reason: specimen === '' ? 'no specimen id: SPM-2, OBR-2, ORC-2, OBR-3 and ORC-3 are empty' : `${field}: specimen id (${specimen.length} characters) is not one Neva accepts (letters, digits and . _ : / - only, at most 64)`, payload: clip(obr.toString(), 4096), offset: obr.offset })
      return
    }
    const test = testOf(obr)
    if (!test) {
      out.problems.push({ code: FirmwareErrorCode.NEVA_HL7V2_ORDER_NO_TEST, reason: `OBR-4 names no LOINC and no lab code Neva accepts (${obr.field(4) === '' ? 'empty' : `${obr.field(4).length} characters`}) for specimen ${specimen}`, payload: clip(obr.toString(), 4096), offset: obr.offset })
      return
    }
    const code = tq1?.value(9) || orc?.value(7, 6) || obr.value(27, 6) || obr.value(5)
    const priority = PRIORITY_OF[code.trim().toUpperCase()]
    let order = bySpecimen.get(specimen)
    if (!order) {
      order = { control: orc?.value(1) ?? '', specimen_id: specimen, patient_id: patient, tests: [], ...(priority ? { priority } : {}) }
      bySpecimen.set(specimen, order)
      out.orders.push(order)
    }
    if (!order.tests.some((t) => t.loinc === test.loinc && t.lab_code === test.lab_code)) order.tests.push(test)
  }
  for (const s of msg.segments) {
    if (s.name === 'ORC') {
      close()
      orc = s
      tq1 = undefined
    } else if (s.name === 'TQ1' && tq1 === undefined) tq1 = s
    else if (s.name === 'OBR') {
      close()
      pending = { obr: s }
    } else if (s.name === 'SPM' && pending && !pending.spm) pending.spm = s
  }
  close()
  return out
}

function testOf(obr: Hl7Segment): Hl7OrderTest | undefined {
  const [code, text, system, alt, , altSystem] = [1, 2, 3, 4, 5, 6].map((c) => hl7Unescape(obr.value(4, c), obr.encoding).trim())
  const test: Hl7OrderTest = {}
  if (system!.toUpperCase() === 'LN' && LOINC.test(code!)) test.loinc = code
  else if (code !== '' && LAB_CODE.test(code!)) test.lab_code = code
  if (altSystem!.toUpperCase() === 'LN' && LOINC.test(alt!) && !test.loinc) test.loinc = alt
  else if (alt !== '' && LAB_CODE.test(alt!) && !test.lab_code && altSystem!.toUpperCase() !== 'LN') test.lab_code = alt
  if (text) test.text = clip(text, 200)
  return test.loinc || test.lab_code ? test : undefined
}

export interface Hl7OrderAnswer {
  /** MSA-1: AA/CA accepted, AE/CE error, AR/CR rejected. */
  code: string
  accepted: boolean
  /** MSA-2: the control id of the order message it answers. */
  controlId: string
  /** MSA-3, else ERR-8 (v2.5), else ''. */
  text: string
}

/** The answer to an order message: ORL^O22, ORR^O02 or ACK with its MSA; a problem for anything else. */
export function decodeHl7OrderAnswer(input: Uint8Array | string): Hl7OrderAnswer | DecodeProblem {
  const parsed = parseHl7(input)
  const msg = parsed.message
  if (!msg) return parsed.problems[0] ?? { code: FirmwareErrorCode.NEVA_HL7V2_NO_MSH, reason: 'no message', payload: '' }
  const type = msg.header.value(9, 1)
  const msa = msg.segment('MSA')
  if (!['ACK', 'ORL', 'ORR'].includes(type) || !msa || !/^[AC][AER]$/.test(msa.value(1))) {
    return { code: FirmwareErrorCode.NEVA_HL7V2_NOT_AN_ORDER, reason: `answer is ${clip(type, 20)} ${msa ? `with MSA-1 ${clip(msa.value(1), 10)}` : 'without MSA'}, not an ORL^O22, ORR^O02 or ACK`, payload: clip(msg.text, 4096), offset: 0 }
  }
  const code = msa.value(1)
  return { code, accepted: code[1] === 'A', controlId: msa.value(2), text: clip(hl7Unescape(msa.value(3) || msg.segment('ERR')?.value(8) || '', msg.encoding), 500) }
}
