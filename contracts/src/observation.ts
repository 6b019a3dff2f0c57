// Observation: one normalized reading, the unit of everything downstream of a decoder.
import { Type, type Static } from '@sinclair/typebox'
import { VITAL_NAMES } from './vitals.js'
import { Identifier } from './ids.js'

export const SOURCE_PROTOCOLS = ['mqtt', 'hl7v2', 'astm', 'serial', 'opcua'] as const
export const QUALITY_FLAGS = [
  'artifact',
  'sensor_off',
  'questionable',
  // device clock was implausible; device_time was replaced by the gateway's receive time
  'clock_suspect',
  // the device's unit is not one Neva can map to UCUM: `unit` holds it as sent, never converted
  'unit_unmapped',
  // entered by the patient (or their home device's app), not measured by a device Neva manages
  'patient_reported',
] as const

/** A union of string literals whose static type is the union of the values. */
export const literals = <T extends string>(values: readonly T[]) =>
  Type.Union(values.map((v) => Type.Literal(v)))

export { Identifier }
export const SourceProtocol = literals(SOURCE_PROTOCOLS)
export const QualityFlag = literals(QUALITY_FLAGS)
export const VitalNameSchema = literals(VITAL_NAMES)
/**
 * A coded metric that is not a named vital (QT interval, NIBP pulse rate…): known by its code
 * (mdc_code, else loinc), never scored. Named vitals keep their own name.
 */
export const OTHER_METRIC = 'other'
export const ObservationName = Type.Union([VitalNameSchema, Type.Literal(OTHER_METRIC)])
export type ObservationName = Static<typeof ObservationName>
/** Milliseconds since the Unix epoch, UTC. */
export const EpochMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000 })

export const Observation = Type.Object(
  {
    gateway_id: Identifier,
    /** Per-gateway sequence number: with gateway_id, the reading's identity end to end. */
    seq: Type.Integer({ minimum: 1 }),
    device_id: Identifier,
    patient_id: Identifier,
    source: SourceProtocol,
    mdc_code: Type.Integer({ minimum: 0, maximum: 0xffffffff }),
    loinc: Type.String({ maxLength: 16 }),
    /** A named vital, or 'other' for any other coded metric (then mdc_code or loinc says what). */
    name: ObservationName,
    /** The number; absent when the reading is a text or coded state (then value_text holds it). */
    value: Type.Optional(Type.Number()),
    unit: Type.String({ maxLength: 32 }),
    device_time: EpochMs,
    received_time: EpochMs,
    flags: Type.Array(QualityFlag, { maxItems: 8, uniqueItems: true }),
    // Optional (older gateways leave them out): what the device itself called the metric
    // (HL7 OBX-3.2, e.g. MDC_ECG_TIME_PD_QT_GL) and its unit as sent (OBX-6), for codes beyond the
    // named vitals.
    device_label: Type.Optional(Type.String({ maxLength: 64 })),
    unit_as_sent: Type.Optional(Type.String({ maxLength: 64 })),
    // A text or coded state instead of a number (HL7 OBX-2 ST, TX, CWE, CE, CNE; an MQTT text
    // value): ECG rhythm, pacing mode, alarm state. Only for name 'other': never scored.
    value_text: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    /** A coded value's code and coding system (CWE OBX-5.1 and .3, e.g. 197288, MDC). */
    value_code: Type.Optional(Type.String({ maxLength: 64 })),
    value_system: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false },
)
export type Observation = Static<typeof Observation>
export type SourceProtocol = Static<typeof SourceProtocol>
export type QualityFlag = Static<typeof QualityFlag>
