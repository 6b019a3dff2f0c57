// Decodes a crew tablet's transport message (contracts/transport.ts) into one transport draft.
// Pure: no I/O, no clock (the receive time is an argument). A message that does not fit is refused
// whole with the field that was wrong: an ED never sees half a transport.
import { messageHash } from '../message-hash.js'
import { TRANSPORT_TOPIC_PREFIX, TransportMessage, validator, type TransportMessage as TransportMessageType } from '@neva/contracts'
import type { Decoded, TransportDraft } from '../decoded.js'
import { FirmwareErrorCode } from '../errors.js'

export interface DecodedTransport extends Decoded {
  source: 'mqtt'
}

const messageValidator = validator(TransportMessage)
const UNIT = /^[A-Za-z0-9._:-]{1,128}$/
const SUFFIX = '/transport'
const UTF8 = new TextDecoder('utf-8', { fatal: true })
const MAX_FUTURE_MS = 24 * 3600_000
const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1)
/** An ETA further out than this is a wrong clock or a typo, not a drive to hospital. */
const MAX_ETA_AHEAD_MS = 12 * 3600_000
const truncate = (s: string, n = 65536) => (s.length > n ? s.slice(0, n) : s)

/** The unit of a transport topic; null when it is not one. */
export function parseTransportTopic(topic: string): string | null {
  if (!topic.startsWith(TRANSPORT_TOPIC_PREFIX) || !topic.endsWith(SUFFIX)) return null
  const unit = topic.slice(TRANSPORT_TOPIC_PREFIX.length, -SUFFIX.length)
  return UNIT.test(unit) ? unit : null
}

export function decodeTransportMessage(topic: string, payload: Uint8Array, receivedTime: number): DecodedTransport {
  const unit = parseTransportTopic(topic)
  const raw = () => truncate(Buffer.from(payload).toString('utf8'))
  const refused = (code: string, reason: string): DecodedTransport =>
    ({ source: 'mqtt', ...(unit ? { deviceId: unit } : {}), observations: [], transports: [], problems: [{ code, reason, payload: raw() }] })
  if (unit === null) return refused(FirmwareErrorCode.NEVA_DECODE_UNKNOWN_TOPIC, `topic ${JSON.stringify(topic.slice(0, 256))}: expected neva/v1/ambulances/{unit}/transport`)
  let message: unknown
  try {
    message = JSON.parse(UTF8.decode(payload))
  } catch (err) {
    return refused(FirmwareErrorCode.NEVA_DECODE_INVALID_JSON, (err as Error).message)
  }
  if (!messageValidator.check(message)) return refused(FirmwareErrorCode.NEVA_DECODE_SCHEMA, messageValidator.explain(message)!)
  const m: TransportMessageType = message
  // `time` orders a patient's transport states: a clock that cannot be believed would pin a stale state.
  if (m.time < MIN_PLAUSIBLE_MS || m.time > receivedTime + MAX_FUTURE_MS) {
    return refused(FirmwareErrorCode.NEVA_DECODE_IMPLAUSIBLE_TIME, `/time: ${m.time} is before 2000 or more than a day after it was received`)
  }
  const eta = m.eta ?? null
  if (eta !== null && (eta < m.time - MAX_FUTURE_MS || eta > m.time + MAX_ETA_AHEAD_MS)) {
    return refused(FirmwareErrorCode.NEVA_DECODE_IMPLAUSIBLE_TIME, `/eta: ${eta} is more than 12 h after, or a day before, the message's time ${m.time}`)
  }
  if (m.state !== 'en_route' && eta !== null) return refused(FirmwareErrorCode.NEVA_DECODE_SCHEMA, `/eta: only a transport en_route has an ETA, this one is ${m.state}`)
  const transport: TransportDraft = { unit, patient_id: m.patient_id, destination_site: m.destination_site, state: m.state, eta, updated_time: m.time, received_time: receivedTime }
  return {
    source: 'mqtt', deviceId: unit, patientId: m.patient_id, observations: [], problems: [], transports: [transport],
    // A resend is the same bytes: stored once.
    key: { device: unit, time: m.time, hash: messageHash(payload) },
  }
}
