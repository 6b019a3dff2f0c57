// Decodes an MQTT alarm message (contracts/alarm-message.ts) into one alarm draft. Pure: no I/O,
// no clock (the receive time is an argument). A message that does not fit the convention is
// refused whole with the field that was wrong: an alarm is never half-read.
import { ALARMS_TOPIC_SUFFIX, AlarmMessage, VITALS, VITALS_TOPIC_PREFIX, validator, type AlarmMessage as AlarmMessageType } from '@neva/contracts'
import { messageHash } from '../message-hash.js'
import type { Decoded } from '../decoded.js'
import { FirmwareErrorCode } from '../errors.js'

export interface DecodedAlarmMessage extends Decoded {
  source: 'mqtt'
}

const messageValidator = validator(AlarmMessage)
const DEVICE_ID = /^[A-Za-z0-9._:-]{1,128}$/
const UTF8 = new TextDecoder('utf-8', { fatal: true })
const MAX_FUTURE_MS = 24 * 3600_000
const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1)
const truncate = (s: string, n = 65536) => (s.length > n ? s.slice(0, n) : s)

/** The device id of an alarms topic; null when the topic is under neva/ but malformed. */
export function parseAlarmsTopic(topic: string): string | null {
  if (!topic.startsWith(VITALS_TOPIC_PREFIX) || !topic.endsWith(ALARMS_TOPIC_SUFFIX)) return null
  const id = topic.slice(VITALS_TOPIC_PREFIX.length, -ALARMS_TOPIC_SUFFIX.length)
  return DEVICE_ID.test(id) ? id : null
}

export function decodeAlarmMessage(topic: string, payload: Uint8Array, receivedTime: number): DecodedAlarmMessage {
  const deviceId = parseAlarmsTopic(topic)
  const raw = () => truncate(Buffer.from(payload).toString('utf8'))
  const refused = (code: string, reason: string): DecodedAlarmMessage =>
    ({ source: 'mqtt', ...(deviceId ? { deviceId } : {}), observations: [], alarms: [], problems: [{ code, reason, payload: raw() }] })
  if (deviceId === null) return refused(FirmwareErrorCode.NEVA_DECODE_UNKNOWN_TOPIC, `topic ${JSON.stringify(topic.slice(0, 256))}: expected neva/v1/devices/{device_id}/alarms`)
  let message: unknown
  try {
    message = JSON.parse(UTF8.decode(payload))
  } catch (err) {
    return refused(FirmwareErrorCode.NEVA_DECODE_INVALID_JSON, (err as Error).message)
  }
  if (!messageValidator.check(message)) return refused(FirmwareErrorCode.NEVA_DECODE_SCHEMA, messageValidator.explain(message)!)
  const m: AlarmMessageType = message
  if (m.event === undefined && m.event_code === undefined) return refused(FirmwareErrorCode.NEVA_DECODE_SCHEMA, '/event: name the event with "event" (e.g. MDC_EVT_LO) or "event_code"')
  const def = m.vital ? VITALS[m.vital] : undefined
  if (m.value !== undefined && !def) return refused(FirmwareErrorCode.NEVA_DECODE_SCHEMA, '/value: a value needs "vital" to say what it measures')
  if (def && m.value !== undefined && (!Number.isFinite(m.value) || m.value < def.min || m.value > def.max)) {
    return refused(FirmwareErrorCode.NEVA_DECODE_IMPLAUSIBLE_VALUE, `/value: ${m.value} ${def.unit} is outside ${def.min}–${def.max} for ${def.name}`)
  }
  // A device clock Neva cannot believe is left out (missing, not replaced).
  const stamped = m.time !== undefined && m.time >= MIN_PLAUSIBLE_MS && m.time <= receivedTime + MAX_FUTURE_MS ? m.time : null
  const out: DecodedAlarmMessage = {
    source: 'mqtt', deviceId, observations: [], problems: [],
    alarms: [{
      alarm_id: `${deviceId}/${m.alarm_id}`, device_id: deviceId, source: 'mqtt', patient_id: m.patient_id ?? null,
      ward: m.location?.ward || null, room: m.location?.room || null, bed: m.location?.bed || null, facility: null,
      event_code: m.event_code ?? null, event_name: m.event ?? null, event_text: m.text || null,
      source_code: def && def.mdc !== 0 ? def.mdc : null, source_name: def ? def.mdcName || def.name : null,
      alert_type: m.type ?? null, priority: m.priority, state: m.state, phase: null, alarm_state: null, inactivation_state: null,
      value: m.value ?? null, unit: m.value !== undefined && def ? def.unit : null, limit_low: m.limit_low ?? null, limit_high: m.limit_high ?? null,
      device_time: stamped, received_time: receivedTime,
    }],
  }
  if (m.patient_id) out.patientId = m.patient_id
  // A resend of a stamped message is the same bytes: stored once.
  if (stamped !== null) out.key = { device: deviceId, time: stamped, hash: messageHash(payload) }
  return out
}
