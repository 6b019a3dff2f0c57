// A reading the gateway refused: its own file so that the kind registry and the batch share it.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, SourceProtocol } from './observation.js'

/** A reading the gateway refused, kept for inspection; never stored as an observation. */
export const RejectedReading = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    source: SourceProtocol,
    /** Where it came from: an MQTT topic, a serial port, a peer address. */
    origin: Type.String({ maxLength: 512 }),
    received_time: EpochMs,
    /** A code from the decoders' catalog (NEVA_DECODE_IMPLAUSIBLE_VALUE, NEVA_HL7V2_…) or the edge's (NEVA_EDGE_MQTT_TOPIC_DENIED). */
    code: Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_.:-]*$' }),
    reason: Type.String({ maxLength: 1024 }),
    /** The offending payload (UTF-8, or base64 for binary), truncated to 64 KiB. */
    payload: Type.String({ maxLength: 65536 }),
  },
  { additionalProperties: false },
)
export type RejectedReading = Static<typeof RejectedReading>
