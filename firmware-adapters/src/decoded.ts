// What every decoder gives the gateway: drafts of what to store, and what it refused.
import type { DecodedKindName, KindCamelField, KindDraft, SourceProtocol } from '@neva/contracts'
import type { DecodeProblem } from './errors.js'

/** An observation before the gateway gives it an identity (gateway_id, seq). */
export type ObservationDraft = KindDraft<'observation'>
export type LabResultDraft = KindDraft<'lab_result'>
export type WaveformDraft = KindDraft<'waveform'>
export type AlarmDraft = KindDraft<'alarm'>
export type TransportDraft = KindDraft<'transport'>

/**
 * Drafts of every kind a decoder produces (the registry's `decoded` kinds), by the kind's field
 * camelCased: observations (always there), labResults, waveforms, alarms (HL7 ORU^R40, MQTT
 * alarm messages), transports (a crew tablet's transport state), and any kind added since.
 */
export type DecodedDrafts = { observations: ObservationDraft[] } & {
  [K in Exclude<DecodedKindName, 'observation'> as KindCamelField<K>]?: KindDraft<K>[]
}

/**
 * A device message's identity. `time`, the earliest device time in it, leads so that the
 * gateway stores identities in time order: appending stays local in its index however many
 * it remembers.
 */
export interface MessageKey {
  device: string
  time: number
  /** sha256 of the payload, base64url, 132 bits. */
  hash: string
}

export interface Decoded extends DecodedDrafts {
  source: SourceProtocol
  /** Undefined when the input was not addressed to a device at all (not ours to judge). */
  deviceId?: string
  patientId?: string
  spo2Scale?: 1 | 2
  /**
   * The message's identity when a resend can be recognized (the device stamped it, or the
   * protocol carries a message id): the gateway then stores it once.
   */
  key?: MessageKey
  problems: DecodeProblem[]
  /**
   * The period the device promised to be heard again within (an IHE ACM watchdog's
   * MDC_ATTR_CONFIRM_TIMEOUT), ms: the gateway supervises it with this period.
   */
  heartbeatMs?: number
  /**
   * What the decoder deliberately did not turn into readings, with why (a monitor's MDC metric
   * that is not a vital sign Neva stores, a device-hierarchy entry): counted, not kept aside.
   */
  ignored?: DecodeProblem[]
}
