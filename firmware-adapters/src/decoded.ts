// What every decoder gives the gateway: drafts of what to store, and what it refused.
import type { Alarm, LabResult, Observation, SourceProtocol, Transport, WaveformChunk } from '@neva/contracts'
import type { DecodeProblem } from './errors.js'

/** An observation before the gateway gives it an identity (gateway_id, seq). */
export type ObservationDraft = Omit<Observation, 'gateway_id' | 'seq'>
export type LabResultDraft = Omit<LabResult, 'gateway_id' | 'seq'>
export type WaveformDraft = Omit<WaveformChunk, 'gateway_id' | 'seq'>
export type AlarmDraft = Omit<Alarm, 'gateway_id' | 'seq'>
export type TransportDraft = Omit<Transport, 'gateway_id' | 'seq'>

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

export interface Decoded {
  source: SourceProtocol
  /** Undefined when the input was not addressed to a device at all (not ours to judge). */
  deviceId?: string
  patientId?: string
  spo2Scale?: 1 | 2
  observations: ObservationDraft[]
  labResults?: LabResultDraft[]
  waveforms?: WaveformDraft[]
  /** Updates of device alarms (HL7 ORU^R40, MQTT alarm messages). */
  alarms?: AlarmDraft[]
  /** A crew tablet's transport state (MQTT neva/v1/ambulances/{unit}/transport). */
  transports?: TransportDraft[]
  /**
   * The message's identity when a resend can be recognized (the device stamped it, or the
   * protocol carries a message id): the gateway then stores it once.
   */
  key?: MessageKey
  problems: DecodeProblem[]
  /**
   * What the decoder deliberately did not turn into readings, with why (a monitor's MDC metric
   * that is not a vital sign Neva stores, a device-hierarchy entry): counted, not kept aside.
   */
  ignored?: DecodeProblem[]
}
