// A record in a few lines: what `neva decode --protocol wfdb` prints (and its --json).
import { FirmwareErrorCode } from '../errors.js'
import type { WfdbRecord } from './signals.js'

export interface WfdbSummary {
  record: string
  samplingHz: number
  samplesPerSignal: number
  seconds: number
  signals: Array<{
    description: string
    file: string
    format: number
    gain: number
    baseline: number
    units: string
    read: boolean
    checksum: 'match' | 'mismatch' | 'absent' | 'not read'
    initialValue: 'match' | 'mismatch' | 'absent' | 'not read'
    /** Smallest and largest ADC value (WFDB's invalid-sample value included). */
    adcMin?: number
    adcMax?: number
  }>
  comments: string[]
  problems: Array<{ code: string; reason: string }>
}

export function wfdbSummary(r: WfdbRecord): WfdbSummary {
  const n = r.samplesPerSignal
  const failed = (label: string, code: string) => r.problems.some((p) => p.code === code && p.reason.startsWith(`${label}:`))
  return {
    record: r.header.record,
    samplingHz: r.header.samplingHz,
    samplesPerSignal: n,
    seconds: n / r.header.samplingHz,
    signals: r.signals.map((s, i) => {
      const label = s.spec.description || `signal ${i}`
      let min: number | undefined
      let max: number | undefined
      if (s.samples) for (const v of s.samples) {
        if (min === undefined || v < min) min = v
        if (max === undefined || v > max) max = v
      }
      const check = (given: number | undefined, code: string) => (!s.samples ? 'not read' : given === undefined ? 'absent' : failed(label, code) ? 'mismatch' : 'match') as WfdbSummary['signals'][number]['checksum']
      return {
        description: s.spec.description, file: s.spec.file, format: s.spec.format, gain: s.spec.gain, baseline: s.spec.baseline, units: s.spec.units,
        read: s.samples !== undefined,
        checksum: check(s.spec.checksum, FirmwareErrorCode.NEVA_WFDB_CHECKSUM),
        initialValue: check(s.spec.initialValue, FirmwareErrorCode.NEVA_WFDB_INITIAL_VALUE),
        adcMin: min, adcMax: max,
      }
    }),
    comments: r.header.comments,
    problems: r.problems.map((p) => ({ code: p.code, reason: p.reason })),
  }
}
