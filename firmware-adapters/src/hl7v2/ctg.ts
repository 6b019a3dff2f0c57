// A fetal monitor's (or its central station's) CTG in an ORU^R01: one OBX per signal with its
// samples as an NA array in OBX-5 ("140.25^140.5^^141"; an empty component is a gap), the unit in
// OBX-6, the first sample's time in OBX-14 (else OBR-7, MSH-7), the rate from an NM OBX coded
// SAMPLE_RATE or MDC_ATTR_SAMP_RATE earlier in the same OBR group (default 4 Hz, the rate fetal
// monitors export FHR at). Which OBX-3 names are CTG: ctg/signals.ts.
import { MAX_WAVEFORM_SAMPLES, WAVEFORM_MISSING } from '@neva/contracts'
import { CTG_RESOLUTION, CTG_SPECS, ctgCount, ctgSignalByName, ctgUnit, type CtgSignalSpec } from '../ctg/signals.js'
import { FirmwareErrorCode, type CtgErrorCode, type DecodeProblem, type Hl7v2ErrorCode } from '../errors.js'
import type { WaveformDraft } from '../decoded.js'
import type { Hl7Segment } from './message.js'
import { parseNm, type ObxOutcome } from './obx.js'
import { clip } from './parse.js'
import { deviceTime } from './time.js'

export const CTG_DEFAULT_RATE_HZ = 4

/** The CTG signal an OBX carries, or undefined when it is no CTG array (then it is decoded as before). */
export function ctgSpecOf(obx: Hl7Segment): CtgSignalSpec | undefined {
  const type = obx.value(2).trim().toUpperCase()
  if (type !== 'NA') return undefined
  const system = obx.value(3, 3).trim().toUpperCase()
  const code = obx.value(3, 1)
  // LOINC names only FHR (55283-6) here; other systems' codes and texts by name.
  const signal = system === 'LN' ? (code.trim() === '55283-6' ? 'fhr' : undefined) : ctgSignalByName(code) ?? ctgSignalByName(obx.value(3, 2))
  return signal === undefined ? undefined : CTG_SPECS[signal]
}

/** A sample-rate OBX: the rate for the arrays after it in its OBR group. */
export function isSampleRateObx(obx: Hl7Segment): boolean {
  const code = obx.value(3, 1).trim().toUpperCase()
  return code === 'SAMPLE_RATE' || code === 'MDC_ATTR_SAMP_RATE' || obx.value(3, 2).trim().toUpperCase() === 'MDC_ATTR_SAMP_RATE'
}

export function sampleRateOf(obx: Hl7Segment): number | undefined {
  const hz = parseNm(obx.value(5))
  return hz !== undefined && Number.isInteger(hz) && hz >= 1 && hz <= 1000 ? hz : undefined
}

export interface CtgObxContext {
  where: string
  time: string
  receivedTime: number
  defaultUtcOffsetMinutes: number
  deviceId: string
  patientId: string
  rateHz: number
}

const problem = (code: CtgErrorCode | Hl7v2ErrorCode, reason: string, obx: Hl7Segment): DecodeProblem => ({ code, reason, payload: clip(obx.toString(), 4096), offset: obx.offset })

/**
 * One CTG OBX → a waveform draft. Samples that are no number or out of range become gaps, with a
 * problem beside the draft (the good samples around them are kept); an array too long or in a
 * unit the signal cannot have is refused whole.
 */
export function ctgFromObx(obx: Hl7Segment, spec: CtgSignalSpec, ctx: CtgObxContext): { draft?: WaveformDraft; problem?: DecodeProblem; ignored?: DecodeProblem } {
  const label = `${ctx.where} ${spec.lead}`
  if (obx.field(5).trim() === '' || obx.field(5) === '""') return { ignored: problem(FirmwareErrorCode.NEVA_HL7V2_NO_VALUE, `${label} has no samples`, obx) }
  const unit = ctgUnit(spec, obx.value(6, 1) || obx.value(6, 2))
  if (unit === undefined) return { problem: problem(FirmwareErrorCode.NEVA_CTG_BAD_UNIT, `${label}: unit "${clip(obx.value(6, 1), 32)}" is not one of ${spec.units.join(', ')}`, obx) }
  const parts = obx.field(5).split(obx.encoding.component)
  if (parts.length > MAX_WAVEFORM_SAMPLES) return { problem: problem(FirmwareErrorCode.NEVA_CTG_TOO_MANY_SAMPLES, `${label}: ${parts.length} samples, at most ${MAX_WAVEFORM_SAMPLES} in one OBX`, obx) }
  const samples = new Array<number>(parts.length)
  let bad = 0
  let firstBad = -1
  for (let i = 0; i < parts.length; i++) {
    const text = parts[i]!
    if (text.trim() === '' || text === '""') {
      samples[i] = WAVEFORM_MISSING
      continue
    }
    const v = parseNm(text)
    const count = v === undefined ? undefined : ctgCount(spec, v)
    if (count === undefined) {
      samples[i] = WAVEFORM_MISSING
      if (bad++ === 0) firstBad = i
    } else samples[i] = count
  }
  const t = deviceTime(ctx.time, ctx.receivedTime, ctx.defaultUtcOffsetMinutes)
  const draft: WaveformDraft = {
    device_id: ctx.deviceId, patient_id: ctx.patientId, lead: spec.lead, mdc_code: 0,
    start_time: typeof t === 'number' ? t : ctx.receivedTime - (parts.length * 1000) / ctx.rateHz,
    sample_rate_hz: ctx.rateHz, resolution_uv: CTG_RESOLUTION, samples, received_time: ctx.receivedTime,
    signal_kind: spec.signal, unit,
  }
  if (bad === 0) return { draft }
  const range = `${spec.min}–${spec.max}`
  return { draft, problem: problem(FirmwareErrorCode.NEVA_CTG_BAD_SAMPLES, `${label}: ${bad} of ${parts.length} samples not a number in ${range} (first at index ${firstBad}); stored as gaps`, obx) }
}
