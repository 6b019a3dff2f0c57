// Builds the ORU^R01 a fetal monitor's central station sends (the inverse of ctg.ts), for the
// simulator and tests: one OBR, a SAMPLE_RATE OBX, then one NA array per signal.
import type { CtgSignal } from '@neva/contracts'
import { CTG_SPECS } from '../ctg/signals.js'
import { DEFAULT_ENCODING, encodingCharacters } from './encoding.js'
import { hl7Escape } from './escape.js'
import type { Hl7Location } from './decode.js'
import { formatNm } from './encode.js'
import { formatHl7Time } from './time.js'

export interface CtgOruSignal {
  signal: CtgSignal
  /** Values in the signal's unit; NaN or null is a gap (an empty component). */
  values: ArrayLike<number | null>
  /** Default the signal's first unit (bpm; toco for UC). */
  unit?: string
}

export interface CtgOruInput {
  controlId: string
  /** The first sample's time (OBR-7, OBX-14), epoch ms. */
  time: number
  rateHz: number
  sendingApplication: string
  patientId: string
  location?: Hl7Location
  signals: readonly CtgOruSignal[]
}

/** A value as the monitor writes it: at most two decimals (what 0.01 per count keeps exactly). */
const sample = (v: number | null): string => (v === null || Number.isNaN(v) ? '' : formatNm(Math.round(v * 100) / 100))

export function encodeCtgOru(input: CtgOruInput): string {
  const enc = DEFAULT_ENCODING
  const e = (s: string | undefined) => hl7Escape(s ?? '', enc)
  const t = formatHl7Time(input.time)
  const loc = input.location ?? {}
  const lines = [
    ['MSH', encodingCharacters(enc), e(input.sendingApplication), '', 'NEVA', '', t, '', 'ORU^R01^ORU_R01', e(input.controlId), 'P', '2.6'].join('|'),
    ['PID', '', '', `${e(input.patientId)}^^^^MR`].join('|'),
    ['PV1', '', 'I', [e(loc.pointOfCare), e(loc.room), e(loc.bed), e(loc.facility)].join('^')].join('|'),
    ['OBR', '1', e(input.controlId), '', 'CTG^Cardiotocography^L', '', '', t].join('|'),
    ['OBX', '1', 'NM', 'SAMPLE_RATE^Sample rate^L', '', String(input.rateHz), 'Hz'].join('|'),
  ]
  input.signals.forEach((s, i) => {
    const spec = CTG_SPECS[s.signal]
    const values = Array.from(s.values, sample).join(enc.component)
    lines.push(['OBX', String(i + 2), 'NA', `${spec.lead}^${spec.lead}^L`, '1', values, e(s.unit ?? spec.units[0]), '', '', '', '', 'F', '', '', t].join('|'))
  })
  return lines.join('\r') + '\r'
}
