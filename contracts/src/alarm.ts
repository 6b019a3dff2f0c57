// Alarm: one update of a device's alarm (IHE PCD-04 ORU^R40 from a monitor or pump, or an MQTT
// device's alarm message), as the gateway sends it. A device reports the same alarm several times
// (start, continue, end): every update is one row with the same `alarm_id`; the latest one is the
// alarm's current state. The HL7 mapping is in firmware-adapters/src/hl7v2/README.md.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, SourceProtocol, literals } from './observation.js'
import { AlarmId, MAX_ALARM_ID } from './ids.js'

export { MAX_ALARM_ID }

/** IHE PCD TF-2 OBX-8 / MDC_ATTR_ALARM_PRIORITY: PH, PM, PL, PN. */
export const ALARM_PRIORITIES = ['high', 'medium', 'low', 'none'] as const
export type AlarmPriority = (typeof ALARM_PRIORITIES)[number]
export const ALARM_PRIORITY_CODES: Readonly<Record<string, AlarmPriority>> = { PH: 'high', PM: 'medium', PL: 'low', PN: 'none' }

/** IHE PCD TF-2 OBX-8 / MDC_ATTR_ALERT_TYPE: SP physiological, ST technical, SA advisory. */
export const ALARM_TYPES = ['physiological', 'technical', 'advisory'] as const
export type AlarmType = (typeof ALARM_TYPES)[number]
export const ALARM_TYPE_CODES: Readonly<Record<string, AlarmType>> = { SP: 'physiological', ST: 'technical', SA: 'advisory' }

/** active: the alarm condition (or its latched signal) is present; inactive: the alarm ended. */
export const ALARM_STATES = ['active', 'inactive'] as const
export type AlarmState = (typeof ALARM_STATES)[number]

const Text = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Null()])
const Num = Type.Union([Type.Number(), Type.Null()])
const MdcCode = Type.Union([Type.Integer({ minimum: 0, maximum: 0xffffffff }), Type.Null()])

export const Alarm = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    /**
     * Stable across the device's updates of one alarm, unique across devices: the device id, "/",
     * and the device's own alarm identifier (HL7: OBR-29's parent alert, else OBR-3).
     */
    alarm_id: AlarmId,
    device_id: Identifier,
    source: SourceProtocol,
    /**
     * The patient the device is associated with; null when it has none. Unlike a reading, an
     * alarm without a patient is kept: a pump occlusion or an unplugged sensor still needs a nurse,
     * found by location and device.
     */
    patient_id: Type.Union([Identifier, Type.Null()]),
    /** Where the device is, as it says (HL7 PV1-3: point of care ^ room ^ bed ^ facility). */
    ward: Text(128),
    room: Text(64),
    bed: Text(64),
    facility: Text(128),
    /** What happened: an MDC event code (e.g. 196648 MDC_EVT_HI); null when the device sent only text. */
    event_code: MdcCode,
    event_name: Text(64),
    /** The device's words for it ("Low SpO2", "CO2 Sensor unplugged"). */
    event_text: Text(256),
    /** What it is about: the measurement (150456 MDC_PULS_OXIM_SAT_O2) or the device part. */
    source_code: MdcCode,
    source_name: Text(64),
    alert_type: Type.Union([literals(ALARM_TYPES), Type.Null()]),
    /** null when the device gave no priority Neva recognizes (never guessed). */
    priority: Type.Union([literals(ALARM_PRIORITIES), Type.Null()]),
    state: literals(ALARM_STATES),
    /** As sent: MDC_ATTR_EVENT_PHASE (start, continue, end…), MDC_ATTR_ALARM_STATE, MDC_ATTR_ALARM_INACTIVATION_STATE. */
    phase: Text(32),
    alarm_state: Text(32),
    inactivation_state: Text(32),
    /** The measured value that raised it, and the limits it crossed, when the device sent them. */
    value: Num,
    unit: Text(32),
    limit_low: Num,
    limit_high: Num,
    /** When the device says it happened; null when it gave no usable time. */
    device_time: Type.Union([EpochMs, Type.Null()]),
    received_time: EpochMs,
  },
  { additionalProperties: false },
)
export type Alarm = Static<typeof Alarm>

/** An alarm's state from what the device sent: an end (or stop) phase, or an off/inactive state, ends it. */
export function alarmStateOf(phase: string | null, alarmState: string | null): AlarmState {
  const p = phase?.trim().toLowerCase()
  const s = alarmState?.trim().toLowerCase()
  if (p === 'end' || p === 'stop') return 'inactive'
  if (s === 'off' || s === 'inactive') return 'inactive'
  return 'active'
}

/** A clinician's acknowledgement of an alarm, as the core stores it. */
export const AlarmAckRequest = Type.Object(
  {
    alarm_id: AlarmId,
    note: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
)
export type AlarmAckRequest = Static<typeof AlarmAckRequest>
