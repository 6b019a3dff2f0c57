// Decodes an MQTT vitals message (contracts/vitals-message.ts) into observation drafts.
// Pure: no I/O, no clock (the receive time is an argument).
import {
  ACVPU,
  VITALS,
  VITALS_TOPIC_PREFIX,
  VitalsMessage,
  VitalsReading,
  isVitalName,
  normalizeMdc,
  OTHER_METRIC,
  validator,
  vitalByMdc,
  type Observation,
  type QualityFlag,
  type VitalDefinition,
} from '@neva/contracts'
import { messageHash } from '../message-hash.js'
import { defaultCodeTable } from '../codes/code-table.js'
import { FirmwareErrorCode, type DecodeProblem } from '../errors.js'
import { unitMeaning } from '../hl7v2/units.js'
import type { Decoded, MessageKey, ObservationDraft } from '../decoded.js'

export type { MessageKey, ObservationDraft } from '../decoded.js'

/**
 * An MQTT vitals message decoded. `key` is set when the device stamped every reading: a device
 * that resends a message whose acknowledgement it lost sends the same bytes.
 */
export interface DecodedVitals extends Decoded {
  source: 'mqtt'
}

const messageValidator = validator(VitalsMessage)
const readingValidator = validator(VitalsReading)
const DEVICE_ID = /^[A-Za-z0-9._:-]{1,128}$/
/** Stateless with fatal and without stream: safe to share. */
const UTF8 = new TextDecoder('utf-8', { fatal: true })
const MAX_FUTURE_MS = 24 * 3600_000
const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1)

/** Returns the device id of a vitals topic, null for another neva/ topic, undefined otherwise. */
export function parseVitalsTopic(topic: string): string | null | undefined {
  if (!topic.startsWith('neva/')) return undefined
  if (!topic.startsWith(VITALS_TOPIC_PREFIX) || !topic.endsWith('/vitals')) return null
  const id = topic.slice(VITALS_TOPIC_PREFIX.length, -'/vitals'.length)
  return DEVICE_ID.test(id) ? id : null
}

const truncate = (s: string, n = 65536) => (s.length > n ? s.slice(0, n) : s)
const rawText = (payload: Uint8Array) => truncate(Buffer.from(payload).toString('utf8'))

// Module-level, not closures made per message or per reading: the loader (tsx, keepNames) wraps
// every named closure it creates in a call that names it, which showed in profiles of a busy connection.

export function decodeVitalsMessage(topic: string, payload: Uint8Array, receivedTime: number): DecodedVitals {
  const deviceId = parseVitalsTopic(topic)
  if (deviceId === undefined) return { source: 'mqtt', observations: [], problems: [] }
  if (deviceId === null) {
    return { source: 'mqtt', observations: [], problems: [{ code: FirmwareErrorCode.NEVA_DECODE_UNKNOWN_TOPIC, reason: `topic ${JSON.stringify(topic.slice(0, 256))}: expected neva/v1/devices/{device_id}/vitals`, payload: rawText(payload) }] }
  }
  let message: unknown
  try {
    message = JSON.parse(UTF8.decode(payload))
  } catch (err) {
    return { source: 'mqtt', deviceId, observations: [], problems: [{ code: FirmwareErrorCode.NEVA_DECODE_INVALID_JSON, reason: (err as Error).message, payload: rawText(payload) }] }
  }
  if (!messageValidator.check(message)) {
    return { source: 'mqtt', deviceId, observations: [], problems: [{ code: FirmwareErrorCode.NEVA_DECODE_SCHEMA, reason: messageValidator.explain(message)!, payload: rawText(payload) }] }
  }
  if (message.device_id !== undefined && message.device_id !== deviceId) {
    // A tablet must not speak for another ambulance by naming it inside a message on its own topic.
    return { source: 'mqtt', deviceId, patientId: message.patient_id, observations: [], problems: [{ code: FirmwareErrorCode.NEVA_DECODE_DEVICE_MISMATCH, reason: `device_id differs from the topic's device id`, payload: rawText(payload) }] }
  }
  const out: DecodedVitals = { source: 'mqtt', deviceId, patientId: message.patient_id, observations: [], problems: [] }
  if (message.spo2_scale) out.spo2Scale = message.spo2_scale
  let allStamped = true
  const readings = message.readings
  for (let i = 0; i < readings.length; i++) {
    const result = decodeReading(readings[i], i)
    if ('code' in result) {
      out.problems.push(result)
      continue
    }
    const { value, text } = result
    // Most readings carry no flags: no Set for them.
    const flags = result.flags.length === 0 ? [] : [...new Set(result.flags)]
    const stamped = result.time ?? message.time
    let deviceTime = stamped ?? receivedTime
    if (stamped === undefined) allStamped = false
    if (deviceTime < MIN_PLAUSIBLE_MS || deviceTime > receivedTime + MAX_FUTURE_MS) {
      // A wrong device clock must not lose the reading nor create partitions in 1970.
      deviceTime = receivedTime
      allStamped = false
      if (!flags.includes('clock_suspect')) flags.push('clock_suspect')
    }
    // Built field by field, in the order the drafts always had, without a spread object per part.
    const observation = { device_id: deviceId, patient_id: message.patient_id, source: 'mqtt', ...result.coded } as ObservationDraft
    if (value !== undefined) observation.value = value
    if (text !== undefined) Object.assign(observation, text)
    observation.device_time = deviceTime
    observation.received_time = receivedTime
    observation.flags = flags
    out.observations.push(observation)
  }
  if (allStamped && out.observations.length > 0) {
    let time = Infinity
    for (const o of out.observations) time = Math.min(time, o.device_time)
    out.key = { device: deviceId, time, hash: messageHash(payload) }
  }
  return out
}

type Coded = Pick<ObservationDraft, 'mdc_code' | 'loinc' | 'name' | 'unit'> & Partial<Pick<ObservationDraft, 'device_label' | 'unit_as_sent'>>
type TextValue = Partial<Pick<ObservationDraft, 'value_text' | 'value_code' | 'value_system'>>
type ReadingResult = { coded: Coded; value?: number; text?: TextValue; flags: QualityFlag[]; time: number | undefined } | DecodeProblem

/** A text or coded value of an MDC code (never a named vital's): its words, code and system. */
function textValue(value: string | { code: string; system?: string; text?: string }): TextValue | string {
  if (typeof value === 'string') {
    const words = value.trim()
    return words === '' ? 'a text value is empty' : { value_text: words }
  }
  const code = value.code.trim()
  const system = value.system?.trim() ?? ''
  const words = value.text?.trim() || code
  if (code === '') return 'a coded value has an empty code'
  return { value_text: words, value_code: code, ...(system !== '' ? { value_system: system } : {}) }
}

/**
 * Any other MDC code (the convention accepts every code): stored as name 'other' by its code,
 * with the code table's LOINC and label; the unit is UCUM when Neva can map it, else kept as sent
 * and flagged unit_unmapped. No plausibility range: Neva knows only the code.
 */
function otherMetric(reading: VitalsReading, index: number): ReadingResult {
  const code = normalizeMdc(reading.mdc!)
  const metric = defaultCodeTable().metricByCode.get(code)
  const label = metric ? { device_label: metric.ref } : {}
  if (typeof reading.value !== 'number') {
    // A state (ECG rhythm, pacing mode): words, no number, no unit.
    if (reading.unit !== undefined && reading.unit !== '') return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_SCHEMA, `.unit: a text or coded value of MDC code ${code} has no unit, got ${JSON.stringify(reading.unit)}`)
    const text = textValue(reading.value)
    if (typeof text === 'string') return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_SCHEMA, `.value: MDC code ${code}: ${text}`)
    return { coded: { mdc_code: code, loinc: metric?.loinc ?? '', name: OTHER_METRIC, unit: '', ...label }, text, flags: [...(reading.flags ?? [])], time: reading.time }
  }
  if (!Number.isFinite(reading.value)) return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_SCHEMA, `.value: MDC code ${code} needs a finite number, got ${JSON.stringify(reading.value)}`)
  const flags = [...(reading.flags ?? [])]
  let unit = metric?.ucum ?? ''
  if (reading.unit !== undefined && reading.unit !== '') {
    const ucum = unitMeaning({ code: reading.unit, text: '', system: '' })
    if (ucum !== undefined) unit = ucum
    else {
      unit = reading.unit
      flags.push('unit_unmapped')
    }
  }
  const coded: Coded = { mdc_code: code, loinc: metric?.loinc ?? '', name: OTHER_METRIC, unit, ...(metric ? { device_label: metric.ref } : {}), ...(reading.unit ? { unit_as_sent: reading.unit } : {}) }
  return { coded, value: reading.value, flags: flags.slice(0, 8), time: reading.time }
}

/** A refused reading: its place and text are built only here, never for the good ones. */
function refused(reading: unknown, index: number, code: DecodeProblem['code'], reason: string): DecodeProblem {
  return { code, reason: `readings[${index}]${reason}`, payload: truncate(JSON.stringify(reading) ?? 'undefined', 4096) }
}

function decodeReading(reading: unknown, index: number): ReadingResult {
    if (!readingValidator.check(reading)) return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_SCHEMA, readingValidator.explain(reading)!)
  if ((reading.vital === undefined) === (reading.mdc === undefined)) {
    return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_SCHEMA, ': name the parameter with exactly one of "vital" or "mdc"')
  }
  let def: VitalDefinition | undefined
  if (reading.vital !== undefined) def = isVitalName(reading.vital) ? VITALS[reading.vital] : undefined
  else def = vitalByMdc(reading.mdc!)
  if (!def && reading.mdc !== undefined) return otherMetric(reading, index)
  if (!def) return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_UNKNOWN_CODE, `: vital ${JSON.stringify(reading.vital)} is not in the code table`)
  if (reading.unit !== undefined && reading.unit !== def.unit) {
    return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_UNIT_MISMATCH, `.unit: ${def.name} is in ${JSON.stringify(def.unit)}, got ${JSON.stringify(reading.unit)}`)
  }
  let value: number
  if (typeof reading.value === 'object') {
    return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_SCHEMA, `.value: ${def.name} needs a number, got a coded value`)
  } else if (typeof reading.value === 'string') {
    const level = def.name === 'consciousness' ? ACVPU.indexOf(reading.value as (typeof ACVPU)[number]) : -1
    if (level < 0) {
      return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_SCHEMA, `.value: ${def.name} needs a number${def.name === 'consciousness' ? ' or one of A, C, V, P, U' : ''}, got ${JSON.stringify(reading.value)}`)
    }
    value = level
  } else {
    value = reading.value
  }
  if (!Number.isFinite(value) || value < def.min || value > def.max || (def.ordinal && !Number.isInteger(value))) {
    return refused(reading, index, FirmwareErrorCode.NEVA_DECODE_IMPLAUSIBLE_VALUE, `.value: ${value} ${def.unit} is outside ${def.min}–${def.max} for ${def.name}`)
  }
  return { coded: { mdc_code: def.mdc, loinc: def.loinc, name: def.name, unit: def.unit }, value, flags: reading.flags ?? [], time: reading.time }
}
