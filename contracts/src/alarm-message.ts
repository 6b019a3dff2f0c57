// The MQTT topic and payload convention for device alarms.
//
//   topic:   neva/v1/devices/{device_id}/alarms
//   payload: UTF-8 JSON, one alarm update, e.g.
//     { "alarm_id": "spo2-lo-17", "patient_id": "amb-7.p1", "time": 1764103000123,
//       "event": "MDC_EVT_LO", "text": "SpO2 low", "vital": "spo2", "value": 86, "limit_low": 90,
//       "priority": "high", "type": "physiological", "state": "active",
//       "location": { "ward": "ICU", "bed": "4" } }
//
// `alarm_id` is the device's own name for the alarm, the same in every update (raised, still on,
// ended); the gateway prefixes it with the device id. `state` "inactive" ends the alarm. `event`
// is an IEEE 11073 event reference id (MDC_EVT_HI, MDC_EVT_LO, MDC_EVT_LEAD_OFF…) and `event_code`
// its number, at least one of them. `vital` names what the alarm is about (from the code table);
// `value` is then in that vital's unit. `time` (device clock, ms) is optional; without it the
// gateway's receive time stands in and a resend cannot be recognized.
import { Type, type Static } from '@sinclair/typebox'
import { ALARM_PRIORITIES, ALARM_STATES, ALARM_TYPES } from './alarm.js'
import { EpochMs, Identifier, VitalNameSchema, literals } from './observation.js'
import { ID_PATTERN } from './ids.js'

export const ALARMS_TOPIC_SUFFIX = '/alarms'
export const alarmsTopic = (deviceId: string) => `neva/v1/devices/${deviceId}${ALARMS_TOPIC_SUFFIX}`

export const AlarmMessage = Type.Object(
  {
    alarm_id: Type.String({ minLength: 1, maxLength: 120, pattern: ID_PATTERN }),
    patient_id: Type.Optional(Identifier),
    time: Type.Optional(EpochMs),
    event: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' })),
    event_code: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
    text: Type.Optional(Type.String({ maxLength: 256 })),
    vital: Type.Optional(VitalNameSchema),
    value: Type.Optional(Type.Number()),
    limit_low: Type.Optional(Type.Number()),
    limit_high: Type.Optional(Type.Number()),
    priority: literals(ALARM_PRIORITIES),
    type: Type.Optional(literals(ALARM_TYPES)),
    state: literals(ALARM_STATES),
    location: Type.Optional(Type.Object(
      { ward: Type.Optional(Type.String({ maxLength: 128 })), room: Type.Optional(Type.String({ maxLength: 64 })), bed: Type.Optional(Type.String({ maxLength: 64 })) },
      { additionalProperties: false },
    )),
  },
  { additionalProperties: false },
)
export type AlarmMessage = Static<typeof AlarmMessage>
