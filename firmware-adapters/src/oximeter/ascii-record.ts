// One record of the Masimo-Radical-like "ASCII 1" serial output, decoded and encoded:
//
//   11/25/26 10:30:01 SN=0000123456 SPO2=098% BPM=072 PI=03.45 SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800
//
// Local date (MM/DD/YY) and time, then KEY=VALUE fields. Dashes are "no value". The exception
// field (EXC, some firmware EXCPT) is a hex bit set; see README.md for the bits and the flags
// they become.
import type { QualityFlag } from '@neva/contracts'
import type { Decoded } from '../decoded.js'
import { isProblem, makeReading, problem, type OximeterOptions, type OximeterVital } from './common.js'
import { FirmwareErrorCode } from '../errors.js'

/** Masimo exception bits (Rad-8 / Radical operator's manuals, "exception messages"). */
export const MASIMO_EXCEPTION = {
  NO_SENSOR: 0x001,
  DEFECTIVE_SENSOR: 0x002,
  LOW_PERFUSION: 0x004,
  PULSE_SEARCH: 0x008,
  INTERFERENCE: 0x010,
  SENSOR_OFF: 0x020,
  AMBIENT_LIGHT: 0x040,
  UNRECOGNIZED_SENSOR: 0x080,
  LOW_SIGNAL_IQ: 0x400,
  /** Algorithm in full SET mode: the normal state, not a problem. */
  SET_MODE: 0x800,
} as const

const E = MASIMO_EXCEPTION
const SENSOR_OFF_BITS = E.NO_SENSOR | E.SENSOR_OFF
const ARTIFACT_BITS = E.PULSE_SEARCH | E.INTERFERENCE | E.AMBIENT_LIGHT | E.LOW_SIGNAL_IQ
const QUESTIONABLE_BITS = E.DEFECTIVE_SENSOR | E.LOW_PERFUSION | E.UNRECOGNIZED_SENSOR

/** The quality flags an exception bit set means for the readings of its record. */
export function masimoExceptionFlags(bits: number): QualityFlag[] {
  const flags: QualityFlag[] = []
  if (bits & SENSOR_OFF_BITS) flags.push('sensor_off')
  if (bits & ARTIFACT_BITS) flags.push('artifact')
  if (bits & QUESTIONABLE_BITS) flags.push('questionable')
  return flags
}

/** Parameters the record carries that are not vital signs Neva stores: counted as ignored when they have a value. */
const NOT_STORED: Record<string, string> = {
  PI: 'perfusion index',
  SPCO: 'carboxyhaemoglobin',
  SPMET: 'methaemoglobin',
  SPHB: 'total haemoglobin',
  SPOC: 'oxygen content',
  PVI: 'pleth variability index',
  DESAT: 'desaturation index',
  PIDELTA: 'perfusion index delta',
  RRA: 'acoustic respiration rate',
}
const VITAL_KEYS: Record<string, OximeterVital> = { SPO2: 'spo2', BPM: 'pulse_rate' }

const DATE = /^(\d{2})\/(\d{2})\/(\d{2})$/
const TIME = /^(\d{2}):(\d{2}):(\d{2})$/
const NUMBER = /^(\d{1,3}(?:\.\d+)?)%?$/
const NO_VALUE = /^[+-]?-+(?:\.-+)?%?$/
const HEX = /^([0-9A-Fa-f]{1,8})(?::[A-Za-z0-9,]*)?$/
const UNPRINTABLE = /[^\x20-\x7e\t]/
const MIN_PLAUSIBLE_MS = Date.UTC(2001, 0, 1)
const MAX_FUTURE_MS = 24 * 3600_000
const DEFAULT_MAX_LAG_MS = 24 * 3600_000

/**
 * Device date and time as epoch ms, or undefined when they are no calendar date. Two-digit
 * years are 20YY; the clock shows the zone `offsetMinutes` east of UTC.
 */
export function recordTime(date: string, time: string, offsetMinutes: number): number | undefined {
  const d = DATE.exec(date)
  const t = TIME.exec(time)
  if (!d || !t) return undefined
  const [month, day, year] = [Number(d[1]), Number(d[2]), 2000 + Number(d[3])]
  const [h, m, s] = [Number(t[1]), Number(t[2]), Number(t[3])]
  if (month < 1 || month > 12 || day < 1 || h > 23 || m > 59 || s > 59) return undefined
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined
  return Date.UTC(year, month - 1, day, h, m, s) - offsetMinutes * 60_000
}

/**
 * Decodes one record (a line without its line end) into `out`. `offset` is where the line
 * starts in the stream; every problem names it.
 */
export function decodeAsciiRecord(line: string, offset: number, receivedTime: number, options: OximeterOptions, out: Decoded): void {
  const payload = line
  const refuse = (reason: string) => out.problems.push(problem(FirmwareErrorCode.NEVA_OXIMETER_NOT_A_RECORD, `line at byte ${offset}: ${reason}`, payload, offset))
  const bad = UNPRINTABLE.exec(line)
  if (bad) return void refuse(`unprintable byte 0x${bad[0].charCodeAt(0).toString(16).padStart(2, '0')} at column ${bad.index + 1}`)
  const tokens = line.trim().split(/[ \t]+/)
  if (tokens.length < 4 || !DATE.test(tokens[0]!) || !TIME.test(tokens[1]!)) {
    return void refuse('expected "MM/DD/YY HH:MM:SS" followed by KEY=VALUE fields')
  }
  const fields = new Map<string, string>()
  for (const token of tokens.slice(2)) {
    const eq = token.indexOf('=')
    if (eq <= 0) return void refuse(`stray token ${JSON.stringify(token.slice(0, 32))} (not KEY=VALUE)`)
    const key = token.slice(0, eq).toUpperCase()
    if (!fields.has(key)) fields.set(key, token.slice(eq + 1))
  }
  if (!fields.has('SPO2') || !fields.has('BPM')) return void refuse('no SPO2= and BPM= fields')

  const flags: QualityFlag[] = []
  let sensorAbsent = false
  const exception = fields.get('EXC') ?? fields.get('EXCPT')
  if (exception !== undefined) {
    const hex = HEX.exec(exception)
    if (hex) {
      const bits = parseInt(hex[1]!, 16)
      flags.push(...masimoExceptionFlags(bits))
      sensorAbsent = (bits & (SENSOR_OFF_BITS | E.PULSE_SEARCH)) !== 0
    } else {
      // The readings stay, marked: without the exception bits their quality is unknown.
      flags.push('questionable')
      out.problems.push(problem(FirmwareErrorCode.NEVA_OXIMETER_BAD_FIELD, `line at byte ${offset}: exception field ${JSON.stringify(exception.slice(0, 32))} is not hexadecimal`, payload, offset))
    }
  }

  let deviceTime = recordTime(tokens[0]!, tokens[1]!, options.defaultUtcOffsetMinutes ?? 0)
  const maxLag = options.maxClockLagMs ?? DEFAULT_MAX_LAG_MS
  if (deviceTime === undefined || deviceTime < MIN_PLAUSIBLE_MS || deviceTime > receivedTime + MAX_FUTURE_MS || deviceTime < receivedTime - maxLag) {
    // A wrong device clock must not lose the reading nor file it years away.
    deviceTime = receivedTime
    flags.push('clock_suspect')
  }

  for (const [key, value] of fields) {
    const vital = VITAL_KEYS[key]
    if (vital === undefined) {
      const what = NOT_STORED[key]
      if (what !== undefined && !NO_VALUE.test(value)) {
        ;(out.ignored ??= []).push(problem(FirmwareErrorCode.NEVA_OXIMETER_NOT_STORED, `${key}=${value}: ${what} is not a vital sign Neva stores`, payload, offset))
      }
      continue
    }
    if (NO_VALUE.test(value)) continue
    const number = NUMBER.exec(value)
    if (!number) {
      out.problems.push(problem(FirmwareErrorCode.NEVA_OXIMETER_BAD_FIELD, `line at byte ${offset}: ${key}=${JSON.stringify(value.slice(0, 32))} is neither a number nor dashes`, payload, offset))
      continue
    }
    const n = Number(number[1])
    // Devices pad "no value" with zeros while the sensor is off or searching: that is no reading.
    if (n === 0 && sensorAbsent) continue
    const r = makeReading(options, vital, n, deviceTime, receivedTime, flags, { what: `line at byte ${offset}: ${key}`, offset, payload })
    if (isProblem(r)) out.problems.push(r)
    else out.observations.push(r)
  }
}

export interface OximeterAsciiRecord {
  /** Device clock, epoch ms; written in the zone `utcOffsetMinutes` east of UTC, to the second. */
  time: number
  /** Absent: written as dashes. */
  spo2?: number
  pulseRate?: number
  perfusionIndex?: number
  /** Masimo exception bits (MASIMO_EXCEPTION); 0x800 (SET mode) is the normal state. */
  exception?: number
  alarm?: number
  serialNumber?: string
}

export interface OximeterAsciiEncodeOptions {
  utcOffsetMinutes?: number
  /** The exception field's name: EXC on Rad-8 firmware, EXCPT on some others. Default EXC. */
  exceptionKey?: 'EXC' | 'EXCPT'
}

const pad = (n: number, width: number) => String(Math.trunc(n)).padStart(width, '0')

/** One record with its CR LF, as the device writes it. */
export function encodeOximeterAsciiRecord(r: OximeterAsciiRecord, options: OximeterAsciiEncodeOptions = {}): string {
  const local = new Date(r.time + (options.utcOffsetMinutes ?? 0) * 60_000)
  const date = `${pad(local.getUTCMonth() + 1, 2)}/${pad(local.getUTCDate(), 2)}/${pad(local.getUTCFullYear() % 100, 2)}`
  const time = `${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}`
  const spo2 = r.spo2 === undefined ? '---' : pad(Math.round(r.spo2), 3)
  const bpm = r.pulseRate === undefined ? '---' : pad(Math.round(r.pulseRate), 3)
  const pi = r.perfusionIndex === undefined ? '--.--' : r.perfusionIndex.toFixed(2).padStart(5, '0')
  const exception = (r.exception ?? E.SET_MODE).toString(16).toUpperCase().padStart(6, '0')
  const alarm = (r.alarm ?? 0).toString(16).toUpperCase().padStart(4, '0')
  return `${date} ${time} SN=${r.serialNumber ?? '0000000000'} SPO2=${spo2}% BPM=${bpm} PI=${pi}% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=${alarm} ${options.exceptionKey ?? 'EXC'}=${exception}\r\n`
}
