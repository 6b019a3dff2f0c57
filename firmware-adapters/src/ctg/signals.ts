// A fetal monitor's signals as Neva stores them: which names a sender uses for each, its unit,
// the range a value can take, and the count ↔ value scale (0.01 per count: CTU-UHB's gain of
// 100, exact for any value a monitor gives to two decimals, and 327 at most in Int16).
import { WAVEFORM_MISSING, type CtgSignal, type WaveformUnit } from '@neva/contracts'

export const CTG_RESOLUTION = 0.01

export interface CtgSignalSpec {
  signal: CtgSignal
  /** The lead name stored. */
  lead: string
  units: readonly WaveformUnit[]
  /** Valid values; FHR and MHR 0 is the monitors' own "no signal", stored as sent and read as a gap. */
  min: number
  max: number
}

export const CTG_SPECS: Record<CtgSignal, CtgSignalSpec> = {
  fhr: { signal: 'fhr', lead: 'FHR', units: ['bpm'], min: 0, max: 300 },
  fhr2: { signal: 'fhr2', lead: 'FHR2', units: ['bpm'], min: 0, max: 300 },
  uc: { signal: 'uc', lead: 'UC', units: ['toco', 'mm[Hg]'], min: 0, max: 300 },
  mhr: { signal: 'mhr', lead: 'MHR', units: ['bpm'], min: 0, max: 300 },
}

// Names senders give (OBX-3 identifier or text, a serial line's tag), upper-cased.
const NAMES: Record<string, CtgSignal> = {
  FHR: 'fhr', FHR1: 'fhr', HR1: 'fhr', '55283-6': 'fhr',
  FHR2: 'fhr2', HR2: 'fhr2',
  UC: 'uc', UA: 'uc', TOCO: 'uc', IUP: 'uc',
  MHR: 'mhr', MECG: 'mhr', MATERNAL_HR: 'mhr',
}

export function ctgSignalByName(name: string): CtgSignal | undefined {
  return NAMES[name.trim().toUpperCase()]
}

/** A unit as senders write it → Neva's; '' (none sent) → the signal's first. undefined: not a unit of this signal. */
export function ctgUnit(spec: CtgSignalSpec, sent: string): WaveformUnit | undefined {
  const u = sent.trim().toLowerCase()
  if (u === '') return spec.units[0]
  const unit: WaveformUnit | undefined = ['bpm', '/min', '1/min', '{beats}/min', '{beat}/min'].includes(u) ? 'bpm'
    : ['toco', 'tu', '%', '1', '{toco}', 'nd'].includes(u) ? 'toco'
      : ['mmhg', 'mm[hg]'].includes(u) ? 'mm[Hg]' : undefined
  return unit !== undefined && spec.units.includes(unit) ? unit : undefined
}

/** A value → its count; WAVEFORM_MISSING for no value; undefined when it cannot be this signal's. */
export function ctgCount(spec: CtgSignalSpec, value: number): number | undefined {
  if (!Number.isFinite(value) || value < spec.min || value > spec.max) return undefined
  return Math.round(value / CTG_RESOLUTION)
}

/** A stored count → its value; NaN for a gap. */
export function ctgValue(count: number, resolution = CTG_RESOLUTION): number {
  return count === WAVEFORM_MISSING ? NaN : count * resolution
}
