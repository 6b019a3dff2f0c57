// The MQTT topic and payload convention for device vital signs.
//
//   topic:   neva/v1/devices/{device_id}/vitals
//   payload: UTF-8 JSON, e.g.
//     { "device_id": "amb-7.p1-monitor", "patient_id": "amb-7.p1", "time": 1764103000123, "spo2_scale": 1,
//       "readings": [ { "vital": "spo2", "value": 97 },
//                     { "mdc": 150456, "value": 97, "unit": "%", "flags": ["artifact"] },
//                     { "vital": "consciousness", "value": "A" },
//                     { "mdc": 184327, "value": "Sinus rhythm" },
//                     { "mdc": 184327, "value": { "code": "8197", "system": "MDC", "text": "Atrial fibrillation" } } ] }
//
// `time` (device clock, ms since the epoch) applies to readings without their own `time`;
// the gateway's receive time is used when both are absent. A reading names its parameter by
// `vital` (a name from the code table) or by `mdc` (an IEEE 11073 code, 16- or 32-bit), not both.
// `unit`, when given, must be the UCUM unit of the code table: Neva never converts silently.
// A text or coded value (a string, or { code, system, text }) is accepted for an `mdc` code that is
// not a named vital: a state such as the ECG rhythm, stored as words, never scored.
// `spo2_scale` is the patient's NEWS2 SpO2 scale (2 only for hypercapnic respiratory failure).
// `device_id`, optional, must repeat the topic's: a message that names another device is refused
// whole (a gateway's topic ACLs tie the topic to the device's login).
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, QualityFlag } from './observation.js'

export const VITALS_TOPIC_PREFIX = 'neva/v1/devices/'
export const vitalsTopic = (deviceId: string) => `${VITALS_TOPIC_PREFIX}${deviceId}/vitals`

export const MAX_READINGS_PER_MESSAGE = 256

/** A coded value: its code, the coding system (e.g. MDC, LN) and its words. */
export const CodedReadingValue = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 64 }),
    system: Type.Optional(Type.String({ maxLength: 32 })),
    text: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
)

export const VitalsReading = Type.Object(
  {
    vital: Type.Optional(Type.String({ maxLength: 64 })),
    mdc: Type.Optional(Type.Integer({ minimum: 1, maximum: 0xffffffff })),
    // A number; ACVPU's letter for consciousness; words or a coded value for any other MDC code.
    value: Type.Union([Type.Number(), Type.String({ maxLength: 256 }), CodedReadingValue]),
    unit: Type.Optional(Type.String({ maxLength: 32 })),
    flags: Type.Optional(Type.Array(QualityFlag, { maxItems: 8, uniqueItems: true })),
    time: Type.Optional(EpochMs),
  },
  { additionalProperties: false },
)
export type VitalsReading = Static<typeof VitalsReading>

export const VitalsMessage = Type.Object(
  {
    device_id: Type.Optional(Identifier),
    patient_id: Identifier,
    time: Type.Optional(EpochMs),
    spo2_scale: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
    // Readings are validated one by one so that one bad reading does not discard the others.
    readings: Type.Array(Type.Unknown(), { minItems: 1, maxItems: MAX_READINGS_PER_MESSAGE }),
  },
  { additionalProperties: false },
)
export type VitalsMessage = Static<typeof VitalsMessage>
