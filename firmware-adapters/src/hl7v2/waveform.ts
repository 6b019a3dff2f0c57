// An NA OBX (HL7 v2 numeric array) → ECG waveform chunks. HL7 v2 §7.16 makes NA and MA the value
// types of waveform data, and the IHE PCD Waveform Content Module carries a waveform in PCD-01 as
// one NA OBX per lead — its samples in OBX-5 separated by "^", its unit in OBX-6 — with its
// attributes as child OBX under its OBX-4 path (".1" MDC_ATTR_SAMP_RATE, MDC_ATTR_DATA_RANGE,
// MDC_ATTR_NU_MSMT_RES). So an NA is a series of samples in time, not several readings: it is
// stored as waveform chunks, sample for sample. MA (several channels interleaved) is not used by
// IHE PCD-01 and is refused with that reason.
import { ECG_LEAD_MDC, ECG_LEADS, LEAD_NAME, MAX_WAVEFORM_SAMPLES, leadMdc, standardLead, type WaveformChunk } from '@neva/contracts'
import { FirmwareErrorCode, type DecodeProblem } from '../errors.js'
import type { WaveformDraft } from '../decoded.js'
import type { Hl7Segment } from './message.js'
import { parseNm } from './obx.js'
import { clip } from './parse.js'

export interface WaveformContext {
  where: string
  deviceId: string
  patientId: string
  /** The wave's first sample, device time (its OBX-14, an ancestor's, OBR-7 or MSH-7). */
  startTime: number
  receivedTime: number
  /** The OBX of the message, where the wave's attributes are found by their OBX-4 path. */
  siblings: readonly Hl7Segment[]
}

export type WaveformOutcome = { ok: WaveformDraft[] } | { problem: DecodeProblem }

/** µV per unit of the wave as sent (OBX-6): an ECG lead's potential. */
const MICROVOLTS: Readonly<Record<string, number>> = {
  266418: 1000, MDC_DIM_MILLI_VOLT: 1000, mV: 1000,
  266414: 1, MDC_DIM_MICRO_VOLT: 1, uV: 1, 'µV': 1,
}
const LEAD_BY_MDC = new Map<number, string>(ECG_LEADS.map((l) => [ECG_LEAD_MDC[l], l]))

/** Whether an OBX is an attribute of the wave at `path` (MDC_ATTR_… under its OBX-4). */
export function isWaveAttribute(obx: Hl7Segment, path: string): boolean {
  return path !== '' && obx.value(4).trim().startsWith(`${path}.`) && obx.value(3, 2).trim().startsWith('MDC_ATTR_')
}

/** The lead an OBX-3 names: MDC_ECG_ELEC_POTL_<lead> by code or reference id. */
function leadOf(obx: Hl7Segment): string | undefined {
  const code = Number(obx.value(3, 1).trim())
  const byCode = LEAD_BY_MDC.get(code)
  if (byCode) return byCode
  const m = /^MDC_ECG_ELEC_POTL_([A-Za-z0-9_+-]{1,16})$/.exec(obx.value(3, 2).trim())
  if (!m) return undefined
  return standardLead(m[1]!) ?? (LEAD_NAME.test(m[1]!) ? m[1]! : undefined)
}

export function waveformFromObx(obx: Hl7Segment, ctx: WaveformContext): WaveformOutcome {
  const label = `${obx.value(3, 1).trim()} ${obx.value(3, 2).trim()}`.trim()
  const refuse = (reason: string): WaveformOutcome => ({
    problem: { code: FirmwareErrorCode.NEVA_HL7V2_BAD_WAVEFORM, reason: `${ctx.where}: ${label}: ${reason}`, payload: clip(obx.toString(), 4096), offset: obx.offset },
  })
  const type = obx.value(2).trim().toUpperCase()
  if (type === 'MA') return refuse('OBX-2 MA (a multiplexed array) is not how IHE PCD-01 sends a waveform (one NA per lead); refused')
  const lead = leadOf(obx)
  if (lead === undefined) return refuse('an NA waveform that is not an ECG lead (MDC_ECG_ELEC_POTL_…): Neva stores ECG waveforms only')
  const path = obx.value(4).trim()
  const attr = (ref: string) => ctx.siblings.find((s) => isWaveAttribute(s, path) && s.value(3, 2).trim() === ref)
  const rateObx = attr('MDC_ATTR_SAMP_RATE')
  const rate = rateObx ? parseNm(rateObx.value(5)) : undefined
  if (rate === undefined || !Number.isInteger(rate) || rate < 1 || rate > 10_000) {
    return refuse(rateObx ? `MDC_ATTR_SAMP_RATE ${JSON.stringify(rateObx.value(5).slice(0, 32))} is not a whole number of samples per second in 1–10000` : `no MDC_ATTR_SAMP_RATE OBX under OBX-4 ${path || '(empty)'}: the samples cannot be placed in time`)
  }
  const unitSent = [obx.value(6, 1).trim(), obx.value(6, 2).trim()].find((u) => MICROVOLTS[u] !== undefined)
  if (unitSent === undefined) return refuse(`OBX-6 ${JSON.stringify(obx.field(6).slice(0, 64))} is not a unit of potential Neva knows (mV, µV)`)
  const toUv = MICROVOLTS[unitSent]!
  // The device's own resolution (in the wave's unit) when it says it; else 1 µV.
  const resObx = attr('MDC_ATTR_NU_MSMT_RES')
  const res = resObx ? parseNm(resObx.value(5)) : undefined
  const resolutionUv = res !== undefined && res > 0 && res * toUv <= 1000 ? res * toUv : 1
  const parts = obx.field(5).split(obx.encoding.component)
  if (obx.repetitions(5).length > 1) return refuse('OBX-5 NA has repetitions; a lead is one series')
  const samples: number[] = []
  for (const [i, p] of parts.entries()) {
    const v = parseNm(p)
    if (v === undefined) return refuse(`sample ${i + 1} ${JSON.stringify(p.slice(0, 32))} is not a number (a missing sample cannot be placed)`)
    const counts = Math.round((v * toUv) / resolutionUv)
    if (counts < -32768 || counts > 32767) return refuse(`sample ${i + 1} (${v} ${unitSent}) is beyond ±32767 × ${resolutionUv} µV`)
    samples.push(counts + 0) // never -0
  }
  // Chunks of whole seconds, so that each chunk's start is a whole millisecond.
  const step = Math.floor(MAX_WAVEFORM_SAMPLES / rate) * rate
  const chunks: WaveformDraft[] = []
  for (let at = 0; at < samples.length; at += step) {
    const chunk: Omit<WaveformChunk, 'gateway_id' | 'seq'> = {
      device_id: ctx.deviceId, patient_id: ctx.patientId, lead, mdc_code: leadMdc(lead),
      start_time: ctx.startTime + Math.round((at * 1000) / rate), sample_rate_hz: rate, resolution_uv: resolutionUv,
      samples: samples.slice(at, at + step), received_time: ctx.receivedTime,
    }
    chunks.push(chunk)
  }
  return { ok: chunks }
}
