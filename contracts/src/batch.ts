// What a gateway sends the core, and what it keeps aside when a reading is refused.
import { Type, type Static } from '@sinclair/typebox'
import { EpochMs, Identifier, Observation, SourceProtocol } from './observation.js'
import { TriageResult } from './triage.js'
import { LabResult } from './lab-result.js'
import { WaveformChunk } from './waveform.js'
import { Transport } from './transport.js'
import { Alarm } from './alarm.js'

/** A reading the gateway refused, kept for inspection; never stored as an observation. */
export const RejectedReading = Type.Object(
  {
    gateway_id: Identifier,
    seq: Type.Integer({ minimum: 1 }),
    source: SourceProtocol,
    /** Where it came from: an MQTT topic, a serial port, a peer address. */
    origin: Type.String({ maxLength: 512 }),
    received_time: EpochMs,
    /** An error code from the catalog, e.g. NEVA_EDGE_IMPLAUSIBLE_VALUE. */
    code: Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_.:-]*$' }),
    reason: Type.String({ maxLength: 1024 }),
    /** The offending payload (UTF-8, or base64 for binary), truncated to 64 KiB. */
    payload: Type.String({ maxLength: 65536 }),
  },
  { additionalProperties: false },
)
export type RejectedReading = Static<typeof RejectedReading>

export const MAX_BATCH_ITEMS = 10_000

export const IngestBatch = Type.Object(
  {
    gateway_id: Identifier,
    /** Stable across retries: the core stores a batch once however often it arrives. */
    batch_id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
    sent_time: EpochMs,
    observations: Type.Array(Observation, { maxItems: MAX_BATCH_ITEMS }),
    triage: Type.Array(TriageResult, { maxItems: MAX_BATCH_ITEMS }),
    rejected: Type.Array(RejectedReading, { maxItems: MAX_BATCH_ITEMS }),
    /** Absent from gateways older than the lab and waveform sources. */
    lab_results: Type.Optional(Type.Array(LabResult, { maxItems: MAX_BATCH_ITEMS })),
    waveforms: Type.Optional(Type.Array(WaveformChunk, { maxItems: MAX_BATCH_ITEMS })),
    /** Absent from gateways older than the crews' transport messages. */
    transports: Type.Optional(Type.Array(Transport, { maxItems: MAX_BATCH_ITEMS })),
    /** Absent from gateways older than alarms. */
    alarms: Type.Optional(Type.Array(Alarm, { maxItems: MAX_BATCH_ITEMS })),
  },
  { additionalProperties: false },
)
export type IngestBatch = Static<typeof IngestBatch>

export const IngestAck = Type.Object({
  batch_id: Type.String(),
  /** false when this batch had already been stored: nothing was written again. */
  stored: Type.Boolean(),
  observations: Type.Integer(),
  triage: Type.Integer(),
  rejected: Type.Integer(),
  lab_results: Type.Integer(),
  waveforms: Type.Integer(),
  /** Absent from cores older than transports. */
  transports: Type.Optional(Type.Integer()),
  /** Absent from cores older than alarms. */
  alarms: Type.Optional(Type.Integer()),
})
export type IngestAck = Static<typeof IngestAck>
