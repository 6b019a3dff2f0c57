// Signal files: the samples of every signal a file holds, interleaved frame by frame, in format
// 16 (int16 LE), 212 (two 12-bit samples in three bytes) or 80 (8-bit offset binary); each signal
// checked against the header's checksum and initial value — the proof it was read sample-exact.
import type { DecodeProblem } from '../errors.js'
import { FirmwareErrorCode } from '../errors.js'
import { MAX_TOTAL_SAMPLES, WfdbError, type WfdbHeader, type WfdbSignalSpec } from './header.js'

export interface WfdbSignal {
  spec: WfdbSignalSpec
  /** ADC values as stored (physical = (adc − baseline) / gain); absent when its file was not read. */
  samples?: Int16Array
  /** The header's checksum and initial value both hold (true when the header gives neither). */
  verified: boolean
}

export interface WfdbRecord {
  header: WfdbHeader
  samplesPerSignal: number
  signals: WfdbSignal[]
  /** Files missing, checksums or initial values that do not hold: one problem each. */
  problems: DecodeProblem[]
}

/** Bytes the file needs for n samples (212 packs two in three bytes). */
function bytesFor(format: number, n: number): number {
  return format === 16 ? 2 * n : format === 212 ? Math.ceil((3 * n) / 2) : n
}

/** The k-th sample of a file's stream (all its signals interleaved). */
function sampleAt(format: number, b: Uint8Array, k: number): number {
  if (format === 16) {
    const v = b[2 * k]! | (b[2 * k + 1]! << 8)
    return v >= 0x8000 ? v - 0x10000 : v
  }
  if (format === 212) {
    const p = 3 * (k >> 1)
    const v = (k & 1) === 0 ? b[p]! | ((b[p + 1]! & 0x0f) << 8) : b[p + 2]! | ((b[p + 1]! & 0xf0) << 4)
    return v >= 0x800 ? v - 0x1000 : v
  }
  return b[k]! - 128
}

/** Samples per signal a file's length allows, when the header does not say. */
function samplesInFile(spec: WfdbSignalSpec, width: number, length: number): number {
  const body = Math.max(0, length - spec.byteOffset)
  const perFrame = spec.format === 16 ? 2 * width : spec.format === 212 ? 1.5 * width : width
  return Math.floor(body / perFrame)
}

/**
 * Reads every signal of a parsed header from its files' bytes (`files(name)` gives a file's bytes
 * or undefined when it cannot be read). Throws WfdbError when the record cannot be read at all
 * (mixed formats in one file, too many samples); a missing file or a failed check is a problem of
 * its signals only.
 */
export function readWfdbSignals(header: WfdbHeader, files: (name: string) => Uint8Array | undefined): WfdbRecord {
  const groups = new Map<string, number[]>()
  header.signals.forEach((s, i) => {
    const g = groups.get(s.file)
    if (g) g.push(i)
    else groups.set(s.file, [i])
  })
  const problems: DecodeProblem[] = []
  const bytes = new Map<string, Uint8Array | undefined>()
  for (const [name, members] of groups) {
    const first = header.signals[members[0]!]!
    for (const m of members) {
      const s = header.signals[m]!
      if (s.format !== first.format || s.byteOffset !== first.byteOffset) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `signals of ${name} differ in format or byte offset`)
    }
    bytes.set(name, files(name))
  }
  let n = header.samplesPerSignal
  if (n === undefined) {
    for (const [name, members] of groups) {
      const b = bytes.get(name)
      if (b) {
        n = samplesInFile(header.signals[members[0]!]!, members.length, b.length)
        break
      }
    }
    n ??= 0
  }
  if (n * header.signals.length > MAX_TOTAL_SAMPLES) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_TOO_LARGE, `${header.signals.length} × ${n} samples, at most ${MAX_TOTAL_SAMPLES} in all`)
  const signals: WfdbSignal[] = header.signals.map((spec) => ({ spec, verified: false }))
  for (const [name, members] of groups) {
    const spec = header.signals[members[0]!]!
    const b = bytes.get(name)
    if (b === undefined) {
      problems.push({ code: FirmwareErrorCode.NEVA_WFDB_FILE_MISSING, reason: `${name} (signals ${members.map((m) => header.signals[m]!.description || m).join(', ')}) cannot be read`, payload: name })
      continue
    }
    const width = members.length
    const need = spec.byteOffset + bytesFor(spec.format, n * width)
    if (b.length < need) {
      problems.push({ code: FirmwareErrorCode.NEVA_WFDB_TRUNCATED, reason: `${name} holds ${b.length} bytes, ${n} samples of ${width} signal(s) in format ${spec.format} need ${need}`, payload: name, offset: b.length })
      continue
    }
    const body = b.subarray(spec.byteOffset)
    members.forEach((m, j) => {
      const out = new Int16Array(n)
      let sum = 0
      for (let i = 0; i < n; i++) {
        const v = sampleAt(spec.format, body, i * width + j)
        out[i] = v
        sum = (sum + v) & 0xffff
      }
      const s = header.signals[m]!
      const label = s.description || `signal ${m}`
      let ok = true
      if (s.checksum !== undefined && sum !== (s.checksum & 0xffff)) {
        ok = false
        problems.push({ code: FirmwareErrorCode.NEVA_WFDB_CHECKSUM, reason: `${label}: samples sum to ${sum >= 0x8000 ? sum - 0x10000 : sum}, the header says ${s.checksum}`, payload: name })
      }
      if (s.initialValue !== undefined && n > 0 && out[0] !== s.initialValue) {
        ok = false
        problems.push({ code: FirmwareErrorCode.NEVA_WFDB_INITIAL_VALUE, reason: `${label}: first sample ${out[0]}, the header says ${s.initialValue}`, payload: name })
      }
      signals[m] = { spec: s, samples: out, verified: ok }
    })
  }
  return { header, samplesPerSignal: n, signals, problems }
}

/** A sample in physical units (mV, bpm…): (adc − baseline) / gain. */
export const physical = (s: WfdbSignalSpec, adc: number): number => (adc - s.baseline) / s.gain
