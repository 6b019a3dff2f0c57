// LabResult: one result from a lab analyzer (ASTM E1394 R record, or an HL7 OBX from a
// point-of-care analyzer), with the analyzer's own test code and its LOINC when the gateway's
// table knows it.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, SourceProtocol } from './observation.js'
import { DeviceText } from './ids.js'

/** ASTM E1394 R-9 / HL7 OBX-11 result status, as sent (F final, P preliminary, C correction, X cannot be done, …). */
export const LAB_STATUS_MAX = 8

const Text = (maxLength: number) => Type.String({ maxLength })
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])

export const LabResult = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    /** The analyzer, as the gateway config names it. */
    device_id: Identifier,
    source: SourceProtocol,
    /** The sample's or order's id (O-3 specimen id, else O-4 instrument specimen id); null when the analyzer sent none. */
    order_id: Type.Union([DeviceText(128), Type.Null()]),
    /** The patient as the analyzer knows them (P-3, else P-4, else P-5); null for QC and unlinked samples. */
    patient_id: Type.Union([DeviceText(128), Type.Null()]),
    /** The analyzer's own test code, e.g. "GLU" from `^^^GLU`. */
    test_code: DeviceText(64),
    /** From the gateway's code table; null when the table does not know the code. */
    loinc: Nullable(Text(16)),
    /** The result as sent: lab values are not always numbers ("POS", "<0.5", "---"). */
    value: Text(1024),
    /** The value when it is a plain number; null otherwise (never 0 for "no number"). */
    numeric_value: Type.Union([Type.Number(), Type.Null()]),
    unit: Text(32),
    reference_range: Text(64),
    /** Abnormal flag as sent (N, L, H, LL, HH, A, …); null when absent. */
    abnormal_flag: Nullable(Text(8)),
    status: Text(LAB_STATUS_MAX),
    /** When the analyzer completed the test; null when it did not say. */
    result_time: Type.Union([EpochMs, Type.Null()]),
    received_time: EpochMs,
    /** Comments (C records, NTE segments) attached to the result. */
    comments: Type.Array(Text(1024), { maxItems: 16 }),
  },
  { additionalProperties: false },
)
export type LabResult = Static<typeof LabResult>
