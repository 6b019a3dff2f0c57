// What both oximeter codecs share: their options, the readings they make, and how a decoded
// chunk of a stream is put together.
import { VITALS, type QualityFlag } from '@neva/contracts'
import type { Decoded, ObservationDraft } from '../decoded.js'
import { FirmwareErrorCode, type DecodeProblem, type OximeterErrorCode } from '../errors.js'

export type OximeterFormat = 'ascii' | 'binary'
export const OXIMETER_FORMATS: readonly OximeterFormat[] = ['ascii', 'binary']

export interface OximeterOptions {
  /** The oximeter, as the serial port's config names it. */
  deviceId: string
  /** The patient it is attached to: a bedside oximeter's port config names the bed's patient. */
  patientId: string
  /**
   * Minutes east of UTC of the zone the device clock shows (the gateway's zone), e.g. 60 for
   * CET. ASCII records carry local date and time without a zone. Default 0.
   */
  defaultUtcOffsetMinutes?: number
  /** ASCII: longest line accepted, in bytes. Default 512 (a Radical line is about 130). */
  maxLineBytes?: number
  /**
   * ASCII: how far a device clock may lag the receive time before it is called suspect. A live
   * stream's records are seconds old; a clock reset after a flat battery is years behind.
   * Default 24 h; decoding an old capture file wants Infinity.
   */
  maxClockLagMs?: number
}

export type OximeterVital = 'spo2' | 'pulse_rate'

/** Problem or ignored entry, with the byte offset of what it names. */
export function problem(code: OximeterErrorCode, reason: string, payload: string, offset: number): DecodeProblem {
  return { code, reason, payload, offset }
}

export function emptyDecoded(options: OximeterOptions): Decoded & { ignored: DecodeProblem[] } {
  return { source: 'serial', deviceId: options.deviceId, patientId: options.patientId, observations: [], problems: [], ignored: [] }
}

/** Appends what `from` holds to `into` (both from the same device). */
export function mergeDecoded(into: Decoded, from: Decoded): Decoded {
  for (const o of from.observations) into.observations.push(o)
  for (const p of from.problems) into.problems.push(p)
  if (from.ignored?.length) (into.ignored ??= []).push(...from.ignored)
  return into
}

/**
 * A reading, or the problem with it: values outside the code table's plausible range are
 * refused (an SpO2 of 120 % is a corrupted byte, not a patient).
 */
export function makeReading(
  options: OximeterOptions,
  name: OximeterVital,
  value: number,
  deviceTime: number,
  receivedTime: number,
  flags: readonly QualityFlag[],
  where: { what: string; offset: number; payload: string },
): ObservationDraft | DecodeProblem {
  const def = VITALS[name]
  if (!Number.isFinite(value) || value < def.min || value > def.max) {
    return problem(FirmwareErrorCode.NEVA_OXIMETER_IMPLAUSIBLE_VALUE, `${where.what}: ${value} ${def.unit} is outside ${def.min}–${def.max} for ${name}`, where.payload, where.offset)
  }
  return {
    device_id: options.deviceId,
    patient_id: options.patientId,
    source: 'serial',
    mdc_code: def.mdc,
    loinc: def.loinc,
    name,
    value,
    unit: def.unit,
    device_time: deviceTime,
    received_time: receivedTime,
    flags: [...flags],
  }
}

export const isProblem = (x: ObservationDraft | DecodeProblem): x is DecodeProblem => 'code' in x

/** Hex dump of at most `max` bytes, for a problem's payload. */
export function hexPreview(bytes: Uint8Array, max = 64): string {
  const shown = Buffer.from(bytes.subarray(0, max)).toString('hex').replace(/(..)(?!$)/g, '$1 ')
  return bytes.length > max ? `${shown} … (${bytes.length} bytes)` : shown
}
