// One IHE PCD-04 alert (an OBR group of an ORU^R40, IHE PCD TF-2 §3.4 and Appendix B) → an alarm
// draft. The OBX of an alert are told apart by what OBX-3 names (MDC_ATTR_EVENT_PHASE…), and by the
// facet IHE appends to OBX-4 (.1 event identification, .2 source, .3 phase, .4 state,
// .5 inactivation state, .6 priority, .7 alert type) when a device codes the attribute oddly.
import { ALARM_PRIORITY_CODES, ALARM_TYPE_CODES, MAX_ALARM_ID, alarmStateOf, isAlarmId, vitalByMdc, type AlarmPriority, type AlarmType } from '@neva/contracts'
import { createHash } from 'node:crypto'
import { FirmwareErrorCode, type DecodeProblem, type Hl7v2ErrorCode } from '../errors.js'
import type { AlarmDraft } from '../decoded.js'
import { hl7Unescape } from './escape.js'
import type { Hl7Segment } from './message.js'
import { parseNm } from './obx.js'
import { clip } from './parse.js'
import { deviceTime } from './time.js'
import { unitMeaning } from './units.js'

/** MDC_ATTR_* of an alert, by reference id and by code (IEEE 11073-10101 partition 1). */
const ATTRIBUTES = {
  source: ['MDC_ATTR_ALERT_SOURCE', 68480],
  phase: ['MDC_ATTR_EVENT_PHASE', 68481],
  state: ['MDC_ATTR_ALARM_STATE', 68482],
  inactivation: ['MDC_ATTR_ALARM_INACTIVATION_STATE', 68483],
  priority: ['MDC_ATTR_ALARM_PRIORITY', 68484],
  type: ['MDC_ATTR_ALERT_TYPE', 68485],
  text: ['MDC_ATTR_ALERT_TEXT', 68546],
  // The watchdog's period: named so that it is never mistaken for the alarm's source measurement.
  timeout: ['MDC_ATTR_CONFIRM_TIMEOUT', 67860],
  // The limits in force (IEEE 11073-10201 Current-Limits), sent as their own OBX of the alert.
  limits: ['MDC_ATTR_LIMIT_CURR', 67892],
} as const
type Attribute = keyof typeof ATTRIBUTES
const FACETS: Readonly<Record<string, Attribute | 'event'>> = { 1: 'event', 2: 'source', 3: 'phase', 4: 'state', 5: 'inactivation', 6: 'priority', 7: 'type' }

/** MDC_EVT_ALARM: a generic alert whose OBX-5 (CWE) names the actual event. */
const MDC_EVT_ALARM = 196616
/** MDC_EVT_ACTIVE: the ACM watchdog heartbeat ("the alert reporter is alive"), not an alarm. */
const MDC_EVT_ACTIVE = 196614

export interface AlarmContext {
  /** "OBR 1": how problems name the group. */
  where: string
  deviceId: string
  patientId: string | null
  ward: string | null
  room: string | null
  bed: string | null
  facility: string | null
  /** OBR-7, else MSH-7: the alert's time when its event OBX has no OBX-14. */
  time: string
  receivedTime: number
  defaultUtcOffsetMinutes: number
}

export type AlarmOutcome = { ok: AlarmDraft; sentTime: number | null } | { problem: DecodeProblem } | { ignored: DecodeProblem }

const code = (obx: Hl7Segment) => obx.value(3, 1).trim()
const name = (obx: Hl7Segment) => obx.value(3, 2).trim()
const text = (obx: Hl7Segment) => hl7Unescape(obx.repetitions(5)[0] ?? '', obx.encoding).trim()
const orNull = (s: string, max: number) => (s === '' ? null : clip(s, max))
const mdcNumber = (s: string) => (/^\d{1,10}$/.test(s) && Number(s) <= 0xffffffff ? Number(s) : null)

function attributeOf(obx: Hl7Segment): Attribute | 'event' | 'device' | undefined {
  const n = name(obx)
  const c = mdcNumber(code(obx))
  for (const [attr, [ref, num]] of Object.entries(ATTRIBUTES) as [Attribute, readonly [string, number]][]) {
    if (n === ref || (n === '' && c === num)) return attr
  }
  const subId = obx.value(4).trim()
  if (obx.field(5).trim() === '' && (/(^|\.)0$/.test(subId) || n.startsWith('MDC_DEV_'))) return 'device'
  if (n.startsWith('MDC_EVT_')) return 'event'
  return FACETS[subId.split('.').pop() ?? '']
}

/** The alert's identifier as the device sends it: OBR-29's parent alert (kept by every update), else OBR-3, else OBR-2. */
export function alertIdentifier(obr: Hl7Segment | undefined): string {
  if (!obr) return ''
  const parent = [1, 2, 3, 4].map((s) => obr.value(29, 2, 1, s).trim())
  const parts = parent.some((p) => p !== '') ? parent : [1, 2, 3, 4].map((c) => obr.value(3, c).trim())
  const filler = parts.join('^').replace(/\^+$/, '')
  if (filler !== '') return filler
  return [1, 2, 3, 4].map((c) => obr.value(2, c).trim()).join('^').replace(/\^+$/, '')
}

/** Which field the alert identifier came from, for a refusal. */
function identifierField(obr: Hl7Segment | undefined): string {
  if (!obr) return 'OBX-4 (no OBR)'
  if ([1, 2, 3, 4].some((s) => obr.value(29, 2, 1, s).trim() !== '')) return 'OBR-29'
  if ([1, 2, 3, 4].some((c) => obr.value(3, c).trim() !== '')) return 'OBR-3'
  return 'OBR-2'
}

/** OBX-7 "90-96", "> 20", "<400": the limits of a threshold alarm. */
export function parseLimits(range: string): { low: number | null; high: number | null } {
  const r = range.trim()
  const span = /^([+-]?[\d.]+)\s*-\s*([+-]?[\d.]+)$/.exec(r)
  if (span) return { low: parseNm(span[1]!) ?? null, high: parseNm(span[2]!) ?? null }
  const above = /^>=?\s*([+-]?[\d.]+)$/.exec(r)
  if (above) return { low: parseNm(above[1]!) ?? null, high: null }
  const below = /^<=?\s*([+-]?[\d.]+)$/.exec(r)
  if (below) return { low: null, high: parseNm(below[1]!) ?? null }
  return { low: null, high: null }
}

/**
 * The limits an MDC_ATTR_LIMIT_CURR OBX gives: NR "low^high" (HL7 v2 numeric range; either may be
 * empty), or a range as text ("90-96", ">20"), as OBX-7 would give it.
 */
export function limitsOf(obx: Hl7Segment): { low: number | null; high: number | null } {
  if (obx.value(2).trim().toUpperCase() === 'NR' || obx.value(5, 2).trim() !== '') {
    return { low: parseNm(obx.value(5, 1)) ?? null, high: parseNm(obx.value(5, 2)) ?? null }
  }
  return parseLimits(hl7Unescape(obx.value(5), obx.encoding))
}

/** One alert from its OBX; the OBR that opened the group gives its identity. */
export function alarmFromGroup(obr: Hl7Segment | undefined, obxs: readonly Hl7Segment[], ctx: AlarmContext): AlarmOutcome {
  const byAttr = new Map<Attribute | 'event', Hl7Segment>()
  for (const obx of obxs) {
    const a = attributeOf(obx)
    if (a && a !== 'device' && !byAttr.has(a)) byAttr.set(a, obx)
  }
  const event = byAttr.get('event')
  const problem = (c: Hl7v2ErrorCode, reason: string, seg: Hl7Segment | undefined) =>
    ({ problem: { code: c, reason: `${ctx.where}: ${reason}`, payload: clip([obr, ...obxs].filter((s) => s !== undefined).map((s) => s.toString()).join('\r'), 4096), offset: (seg ?? obr ?? obxs[0])?.offset ?? 0 } })
  if (!event) return problem(FirmwareErrorCode.NEVA_HL7V2_NO_ALARM_EVENT, `the alert has no event identification OBX (MDC_EVT_…, or OBX-4 facet .1) among ${obxs.length} OBX`, undefined)

  // The event: OBX-3 itself, or, for the generic MDC_EVT_ALARM, the event its CWE value names.
  let eventCode = mdcNumber(code(event))
  let eventName = name(event)
  let eventText = ''
  const type = event.value(2).trim().toUpperCase()
  if ((type === 'CWE' || type === 'CE' || type === 'CNE') && event.value(5, 1).trim() + event.value(5, 2).trim() !== '') {
    if (eventCode === MDC_EVT_ALARM || eventName === 'MDC_EVT_ALARM') {
      eventCode = mdcNumber(event.value(5, 1).trim())
      eventName = event.value(5, 2).trim()
    }
    eventText = event.value(5, 9).trim() || (eventCode === null ? event.value(5, 1).trim() : '')
  } else {
    eventText = text(event)
  }
  if (eventCode === MDC_EVT_ACTIVE || eventName === 'MDC_EVT_ACTIVE') {
    return { ignored: { code: FirmwareErrorCode.NEVA_HL7V2_ALARM_HEARTBEAT, reason: `${ctx.where}: MDC_EVT_ACTIVE is the alert reporter's watchdog heartbeat, not an alarm`, payload: clip(event.toString(), 4096), offset: event.offset } }
  }
  const textObx = byAttr.get('text')
  if (eventText === '' && textObx) eventText = text(textObx)
  if (eventCode === null && eventName === '' && eventText === '') return problem(FirmwareErrorCode.NEVA_HL7V2_NO_ALARM_EVENT, 'the event identification OBX names no event (no code, reference id or text)', event)

  // OBX-8 interpretation codes of the event OBX: priority, alert type (IHE PCD TF-2 B.8.6).
  let priority: AlarmPriority | null = null
  let alertType: AlarmType | null = null
  for (const rep of event.repetitions(8)) {
    const mark = hl7Unescape(rep.split(event.encoding.component)[0] ?? '', event.encoding).trim().toUpperCase()
    priority ??= ALARM_PRIORITY_CODES[mark] ?? null
    alertType ??= ALARM_TYPE_CODES[mark] ?? null
  }
  const attr = (a: Attribute) => { const s = byAttr.get(a); return s ? text(s) : '' }
  priority = ALARM_PRIORITY_CODES[attr('priority').toUpperCase()] ?? priority
  alertType = ALARM_TYPE_CODES[attr('type').toUpperCase()] ?? alertType
  const phase = orNull(attr('phase'), 32)
  const alarmState = orNull(attr('state'), 32)

  // The source: the measurement that crossed a limit (value, unit, OBX-7 limits), or
  // MDC_ATTR_ALERT_SOURCE naming a device part.
  let sourceCode: number | null = null
  let sourceName = ''
  let value: number | null = null
  let unit = ''
  let limits: { low: number | null; high: number | null } = { low: null, high: null }
  const source = byAttr.get('source')
  const namesDevicePart = source && (name(source) === ATTRIBUTES.source[0] || (name(source) === '' && mdcNumber(code(source)) === ATTRIBUTES.source[1]))
  if (source && namesDevicePart) {
    const t = source.value(2).trim().toUpperCase()
    if (t === 'CWE' || t === 'CE' || source.value(5, 2).trim() !== '') {
      sourceCode = mdcNumber(source.value(5, 1).trim())
      sourceName = source.value(5, 2).trim() || source.value(5, 1).trim()
    } else {
      sourceName = text(source)
    }
  } else if (source) {
    sourceCode = mdcNumber(code(source))
    sourceName = name(source)
    const reps = source.repetitions(5)
    value = reps.length === 1 ? (parseNm(text(source)) ?? null) : null
    const sent = { code: source.value(6, 1).trim(), text: source.value(6, 2).trim(), system: source.value(6, 3).trim() }
    const def = sourceCode === null ? undefined : vitalByMdc(sourceCode)
    const ucum = unitMeaning(sent)
    unit = def && ucum === def.unit ? def.unit : (ucum ?? (sent.text || sent.code))
    limits = parseLimits(source.value(7))
  }
  // IHE PCD-04 may send the limits as their own OBX of the alert (MDC_ATTR_LIMIT_CURR): when it
  // gives any, they are the alarm's, over the source's OBX-7; its unit serves when the source gave none.
  const limitObx = byAttr.get('limits')
  if (limitObx) {
    const own = limitsOf(limitObx)
    if (own.low !== null || own.high !== null) {
      limits = own
      if (unit === '') unit = unitMeaning({ code: limitObx.value(6, 1).trim(), text: limitObx.value(6, 2).trim(), system: limitObx.value(6, 3).trim() }) ?? (limitObx.value(6, 2).trim() || limitObx.value(6, 1).trim())
    }
  }

  // The device's own identifier becomes part of the alarm id: one with a quote, a backslash
  // (HL7 \E\), ";" or a control character is refused (this alert only), never stored.
  const identifier = alertIdentifier(obr)
  const id = alarmId(ctx.deviceId, identifier, event, eventCode, eventName)
  if (!isAlarmId(id)) {
    const field = identifier === '' ? 'OBX-4/OBX-3 (no OBR-29, OBR-3 or OBR-2)' : identifierField(obr)
    return problem(FirmwareErrorCode.NEVA_HL7V2_BAD_ALARM_ID, `${field} ${JSON.stringify(clip(identifier === '' ? id : identifier, 64))} is not an alarm id Neva accepts (printable ASCII without quotes, backslash, ";" or control characters)`, obr)
  }

  const sentTime = event.value(14).trim() || ctx.time
  const t = deviceTime(sentTime, ctx.receivedTime, ctx.defaultUtcOffsetMinutes)
  const deviceTimeMs = typeof t === 'number' ? t : null
  const alarm: AlarmDraft = {
    alarm_id: id,
    device_id: ctx.deviceId, source: 'hl7v2', patient_id: ctx.patientId,
    ward: ctx.ward, room: ctx.room, bed: ctx.bed, facility: ctx.facility,
    event_code: eventCode, event_name: orNull(eventName, 64), event_text: orNull(eventText, 256),
    source_code: sourceCode, source_name: orNull(sourceName, 64),
    alert_type: alertType, priority,
    state: alarmStateOf(phase, alarmState), phase, alarm_state: alarmState, inactivation_state: orNull(attr('inactivation'), 32),
    value, unit: orNull(unit, 32), limit_low: limits.low, limit_high: limits.high,
    device_time: deviceTimeMs, received_time: ctx.receivedTime,
  }
  return { ok: alarm, sentTime: deviceTimeMs }
}

/**
 * "<device>/<the device's alert identifier>". Without one (no OBR-3, OBR-29 or OBR-2), the alert is
 * known by where it comes from: its event's OBX-4 containment path and event code, which a device
 * repeats in every update of the same alarm.
 */
function alarmId(deviceId: string, identifier: string, event: Hl7Segment, eventCode: number | null, eventName: string): string {
  const own = identifier !== '' ? identifier : `${event.value(4).trim().replace(/\.\d+$/, '')}:${eventCode ?? eventName}`
  const id = `${deviceId}/${own}`
  if (id.length <= MAX_ALARM_ID) return id
  // Too long to store whole: a digest keeps it stable and unique.
  return `${deviceId.slice(0, 128)}/sha256:${createHash('sha256').update(own).digest('base64url')}`
}
