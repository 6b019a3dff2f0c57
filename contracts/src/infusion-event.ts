// Infusion event: one report of an infusion pump channel (IHE PCD-10 ORU^R42 from a pump gateway:
// delivery started, stopped, program changed), as the gateway sends it. The pump reports the same
// infusion again and again: every report is one row; the latest per (device, channel) is what the
// pump does now. The HL7 mapping is in firmware-adapters/src/hl7v2/README.md ("ORU^R42").
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, SourceProtocol } from './observation.js'
import { AlarmId } from './ids.js'

const Text = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Null()])
const Num = Type.Union([Type.Number(), Type.Null()])
const MdcCode = Type.Union([Type.Integer({ minimum: 0, maximum: 0xffffffff }), Type.Null()])

export const InfusionEvent = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    /** The device id, "/", and the pump's own identifier of the event (OBR-3, else OBR-2). */
    event_id: AlarmId,
    device_id: Identifier,
    source: SourceProtocol,
    /** null when the pump names no patient Neva accepts: the infusion is still kept. */
    patient_id: Type.Union([Identifier, Type.Null()]),
    ward: Text(128),
    room: Text(64),
    bed: Text(64),
    facility: Text(128),
    /** The order the infusion carries out (OBR-2, the placer's number), as sent. */
    order_id: Text(128),
    /** What happened: MDC_ATTR_EVT_COND (197288 MDC_EVT_PUMP_DELIV_START…). */
    event_code: MdcCode,
    event_name: Text(64),
    /** The channel's containment path (OBX-4, "1.1.2") and its label ("Primary"). */
    channel: Text(32),
    channel_label: Text(64),
    drug: Text(128),
    concentration: Num,
    concentration_unit: Text(32),
    /** MDC_FLOW_FLUID_PUMP: the programmed rate, mL/h as a rule. */
    rate: Num,
    rate_unit: Text(32),
    dose_rate: Num,
    dose_rate_unit: Text(32),
    /** MDC_VOL_FLUID_DELIV_TOTAL, MDC_VOL_FLUID_TBI, MDC_VOL_FLUID_TBI_REMAIN. */
    volume_infused: Num,
    volume_to_be_infused: Num,
    volume_remaining: Num,
    volume_unit: Text(32),
    /** The program's state as sent: MDC_DEV_PUMP_CURRENT_DELIVERY_STATUS ("pump-delivery-status-delivering"). */
    program_state: Text(64),
    /** MDC_PUMP_INFUSING_STATUS ("pump-status-infusing"), MDC_DEV_PUMP_PROGRAM_DELIVERY_MODE. */
    pump_state: Text(64),
    delivery_mode: Text(64),
    /** Alert conditions the event reports (MDC_EVT_… names or text), empty when none. */
    alerts: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 }),
    device_time: Type.Union([EpochMs, Type.Null()]),
    received_time: EpochMs,
  },
  { additionalProperties: false },
)
export type InfusionEvent = Static<typeof InfusionEvent>

/** A program state that means the pump is delivering (IHE PCD-10's delivery status, infusing status). */
export const isInfusing = (e: Pick<InfusionEvent, 'program_state' | 'pump_state'>): boolean =>
  /delivering|infusing|running/i.test(e.program_state ?? e.pump_state ?? '')
