// The WFDB header (.hea): one record line, one line per signal, comments. Parsed strictly, with
// caps, so a garbled header is refused with the line that broke it rather than misread.
import { FirmwareErrorCode, type WfdbErrorCode } from '../errors.js'

export const MAX_HEADER_BYTES = 256 * 1024
export const MAX_SIGNALS = 64
/** Samples of all signals together: 30 min of record 100 is 1.3 M; 64 M is a hard ceiling. */
export const MAX_TOTAL_SAMPLES = 64 * 1024 * 1024
export const SUPPORTED_FORMATS = [16, 80, 212] as const
export type WfdbFormat = (typeof SUPPORTED_FORMATS)[number]

export interface WfdbSignalSpec {
  /** Signal file name, beside the header (validated: no folder, no "..", plain characters). */
  file: string
  format: WfdbFormat
  /** Bytes to skip at the start of the file (format "16+24": a MATLAB v4 .mat header). */
  byteOffset: number
  /** ADC units per physical unit (200 when the header gives none or 0). */
  gain: number
  /** ADC value of physical zero (the header's "(baseline)", else the ADC zero). */
  baseline: number
  units: string
  adcResolution: number
  adcZero: number
  initialValue?: number
  checksum?: number
  description: string
}

export interface WfdbHeader {
  record: string
  samplingHz: number
  /** Samples per signal; undefined when the header leaves it to the file's length. */
  samplesPerSignal?: number
  /** hh:mm:ss[.sss] and dd/mm/yyyy when the header carries them. */
  baseTime?: string
  baseDate?: string
  signals: WfdbSignalSpec[]
  /** Comment lines, without the leading "#". */
  comments: string[]
}

export class WfdbError extends Error {
  constructor(readonly code: WfdbErrorCode, reason: string) {
    super(reason)
  }
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const INTEGER = /^[+-]?\d{1,10}$/
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$/
// gain[(baseline)][/units]
const GAIN = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?)(?:\(([+-]?\d{1,10})\))?(?:\/(\S{1,32}))?$/
// format[xsamp][:skew][+offset]
const FORMAT = /^(\d{1,3})(?:x(\d{1,4}))?(?::(\d{1,6}))?(?:\+(\d{1,10}))?$/

function int(token: string, what: string, line: number): number {
  if (!INTEGER.test(token)) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${line}: ${what} "${token.slice(0, 40)}" is not an integer`)
  return Number(token)
}

function parseRecordLine(tokens: string[], line: number): Omit<WfdbHeader, 'signals' | 'comments'> & { nsig: number } {
  const [name, nsigToken, freqToken, nsampToken, baseTime, baseDate] = tokens
  if (name === undefined || nsigToken === undefined) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${line}: the record line needs a name and a signal count`)
  if (name.includes('/')) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_UNSUPPORTED, `line ${line}: "${name.slice(0, 40)}" is a multi-segment record; the reader reads single-segment records`)
  if (!FILE_NAME.test(name)) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${line}: record name "${name.slice(0, 40)}" is not a plain name`)
  const nsig = int(nsigToken, 'signal count', line)
  if (nsig < 1) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_UNSUPPORTED, `line ${line}: a record without signals holds no samples`)
  if (nsig > MAX_SIGNALS) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_TOO_LARGE, `line ${line}: ${nsig} signals, at most ${MAX_SIGNALS}`)
  // fs[/counterfreq[(basecounter)]]: the counter frequency does not change the samples.
  const freq = (freqToken ?? '250').split('/')[0]!
  if (!NUMBER.test(freq) || !(Number(freq) > 0) || Number(freq) > 100_000) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${line}: sampling frequency "${(freqToken ?? '').slice(0, 40)}" is not a positive number up to 100 kHz`)
  let samplesPerSignal: number | undefined
  if (nsampToken !== undefined) {
    samplesPerSignal = int(nsampToken, 'samples per signal', line)
    if (samplesPerSignal < 0) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${line}: negative sample count`)
    if (samplesPerSignal === 0) samplesPerSignal = undefined // 0: "unknown", the file's length says
    else if (samplesPerSignal * nsig > MAX_TOTAL_SAMPLES) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_TOO_LARGE, `line ${line}: ${nsig} × ${samplesPerSignal} samples, at most ${MAX_TOTAL_SAMPLES} in all`)
  }
  return { record: name, nsig, samplingHz: Number(freq), samplesPerSignal, baseTime, baseDate }
}

function parseSignalLine(tokens: string[], line: number): WfdbSignalSpec {
  const [file, formatToken, gainToken, resToken, zeroToken, initToken, sumToken, blockToken, ...rest] = tokens
  if (file === undefined || formatToken === undefined) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${line}: a signal line needs a file name and a format`)
  if (file === '-' || !FILE_NAME.test(file)) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_FILE_NAME, `line ${line}: signal file "${file.slice(0, 40)}" is not a plain file name beside the header`)
  const f = FORMAT.exec(formatToken)
  if (!f) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${line}: format "${formatToken.slice(0, 40)}" is not format[xsamples][:skew][+offset]`)
  const format = Number(f[1])
  if (!(SUPPORTED_FORMATS as readonly number[]).includes(format)) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_UNSUPPORTED, `line ${line}: storage format ${format} (the reader reads ${SUPPORTED_FORMATS.join(', ')})`)
  if (f[2] !== undefined && Number(f[2]) !== 1) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_UNSUPPORTED, `line ${line}: ${f[2]} samples per frame (the reader reads one)`)
  if (f[3] !== undefined && Number(f[3]) !== 0) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_UNSUPPORTED, `line ${line}: skew ${f[3]} (the reader reads unskewed signals)`)
  const byteOffset = f[4] === undefined ? 0 : Number(f[4])
  let gain = 200
  let units = 'mV'
  let baselineToken: string | undefined
  if (gainToken !== undefined) {
    const g = GAIN.exec(gainToken)
    if (!g) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${line}: gain "${gainToken.slice(0, 40)}" is not gain[(baseline)][/units]`)
    const value = Number(g[1])
    if (!Number.isFinite(value) || value < 0) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${line}: gain ${g[1]} is not a non-negative number`)
    if (value > 0) gain = value // 0 means "uncalibrated": WFDB's default 200
    baselineToken = g[2]
    if (g[3] !== undefined) units = g[3]
  }
  const adcResolution = resToken === undefined ? (format === 212 ? 12 : format === 16 ? 16 : 8) : int(resToken, 'ADC resolution', line)
  const adcZero = zeroToken === undefined ? 0 : int(zeroToken, 'ADC zero', line)
  const baseline = baselineToken === undefined ? adcZero : Number(baselineToken)
  const initialValue = initToken === undefined ? undefined : int(initToken, 'initial value', line)
  const checksum = sumToken === undefined ? undefined : int(sumToken, 'checksum', line)
  if (blockToken !== undefined) int(blockToken, 'block size', line)
  return { file, format: format as WfdbFormat, byteOffset, gain, baseline, units, adcResolution, adcZero, initialValue, checksum, description: rest.join(' ') }
}

/** Parses a header's text; throws WfdbError naming the line that is wrong. */
export function parseWfdbHeader(text: string): WfdbHeader {
  if (text.length > MAX_HEADER_BYTES) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_TOO_LARGE, `header is ${text.length} characters, at most ${MAX_HEADER_BYTES}`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/.test(text)) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, 'header holds control characters or bytes that are not UTF-8 text')
  const comments: string[] = []
  let head: ReturnType<typeof parseRecordLine> | undefined
  const signals: WfdbSignalSpec[] = []
  const lines = text.split(/\r?\n|\r/)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const hash = raw.indexOf('#')
    if (hash >= 0) comments.push(raw.slice(hash + 1).trim())
    const content = (hash >= 0 ? raw.slice(0, hash) : raw).trim()
    if (content === '') continue
    const tokens = content.split(/[ \t]+/)
    if (head === undefined) head = parseRecordLine(tokens, i + 1)
    else if (signals.length < head.nsig) signals.push(parseSignalLine(tokens, i + 1))
    else throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `line ${i + 1}: more signal lines than the ${head.nsig} the record line announces`)
  }
  if (head === undefined) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, 'header has no record line')
  if (signals.length < head.nsig) throw new WfdbError(FirmwareErrorCode.NEVA_WFDB_BAD_HEADER, `the record line announces ${head.nsig} signals, the header describes ${signals.length}`)
  const { nsig: _nsig, ...rest } = head
  return { ...rest, signals, comments }
}
