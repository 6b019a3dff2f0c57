// One OBX → a reading, a refusal (problem, kept aside) or a deliberate skip (ignored, counted).
import { ACVPU, OTHER_METRIC, type QualityFlag, type VitalDefinition } from '@neva/contracts'
import { FirmwareErrorCode, type DecodeProblem, type Hl7v2ErrorCode } from '../errors.js'
import type { ObservationDraft, LabResultDraft } from '../decoded.js'
import type { ObxCoding } from './coding.js'
import { hl7Unescape } from './escape.js'
import type { Hl7Segment } from './message.js'
import { clip } from './parse.js'
import { deviceTime } from './time.js'
import { describeUnit, unitMatches, unitMeaning, type SentUnit } from './units.js'

export interface ObxContext {
  /** "OBX 7": how problems name the segment (its set ID, else its position). */
  where: string
  /** The DTM that dates this OBX: its own OBX-14, an ancestor's, OBR-7, else MSH-7. */
  time: string
  receivedTime: number
  defaultUtcOffsetMinutes: number
  deviceId: string
  patientId: string
}

export type ObxOutcome<T> = { ok: T } | { problem: DecodeProblem } | { ignored: DecodeProblem }

// OBX-8 codes for IEEE 11073 MeasurementStatus and missing data (IHE PCD TF-2 Tables B.8.5-6/-7).
const NOT_VALID: Readonly<Record<string, string>> = {
  INV: 'invalid', NAV: 'not available', NA: 'not applicable', NI: 'no information', OFF: 'measurement switched off',
  MSK: 'masked', OTH: 'value not in domain', NAN: 'not a number', PINF: 'positive infinity', NINF: 'negative infinity',
  BUSY: 'measurement ongoing',
}
const NOT_REAL: Readonly<Record<string, string>> = { TEST: 'test data', DEMO: 'demo data' }
const QUESTIONABLE: Readonly<Record<string, string>> = { QUES: 'questionable', CAL: 'calibration ongoing' }
const WITHDRAWN: Readonly<Record<string, string>> = { D: 'deletes the result', W: 'posts the result as wrong' }

const NM = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/

/** HL7 NM, strictly: optional sign, digits, optional decimal point; surrounding spaces allowed. */
export function parseNm(text: string): number | undefined {
  const t = text.trim()
  return NM.test(t) ? Number(t) : undefined
}

/** OBX-5 holds something (an SN "^95" has an empty first component, and "" is the HL7 null). */
const hasValue = (obx: Hl7Segment) => obx.field(5).trim() !== '' && obx.field(5) !== '""'

/** A problem with one OBX: the segment as sent, at its byte offset in the message. */
const outcome = (code: Hl7v2ErrorCode, reason: string, obx: Hl7Segment): DecodeProblem => ({ code, reason, payload: clip(obx.toString(), 4096), offset: obx.offset })

export function vitalFromObx(obx: Hl7Segment, coding: Extract<ObxCoding, { kind: 'mdc' | 'loinc-vital' }>, ctx: ObxContext): ObxOutcome<ObservationDraft> {
  const { where } = ctx
  const ignored = (code: Hl7v2ErrorCode, reason: string) => ({ ignored: outcome(code, `${where}: ${reason}`, obx) })
  const refused = (code: Hl7v2ErrorCode, reason: string) => ({ problem: outcome(code, `${where}: ${reason}`, obx) })
  const label = coding.kind === 'mdc' ? `MDC ${coding.sent} ${coding.name}`.trim() : `LOINC ${coding.code} ${coding.name}`.trim()
  const status = obx.value(11).trim().toUpperCase()
  if (WITHDRAWN[status]) return ignored(FirmwareErrorCode.NEVA_HL7V2_NOT_OBTAINED, `${label}: OBX-11 ${status} ${WITHDRAWN[status]}`)
  if (!hasValue(obx)) {
    const subId = obx.value(4)
    // IHE PCD TF-2 B.8.3: trailing zeros in OBX-4 mark an MDS, VMD or channel entry.
    if (/\.0$/.test(subId) || /^MDC_DEV_/.test(coding.name)) return ignored(FirmwareErrorCode.NEVA_HL7V2_DEVICE_ENTRY, `${label} is a device entry (${subId || 'no OBX-4'}), not a reading`)
    return ignored(FirmwareErrorCode.NEVA_HL7V2_NO_VALUE, `${label} has no value${status === 'X' ? ' (OBX-11 X: cannot be obtained)' : ''}`)
  }
  const def = coding.def
  const flags: QualityFlag[] = []
  for (const rep of obx.repetitions(8)) {
    const mark = hl7Unescape(rep.split(obx.encoding.component)[0] ?? '', obx.encoding).trim().toUpperCase()
    if (NOT_VALID[mark]) return ignored(FirmwareErrorCode.NEVA_HL7V2_NOT_OBTAINED, `${label}: OBX-8 ${mark} (${NOT_VALID[mark]}): the device says the value is not valid`)
    if (NOT_REAL[mark]) return refused(FirmwareErrorCode.NEVA_HL7V2_TEST_DATA, `${label}: OBX-8 ${mark}: the device says this is ${NOT_REAL[mark]}, not a patient's reading`)
    if (QUESTIONABLE[mark] && !flags.includes('questionable')) flags.push('questionable')
  }
  // X ("cannot be obtained") is for device entries (IHE PCD TF-2 B.8.5 OBX-11); some monitors send
  // it on every OBX. A value next to it contradicts it: kept, but not trusted for scoring.
  if (status === 'X' && !flags.includes('questionable')) flags.push('questionable')
  if (!def) return coding.kind === 'mdc' ? otherMetric(obx, coding, ctx, label, flags) : ignored(FirmwareErrorCode.NEVA_HL7V2_NOT_A_VITAL, `${label} is not a vital sign Neva stores`)
  const value = readValue(obx, def)
  if (typeof value === 'string') return refused(value.startsWith('OBX-2') ? FirmwareErrorCode.NEVA_HL7V2_NOT_NUMERIC : FirmwareErrorCode.NEVA_HL7V2_BAD_NUMBER, `${def.name} (${label}): ${value}`)
  const unit: SentUnit = { code: obx.value(6, 1).trim(), text: obx.value(6, 2).trim(), system: obx.value(6, 3).trim() }
  if (!def.ordinal && !unitMatches(unit, def)) {
    return refused(FirmwareErrorCode.NEVA_HL7V2_UNIT_MISMATCH, `${def.name} (${label}) is in ${def.unit}, got OBX-6 ${JSON.stringify(describeUnit(unit))}`)
  }
  if (value < def.min || value > def.max) return refused(FirmwareErrorCode.NEVA_HL7V2_IMPLAUSIBLE_VALUE, `${def.name} (${label}): ${value} ${def.unit} is outside ${def.min}–${def.max}`)
  let time = deviceTime(ctx.time, ctx.receivedTime, ctx.defaultUtcOffsetMinutes)
  if (time === 'suspect') flags.push('clock_suspect')
  if (typeof time !== 'number') time = ctx.receivedTime
  return {
    ok: {
      device_id: ctx.deviceId, patient_id: ctx.patientId, source: 'hl7v2', mdc_code: def.mdc, loinc: def.loinc, name: def.name,
      value, unit: def.unit, device_time: time, received_time: ctx.receivedTime, flags,
    },
  }
}

/** The number a vital OBX carries, or what is wrong with it. */
function readValue(obx: Hl7Segment, def: VitalDefinition): number | string {
  const type = obx.value(2).trim().toUpperCase()
  const reps = obx.repetitions(5)
  if (reps.length > 1) return `OBX-5 has ${reps.length} repetitions; a vital sign has one value`
  if (def.ordinal) {
    // ACVPU as its letter (ST, CWE) or its index (NM).
    const sent = obx.value(5).trim()
    const index = ACVPU.indexOf(sent.toUpperCase() as (typeof ACVPU)[number])
    if (index >= 0) return index
    const n = parseNm(sent)
    if (n !== undefined && Number.isInteger(n)) return n
    return `OBX-5 ${JSON.stringify(sent.slice(0, 64))} is not one of A, C, V, P, U`
  }
  return readNumber(obx)
}

/** The one number an OBX carries (NM, a plain SN, or a number sent as ST), or what is wrong with it. */
function readNumber(obx: Hl7Segment): number | string {
  const type = obx.value(2).trim().toUpperCase()
  const reps = obx.repetitions(5)
  if (reps.length > 1) return `OBX-5 has ${reps.length} repetitions; a reading has one value`
  let text: string
  if (type === 'SN') {
    // SN: comparator ^ number ^ separator ^ number; only a plain "^98" (or "=^98") is one value.
    const [comparator, n1, separator, n2] = [1, 2, 3, 4].map((c) => obx.value(5, c))
    if ((comparator !== '' && comparator !== '=') || separator !== '' || n2 !== '') return `OBX-5 SN ${JSON.stringify(obx.field(5).slice(0, 64))} is not a single value`
    text = n1!
  } else if (type === 'NM' || type === 'ST' || type === '') {
    text = hl7Unescape(reps[0] ?? '', obx.encoding)
  } else {
    return `OBX-2 ${type} cannot carry a number (expected NM)`
  }
  const n = parseNm(text)
  if (n === undefined) return `OBX-5 ${JSON.stringify(text.slice(0, 64))} is not a number${type ? ` (OBX-2 ${type})` : ''}`
  return n
}

export interface LabContext extends Omit<ObxContext, 'patientId'> {
  patientId: string | null
  orderId: string | null
  /** The DTM of the result for result_time: OBX-14 (own or an ancestor's), else OBR-7; never MSH-7. */
  resultTime: string
}

export function labFromObx(obx: Hl7Segment, coding: Extract<ObxCoding, { kind: 'lab' }>, ctx: LabContext): ObxOutcome<LabResultDraft> {
  const { where } = ctx
  const status = obx.value(11).trim().toUpperCase()
  const ignored = (code: Hl7v2ErrorCode, reason: string) => ({ ignored: outcome(code, `${where}: ${reason}`, obx) })
  if (WITHDRAWN[status]) return ignored(FirmwareErrorCode.NEVA_HL7V2_NOT_OBTAINED, `test ${coding.code}: OBX-11 ${status} ${WITHDRAWN[status]}`)
  if (status === 'X') return ignored(FirmwareErrorCode.NEVA_HL7V2_NOT_OBTAINED, `test ${coding.code}: OBX-11 X, the result could not be obtained`)
  if (coding.code === '' || coding.code.length > 64) {
    return { problem: outcome(FirmwareErrorCode.NEVA_HL7V2_NO_TEST_CODE, `${where}: OBX-3.1 ${coding.code === '' ? 'is empty' : 'is longer than 64 characters'}: the result names no test`, obx) }
  }
  const type = obx.value(2).trim().toUpperCase()
  const value = labValue(obx, type)
  if (value === '') return ignored(FirmwareErrorCode.NEVA_HL7V2_NO_VALUE, `test ${coding.code} has no value`)
  const numeric = parseNm(value)
  if (type === 'NM' && numeric === undefined) {
    return { problem: outcome(FirmwareErrorCode.NEVA_HL7V2_BAD_NUMBER, `${where}: test ${coding.code}: OBX-2 is NM but OBX-5 ${JSON.stringify(value.slice(0, 64))} is not a number`, obx) }
  }
  const t = deviceTime(ctx.resultTime, ctx.receivedTime, ctx.defaultUtcOffsetMinutes)
  const flag = obx.value(8).trim()
  return {
    ok: {
      device_id: ctx.deviceId, source: 'hl7v2', order_id: ctx.orderId, patient_id: ctx.patientId, test_code: coding.code, loinc: coding.loinc,
      value: clip(value, 1024), numeric_value: numeric ?? null, unit: clip(obx.value(6, 1).trim() || obx.value(6, 2).trim(), 32),
      reference_range: clip(obx.value(7).trim(), 64), abnormal_flag: flag === '' ? null : clip(flag, 8), status: clip(status, 8),
      result_time: typeof t === 'number' ? t : null, received_time: ctx.receivedTime, comments: [],
    },
  }
}

/** OBX-5 as text, by value type: coded values by their code, SN as "<0.5", text repetitions as lines. */
function labValue(obx: Hl7Segment, type: string): string {
  switch (type) {
    case 'SN':
      return [1, 2, 3, 4].map((c) => obx.value(5, c)).join('').trim()
    case 'CE': case 'CWE': case 'CNE': case 'CF':
      return (obx.value(5, 1) || obx.value(5, 2)).trim()
    case 'TX': case 'FT':
      return obx.repetitions(5).map((r) => hl7Unescape(r, obx.encoding)).join('\n').trim()
    default:
      return hl7Unescape(obx.repetitions(5)[0] ?? '', obx.encoding).trim()
  }
}

/** OBX-2 value types that carry words or a coded value rather than a number. */
const TEXT_TYPES = new Set(['ST', 'TX', 'FT', 'CWE', 'CE', 'CNE'])
const CODED_TYPES = new Set(['CWE', 'CE', 'CNE'])

/**
 * A text or coded state (HL7 ST/TX/FT; CWE/CE/CNE: code ^ text ^ system … ^ original text in .9):
 * kept as value_text, with a coded value's code and system; no number, no unit, never scored.
 */
function textMetric(obx: Hl7Segment, coding: Extract<ObxCoding, { kind: 'mdc' }>, ctx: ObxContext, where: string, type: string, flags: QualityFlag[]): ObxOutcome<ObservationDraft> {
  const unesc = (s: string) => hl7Unescape(s, obx.encoding).trim()
  let text: string
  let code = ''
  let system = ''
  if (CODED_TYPES.has(type)) {
    const reps = obx.repetitions(5)
    if (reps.length > 1) return { problem: outcome(FirmwareErrorCode.NEVA_HL7V2_NOT_NUMERIC, `${where}: OBX-5 ${type} has ${reps.length} repetitions; a state has one value`, obx) }
    code = unesc(obx.value(5, 1))
    system = unesc(obx.value(5, 3))
    text = unesc(obx.value(5, 2)) || unesc(obx.value(5, 9)) || code
  } else {
    // TX/FT repetitions are lines of one text.
    text = obx.repetitions(5).map(unesc).join('\n').trim()
  }
  if (text === '') return { ignored: outcome(FirmwareErrorCode.NEVA_HL7V2_NO_VALUE, `${where} has no value`, obx) }
  let time = deviceTime(ctx.time, ctx.receivedTime, ctx.defaultUtcOffsetMinutes)
  if (time === 'suspect') flags.push('clock_suspect')
  if (typeof time !== 'number') time = ctx.receivedTime
  const deviceLabel = coding.name.trim() || coding.metric?.ref || ''
  return {
    ok: {
      device_id: ctx.deviceId, patient_id: ctx.patientId, source: 'hl7v2', mdc_code: coding.code, loinc: coding.metric?.loinc ?? '', name: OTHER_METRIC,
      unit: '', device_time: time, received_time: ctx.receivedTime, flags: [...new Set(flags)].slice(0, 8),
      value_text: clip(text, 256),
      ...(code !== '' ? { value_code: clip(code, 64) } : {}),
      ...(system !== '' ? { value_system: clip(system, 32) } : {}),
      ...(deviceLabel !== '' ? { device_label: clip(deviceLabel, 64) } : {}),
    },
  }
}

/**
 * A coded MDC metric that is not a named vital (QT interval, NIBP pulse rate, an alert's value):
 * stored as name 'other' with its code, the device's label, the value and the unit. The unit is
 * UCUM when Neva can map OBX-6; otherwise it is kept as sent and flagged unit_unmapped, never
 * converted. No plausibility range: Neva knows nothing of the metric but its code.
 */
function otherMetric(obx: Hl7Segment, coding: Extract<ObxCoding, { kind: 'mdc' }>, ctx: ObxContext, label: string, flags: QualityFlag[]): ObxOutcome<ObservationDraft> {
  const where = `${ctx.where}: ${label}`
  if (coding.code === 0) {
    return { ignored: outcome(FirmwareErrorCode.NEVA_HL7V2_NOT_A_VITAL, `${where}: the reference id has no numeric code Neva knows (add it to firmware-adapters/src/codes/mdc-codes.json)`, obx) }
  }
  const type = obx.value(2).trim().toUpperCase()
  const value = readNumber(obx)
  if (typeof value === 'string') {
    // Text and coded states (ECG rhythm "MDC_ECG_SINUS_RHY", pacing mode) are kept as words.
    if (TEXT_TYPES.has(type)) return textMetric(obx, coding, ctx, where, type, flags)
    return { problem: outcome(value.startsWith('OBX-2') ? FirmwareErrorCode.NEVA_HL7V2_NOT_NUMERIC : FirmwareErrorCode.NEVA_HL7V2_BAD_NUMBER, `${where}: ${value}`, obx) }
  }
  if (!Number.isFinite(value)) return { problem: outcome(FirmwareErrorCode.NEVA_HL7V2_BAD_NUMBER, `${where}: ${value} is not a finite number`, obx) }
  const sent: SentUnit = { code: obx.value(6, 1).trim(), text: obx.value(6, 2).trim(), system: obx.value(6, 3).trim() }
  const asSent = describeUnit(sent)
  let unit = coding.metric?.ucum ?? ''
  if (asSent !== '') {
    const ucum = unitMeaning(sent)
    if (ucum !== undefined) unit = ucum
    else {
      unit = clip(asSent, 32)
      flags.push('unit_unmapped')
    }
  }
  let time = deviceTime(ctx.time, ctx.receivedTime, ctx.defaultUtcOffsetMinutes)
  if (time === 'suspect') flags.push('clock_suspect')
  if (typeof time !== 'number') time = ctx.receivedTime
  const deviceLabel = coding.name.trim() || coding.metric?.ref || ''
  return {
    ok: {
      device_id: ctx.deviceId, patient_id: ctx.patientId, source: 'hl7v2', mdc_code: coding.code, loinc: coding.metric?.loinc ?? '', name: OTHER_METRIC,
      value, unit, device_time: time, received_time: ctx.receivedTime, flags: [...new Set(flags)].slice(0, 8),
      ...(deviceLabel !== '' ? { device_label: clip(deviceLabel, 64) } : {}),
      ...(asSent !== '' ? { unit_as_sent: clip(asSent, 64) } : {}),
    },
  }
}
