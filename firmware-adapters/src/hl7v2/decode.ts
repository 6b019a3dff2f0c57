// Decodes an HL7 v2 ORU^R01 (IHE PCD-01 from monitors and device gateways, or a point-of-care lab
// analyzer's results) into observation and lab result drafts, and an ORU^R40 (IHE PCD-04 alerts)
// into alarm drafts, an ORU^R42 (IHE PCD-10 infusion events) into infusion event drafts, with the acknowledgement the sender should get. Pure: no I/O, no clock (the
// receive time is an argument); never throws.
import { Identifier } from '@neva/contracts'
import { createHash } from 'node:crypto'
import { screenIds } from '../ids.js'
import { FirmwareErrorCode, type DecodeProblem, type Hl7v2ErrorCode } from '../errors.js'
import type { AlarmDraft, Decoded, LabResultDraft, MessageKey, ObservationDraft, WaveformDraft } from '../decoded.js'
import { DEFAULT_LAB_CODES, type LabCodeTable } from '../lab-codes.js'
import { alarmFromGroup } from './alarm.js'
import { infusionFromGroup, type InfusionEventDraft } from './infusion.js'
import { obxCoding } from './coding.js'
import { hl7Unescape } from './escape.js'
import type { Hl7Message, Hl7Segment } from './message.js'
import { labFromObx, parseNm, vitalFromObx, type ObxOutcome } from './obx.js'
import { clip, parseHl7 } from './parse.js'
import { CTG_DEFAULT_RATE_HZ, ctgFromObx, ctgSpecOf, isSampleRateObx, sampleRateOf } from './ctg.js'
import { deviceTime } from './time.js'
import { isWaveAttribute, waveformFromObx } from './waveform.js'

export type Hl7AckCode = 'AA' | 'AE' | 'AR'

export interface Hl7DecodeOptions {
  /** Analyzer test codes → LOINC; default DEFAULT_LAB_CODES. */
  labCodes?: LabCodeTable
  /** The offset from UTC of times sent without one (the devices' zone); default 0. Fixed: no DST rules. */
  defaultUtcOffsetMinutes?: number
  maxMessageBytes?: number
  maxSegments?: number
  /** Device id when the message names none (no OBX-18, MSH-3 or MSH-4), e.g. from the peer address. */
  fallbackDeviceId?: string
}

/** PV1-3 (PL): where the patient is. Only the components the message filled. */
export interface Hl7Location {
  pointOfCare?: string
  room?: string
  bed?: string
  facility?: string
}

export interface Hl7AckDecision {
  code: Hl7AckCode
  /** Why, for MSA-3/ERR-8; absent on AA. */
  text?: string
  /** The catalog code behind an AE/AR (HL7V2_ERRORS), for ERR-3. */
  error?: string
}

export interface DecodedHl7 extends Decoded {
  source: 'hl7v2'
  observations: ObservationDraft[]
  labResults: LabResultDraft[]
  alarms: AlarmDraft[]
  infusionEvents: InfusionEventDraft[]
  /** Waveforms: a fetal monitor's CTG arrays (ctg.ts), ECG leads sent as NA (waveform.ts). */
  waveforms: WaveformDraft[]
  ignored: DecodeProblem[]
  /** The parsed message (for buildAck); absent when the input was not an HL7 message. */
  message?: Hl7Message
  /** MSH-9 as "ORU^R01". */
  messageType?: string
  /** MSH-10, which the ACK echoes. */
  controlId?: string
  location?: Hl7Location
  ack: Hl7AckDecision
}

/** Identifier pattern of contracts (device and patient ids). */
const IDENTIFIER = new RegExp(Identifier.pattern!)

export function decodeHl7(input: Uint8Array | string, receivedTime: number, options: Hl7DecodeOptions = {}): DecodedHl7 {
  const parsed = parseHl7(input, { maxBytes: options.maxMessageBytes, maxSegments: options.maxSegments })
  const out: DecodedHl7 = { source: 'hl7v2', observations: [], labResults: [], waveforms: [], alarms: [], infusionEvents: [], problems: parsed.problems, ignored: [], ack: { code: 'AA' } }
  const msg = parsed.message
  if (options.fallbackDeviceId) out.deviceId = sanitizeId(options.fallbackDeviceId)
  if (!msg) return refused(out)
  out.message = msg
  const msh = msg.header
  const type = msh.value(9, 1).trim()
  const trigger = msh.value(9, 2).trim()
  out.messageType = trigger ? `${type}^${trigger}` : type
  out.controlId = msh.value(10)
  out.deviceId = deviceIdOf(msg, options.fallbackDeviceId)
  const offset = options.defaultUtcOffsetMinutes ?? 0
  const refuse = (code: Hl7v2ErrorCode, reason: string) => refuseWhole(out, code, reason, receivedTime, offset)
  // HL7 v2 ch. 4 order messages (ORM^O01, OML^O21/O33/O35, OMG, OMI…): a device or middleware on
  // this listener must not create orders (they come from the core), so they are refused by name.
  if (type === 'ORM' || /^OM[A-Z]$/.test(type)) return refuse(FirmwareErrorCode.NEVA_HL7V2_ORDER_FROM_DEVICE, `${out.messageType} is an order: this gateway takes no orders from devices or middleware (orders are placed at the core by the hospital system or a clinician), so nothing was ordered`)
  if (type !== 'ORU' || (trigger !== 'R01' && trigger !== 'R40' && trigger !== 'R42')) return refuse(FirmwareErrorCode.NEVA_HL7V2_UNSUPPORTED_MESSAGE, unsupported(type, trigger))
  const pid = msg.segment('PID')
  // PID-3 (patient identifier list), first repetition; v2.3/2.4 senders may fill only PID-2.
  const patient = pid ? (pid.value(3, 1, 1).trim() || pid.value(2, 1, 1).trim()) : ''
  const location = locationOf(msg.segment('PV1'))
  if (location) out.location = location
  if (trigger === 'R40') return decodeAlerts(out, msg, patient, receivedTime, offset)
  if (trigger === 'R42') return decodeInfusions(out, msg, patient, receivedTime, offset)
  if (patient !== '') out.patientId = patient

  const labCodes = options.labCodes ?? DEFAULT_LAB_CODES
  let needsPatient = false
  let obxCount = 0
  let obr: Hl7Segment | undefined
  /** OBX-14 of device entries in the current OBR group, by OBX-4 without trailing ".0"s. */
  let inherited = new Map<string, string>()
  let lastLab: LabResultDraft | undefined
  /** The CTG arrays' rate in this OBR group (a SAMPLE_RATE OBX sets it). */
  let ctgRate = CTG_DEFAULT_RATE_HZ
  /** OBX-4 paths of the waveforms (NA) seen, whose attribute OBX follow them. */
  const waves: string[] = []
  const obxs = msg.segments.filter((s) => s.name === 'OBX')
  /** Device times the message itself gave (not receive times standing in for them), for the key. */
  const sentTimes: number[] = []
  for (const seg of msg.segments) {
    if (seg.name === 'OBR') {
      obr = seg
      inherited = new Map()
      lastLab = undefined
      ctgRate = CTG_DEFAULT_RATE_HZ
    } else if (seg.name === 'NTE' && lastLab) {
      // NTE after an OBX comments that result (HL7 v2.6 §7.3.1 ORU_R01 structure).
      if (lastLab.comments.length < 16) lastLab.comments.push(clip(seg.repetitions(3).map((r) => hl7Unescape(r, seg.encoding)).join('\n'), 1024))
    } else if (seg.name === 'OBX') {
      obxCount++
      lastLab = undefined
      const setId = seg.value(1).trim()
      const where = `OBX ${setId || `#${obxCount}`}`
      const subId = seg.value(4).trim()
      const own = seg.value(14).trim()
      const ancestor = inheritedTime(inherited, subId)
      if (own !== '' && subId !== '') inherited.set(trimZeros(subId), own)
      const time = own || ancestor || obr?.value(7).trim() || msh.value(7).trim()
      const wave = waves.find((p) => isWaveAttribute(seg, p))
      if (wave !== undefined) {
        out.ignored.push({ code: FirmwareErrorCode.NEVA_HL7V2_DEVICE_ENTRY, reason: `${where}: ${seg.value(3, 2).trim()} is an attribute of the waveform at OBX-4 ${wave}, not a reading`, payload: clip(seg.toString(), 4096), offset: seg.offset })
        continue
      }
      if (isSampleRateObx(seg)) {
        const hz = sampleRateOf(seg)
        if (hz === undefined) out.problems.push({ code: FirmwareErrorCode.NEVA_CTG_BAD_RATE, reason: `${where}: sample rate "${clip(seg.value(5), 32)}" is not a whole number of Hz in 1–1000`, payload: clip(seg.toString(), 4096), offset: seg.offset })
        else ctgRate = hz
        continue
      }
      const ctg = ctgSpecOf(seg)
      if (ctg) {
        needsPatient = true
        const r = ctgFromObx(seg, ctg, { where, time, receivedTime, defaultUtcOffsetMinutes: offset, deviceId: out.deviceId!, patientId: patient, rateHz: ctgRate })
        if (r.draft) {
          out.waveforms.push(r.draft)
          const t = deviceTime(time, receivedTime, offset)
          if (typeof t === 'number') sentTimes.push(t)
        }
        if (r.problem) out.problems.push(r.problem)
        if (r.ignored) out.ignored.push(r.ignored)
        continue
      }
      const valueType = seg.value(2).trim().toUpperCase()
      if ((valueType === 'NA' || valueType === 'MA') && seg.field(5).trim() !== '') {
        // A waveform (HL7 v2 §7.16; IHE PCD WCM): its samples, not readings.
        needsPatient = true
        waves.push(subId)
        const t = deviceTime(time, receivedTime, offset)
        const w = waveformFromObx(seg, { where, deviceId: out.deviceId!, patientId: patient, startTime: typeof t === 'number' ? t : receivedTime, receivedTime, siblings: obxs })
        if ('ok' in w) out.waveforms.push(...w.ok)
        else out.problems.push(w.problem)
        if (typeof t === 'number') sentTimes.push(t)
        continue
      }
      const coding = obxCoding(seg, labCodes)
      const base = { where, receivedTime, defaultUtcOffsetMinutes: offset, deviceId: out.deviceId! }
      let result: ObxOutcome<ObservationDraft | LabResultDraft>
      if (coding.kind === 'lab') {
        const orderId = obr ? (obr.value(3).trim() || obr.value(2).trim()) : ''
        result = labFromObx(seg, coding, { ...base, time, resultTime: own || ancestor || obr?.value(7).trim() || '', patientId: patient === '' ? null : clip(patient, 128), orderId: orderId === '' ? null : clip(orderId, 128) })
        if ('ok' in result) {
          out.labResults.push((lastLab = result.ok as LabResultDraft))
          if (lastLab.result_time !== null) sentTimes.push(lastLab.result_time)
        }
      } else {
        needsPatient = true
        result = vitalFromObx(seg, coding, { ...base, time, patientId: patient })
        if ('ok' in result) {
          out.observations.push(result.ok as ObservationDraft)
          const t = deviceTime(time, receivedTime, offset)
          if (typeof t === 'number') sentTimes.push(t)
        }
      }
      if ('problem' in result) out.problems.push(result.problem)
      if ('ignored' in result) out.ignored.push(result.ignored)
    }
  }
  if (needsPatient && patient === '') {
    return refuse(FirmwareErrorCode.NEVA_HL7V2_NO_PATIENT, `${out.messageType} from ${out.deviceId} has ${obxCount} OBX from a device but no patient (${pid ? 'PID-3 is empty' : 'no PID segment'}): readings without a patient cannot be charted`)
  }
  if (needsPatient && (!IDENTIFIER.test(patient) || patient.length > 128)) {
    return refuse(FirmwareErrorCode.NEVA_HL7V2_BAD_PATIENT_ID, `PID-3 (${patient.length} characters) is not a patient id Neva accepts (letters, digits and . _ : / - only, at most 128)`)
  }
  const key = keyOf(out, msh, sentTimes, receivedTime, offset)
  if (key) out.key = key
  return decided(out)
}

/**
 * ORU^R40 (IHE PCD-04): each OBR opens one alert, its OBX describe it. An alert is kept without a
 * patient (a pump or a sensor alarm still needs a nurse); a patient id Neva cannot accept is left
 * out of the alarm, and said so, rather than losing the alarm.
 */
function decodeAlerts(out: DecodedHl7, msg: Hl7Message, patient: string, receivedTime: number, offset: number): DecodedHl7 {
  const msh = msg.header
  let patientId: string | null = null
  if (patient !== '') {
    if (IDENTIFIER.test(patient) && patient.length <= 128) {
      patientId = patient
      out.patientId = patient
    } else {
      out.problems.push({ code: FirmwareErrorCode.NEVA_HL7V2_BAD_PATIENT_ID, reason: `PID-3 (${patient.length} characters) is not a patient id Neva accepts (letters, digits and . _ : / - only, at most 128): the alarm is kept without it`, payload: clip(msg.segment('PID')?.toString() ?? '', 4096), offset: msg.segment('PID')?.offset ?? 0 })
    }
  }
  const loc = out.location ?? {}
  const groups: { obr: Hl7Segment | undefined; obxs: Hl7Segment[] }[] = []
  for (const seg of msg.segments) {
    if (seg.name === 'OBR') groups.push({ obr: seg, obxs: [] })
    else if (seg.name === 'OBX') {
      if (groups.length === 0) groups.push({ obr: undefined, obxs: [] })
      groups.at(-1)!.obxs.push(seg)
    }
  }
  const sentTimes: number[] = []
  groups.forEach(({ obr, obxs }, i) => {
    const result = alarmFromGroup(obr, obxs, {
      where: `OBR ${obr?.value(1).trim() || `#${i + 1}`}`, deviceId: out.deviceId!, patientId,
      ward: clipOrNull(loc.pointOfCare, 128), room: clipOrNull(loc.room, 64), bed: clipOrNull(loc.bed, 64), facility: clipOrNull(loc.facility, 128),
      time: obr?.value(7).trim() || msh.value(7).trim(), receivedTime, defaultUtcOffsetMinutes: offset,
    })
    if ('ok' in result) {
      out.alarms.push(result.ok)
      if (result.sentTime !== null) sentTimes.push(result.sentTime)
    } else if ('problem' in result) out.problems.push(result.problem)
    else out.ignored.push(result.ignored)
    // A watchdog heartbeat is no alarm, but its numbers (the period) are still readings.
    const heartbeat = 'ignored' in result && result.ignored.code === FirmwareErrorCode.NEVA_HL7V2_ALARM_HEARTBEAT
    if (heartbeat) {
      const period = watchdogPeriodMs(obxs)
      if (period !== undefined) out.heartbeatMs = period
    }
    if ('ok' in result || heartbeat) alertReadings(out, obxs, 'ok' in result ? result.ok : null, { receivedTime, offset, patientId, time: obr?.value(7).trim() || msh.value(7).trim() })
  })
  if (groups.length === 0) {
    out.problems.push({ code: FirmwareErrorCode.NEVA_HL7V2_NO_ALARM_EVENT, reason: 'ORU^R40 has no OBR or OBX: it reports no alert', payload: clip(msg.text), offset: 0 })
  }
  const key = keyOf(out, msh, sentTimes, receivedTime, offset)
  if (key) out.key = key
  return decided(out)
}

/**
 * The ACM watchdog's MDC_ATTR_CONFIRM_TIMEOUT: the reporter promises its next heartbeat within
 * it (seconds unless OBX-6 says ms). Undefined when absent or not a positive number.
 */
function watchdogPeriodMs(obxs: readonly Hl7Segment[]): number | undefined {
  const obx = obxs.find((o) => o.value(3, 2).trim() === 'MDC_ATTR_CONFIRM_TIMEOUT' || o.value(3, 1).trim() === '67860')
  const n = obx ? parseNm(obx.value(5)) : undefined
  if (obx === undefined || n === undefined || !(n > 0)) return undefined
  const ms = /MILLI_SEC|^ms$|264338/.test(obx.field(6)) ? n : n * 1000
  return ms <= 24 * 3600_000 ? Math.round(ms) : undefined
}

// An alert's own text attributes (phase, state, priority) are the alarm's fields, not readings;
// what a pump's event does not carry is kept whatever its type.
const MDC_ATTR_LIMIT_CURR = 67892
const NUMERIC_TYPES: ReadonlySet<string> = new Set(['NM', 'SN'])
const ANY_TYPE: ReadonlySet<string> = new Set(['NM', 'SN', 'ST', 'TX', 'FT', 'CWE', 'CE', 'CNE'])

/**
 * The numbers an alert carries besides the measurement that raised it (stored with the alarm):
 * a Dräger alert source, a watchdog period… kept as coded observations when the alert names a
 * patient, so that no number a device sends is lost. Also the numbers of a pump's infusion event
 * that the event does not carry.
 */
function alertReadings(out: DecodedHl7, obxs: readonly Hl7Segment[], alarm: AlarmDraft | null, at: { receivedTime: number; offset: number; patientId: string | null; time: string }, types: ReadonlySet<string> = NUMERIC_TYPES): void {
  for (const obx of obxs) {
    const type = obx.value(2).trim().toUpperCase()
    if (!types.has(type)) continue
    const coding = obxCoding(obx, DEFAULT_LAB_CODES)
    if (coding.kind === 'lab') continue
    if (alarm && coding.kind === 'mdc' && coding.code === alarm.source_code) continue
    // The alert's limits (MDC_ATTR_LIMIT_CURR) are the alarm's, whatever type they came in.
    if (alarm && coding.kind === 'mdc' && coding.code === MDC_ATTR_LIMIT_CURR) continue
    const where = `OBX ${obx.value(1).trim() || '?'}`
    if (at.patientId === null) {
      out.ignored.push({ code: FirmwareErrorCode.NEVA_HL7V2_NO_PATIENT, reason: `${where}: a number in an alert without a patient is not kept as a reading`, payload: clip(obx.toString(), 4096), offset: obx.offset })
      continue
    }
    const result = vitalFromObx(obx, coding, { where, time: obx.value(14).trim() || at.time, receivedTime: at.receivedTime, defaultUtcOffsetMinutes: at.offset, deviceId: out.deviceId!, patientId: at.patientId })
    if ('ok' in result) out.observations.push(result.ok)
    else if ('problem' in result) out.problems.push(result.problem)
    else out.ignored.push(result.ignored)
  }
}

/**
 * ORU^R42 (IHE PCD-10): each OBR opens one infusion event. Like an alarm, an infusion is kept
 * without a patient Neva accepts (the pump still runs), and said so.
 */
function decodeInfusions(out: DecodedHl7, msg: Hl7Message, patient: string, receivedTime: number, offset: number): DecodedHl7 {
  const msh = msg.header
  let patientId: string | null = null
  if (patient !== '') {
    if (IDENTIFIER.test(patient) && patient.length <= 128) {
      patientId = patient
      out.patientId = patient
    } else {
      out.problems.push({ code: FirmwareErrorCode.NEVA_HL7V2_BAD_PATIENT_ID, reason: `PID-3 (${patient.length} characters) is not a patient id Neva accepts (letters, digits and . _ : / - only, at most 128): the infusion event is kept without it`, payload: clip(msg.segment('PID')?.toString() ?? '', 4096), offset: msg.segment('PID')?.offset ?? 0 })
    }
  }
  const loc = out.location ?? {}
  const groups: { obr: Hl7Segment | undefined; obxs: Hl7Segment[] }[] = []
  for (const seg of msg.segments) {
    if (seg.name === 'OBR') groups.push({ obr: seg, obxs: [] })
    else if (seg.name === 'OBX') {
      if (groups.length === 0) groups.push({ obr: undefined, obxs: [] })
      groups.at(-1)!.obxs.push(seg)
    }
  }
  const sentTimes: number[] = []
  groups.forEach(({ obr, obxs }, i) => {
    const result = infusionFromGroup(obr, obxs, {
      where: `OBR ${obr?.value(1).trim() || `#${i + 1}`}`, deviceId: out.deviceId!, patientId, controlId: out.controlId ?? '',
      ward: clipOrNull(loc.pointOfCare, 128), room: clipOrNull(loc.room, 64), bed: clipOrNull(loc.bed, 64), facility: clipOrNull(loc.facility, 128),
      time: obr?.value(7).trim() || msh.value(7).trim(), receivedTime, defaultUtcOffsetMinutes: offset,
    })
    if ('ok' in result) {
      out.infusionEvents.push(result.ok)
      if (result.sentTime !== null) sentTimes.push(result.sentTime)
      alertReadings(out, result.others, null, { receivedTime, offset, patientId, time: obr?.value(7).trim() || msh.value(7).trim() }, ANY_TYPE)
    } else out.problems.push(result.problem)
  })
  if (groups.length === 0) {
    out.problems.push({ code: FirmwareErrorCode.NEVA_HL7V2_NO_INFUSION_DATA, reason: 'ORU^R42 has no OBR or OBX: it reports no infusion', payload: clip(msg.text), offset: 0 })
  }
  const key = keyOf(out, msh, sentTimes, receivedTime, offset)
  if (key) out.key = key
  return decided(out)
}

const clipOrNull = (s: string | undefined, n: number) => (s === undefined || s === '' ? null : clip(s, n))

/** AA, AE when some of it was refused and the rest stored, AR when nothing could be stored. */
function decided(decoded: DecodedHl7): DecodedHl7 {
  // A lab result or reading whose ids break the contracts' rule is kept aside (NEVA_DECODE_BAD_ID).
  const out = screenIds(decoded)
  const stored = out.observations.length + out.labResults.length + out.waveforms.length + out.alarms.length + out.infusionEvents.length
  const first = out.problems[0]
  if (!first) out.ack = { code: 'AA' }
  else if (stored === 0) out.ack = { code: 'AR', text: first.reason, error: first.code }
  else out.ack = { code: 'AE', text: `${out.problems.length} refused, ${stored} stored: ${first.reason}`, error: first.code }
  return out
}

function refused(out: DecodedHl7): DecodedHl7 {
  const first = out.problems[0]
  out.ack = { code: 'AR', text: first?.reason ?? 'not an HL7 message', ...(first ? { error: first.code } : {}) }
  return out
}

/** The whole message is refused: nothing is stored, the message itself is kept aside. */
function refuseWhole(out: DecodedHl7, code: Hl7v2ErrorCode, reason: string, receivedTime: number, offset: number): DecodedHl7 {
  out.observations = []
  out.labResults = []
  out.waveforms = []
  out.alarms = []
  out.infusionEvents = []
  out.ignored = []
  delete out.patientId
  out.problems = [{ code, reason, payload: clip(out.message?.text ?? ''), offset: 0 }]
  const key = out.message ? keyOf(out, out.message.header, [], receivedTime, offset) : undefined
  if (key) out.key = key
  out.ack = { code: 'AR', text: reason, error: code }
  return out
}

function unsupported(type: string, trigger: string): string {
  const what = `${type}${trigger ? `^${trigger}` : ''}`
  const known: Record<string, string> = {
    // PCD-10 reports infusion pump events (delivery started, stopped, program changed), not alarms.
    'ORA^R41': ' (IHE PCD-05 alarm status)', 'ACK': ' (an acknowledgement)',
  }
  const note = known[what] ?? (type === 'ADT' ? ' (patient administration)' : '')
  return `${what || 'a message without MSH-9'}${note} is not stored by this gateway; it reads ORU^R01, ORU^R40 and ORU^R42`
}

const trimZeros = (subId: string) => subId.replace(/(\.0)+$/, '')

/** OBX-14 of the nearest device entry above this OBX (IHE PCD TF-2 B.8.5 OBX-14 inheritance). */
function inheritedTime(times: Map<string, string>, subId: string): string {
  const parts = subId.split('.')
  for (let n = parts.length - 1; n > 0; n--) {
    const t = times.get(parts.slice(0, n).join('.'))
    if (t) return t
  }
  return ''
}

/**
 * The device: OBX-18 (equipment instance identifier) of the first OBX naming one, else MSH-3
 * (sending application), else MSH-4 (facility). Characters an Identifier does not allow are
 * replaced by "_" (an EUI-64 or a UUID passes unchanged; a name with spaces does not).
 */
function deviceIdOf(msg: Hl7Message, fallback: string | undefined): string {
  for (const obx of msg.all('OBX')) {
    const id = obx.value(18, 1).trim()
    if (id !== '') return sanitizeId(id)
  }
  const msh = msg.header
  const sent = msh.value(3, 1).trim() || msh.value(4, 1).trim() || fallback || 'hl7-unknown-sender'
  return sanitizeId(sent)
}

export function sanitizeId(id: string): string {
  const s = id.replace(/[^A-Za-z0-9._:/-]/g, '_').slice(0, 128)
  return s === '' ? '_' : s
}

function locationOf(pv1: Hl7Segment | undefined): Hl7Location | undefined {
  if (!pv1) return undefined
  const loc: Hl7Location = {}
  const put = (k: keyof Hl7Location, v: string) => { if (v.trim() !== '') loc[k] = v.trim() }
  put('pointOfCare', pv1.value(3, 1))
  put('room', pv1.value(3, 2))
  put('bed', pv1.value(3, 3))
  put('facility', pv1.value(3, 4, 1, 1))
  return Object.keys(loc).length > 0 ? loc : undefined
}

/**
 * The message's identity: a sender that lost our ACK resends the same message with the same MSH-10
 * (HL7 v2.6 §2.10.1). MSH-7 joins MSH-3, MSH-4 and MSH-10 in the hash because analyzers exist that
 * send control id "0" in every message (the PixCell HemoScreen does). The time is the earliest
 * device time the gateway believes, else MSH-7: never the receive time, which a resend changes.
 */
function keyOf(out: DecodedHl7, msh: Hl7Segment, sentTimes: readonly number[], receivedTime: number, offset: number): MessageKey | undefined {
  if (!out.controlId) return undefined
  let time = Infinity
  for (const t of sentTimes) time = Math.min(time, t)
  if (time === Infinity) {
    const t = deviceTime(msh.value(7), receivedTime, offset)
    if (typeof t !== 'number') return undefined
    time = t
  }
  const identity = [3, 4, 7, 10].map((n) => msh.field(n)).join('|')
  return { device: out.deviceId!, time, hash: createHash('sha256').update(identity).digest('base64url').slice(0, 22) }
}
