// neva decode --protocol hl7v2|astm|oximeter-ascii|oximeter-binary FILE: a capture from a device
// (raw bytes as it sent them; for HL7 also a file of messages, one after another) → one NDJSON
// line per observation, lab result or alarm update (HL7 ORU^R40) on stdout, with the field names of `contracts`; problems on
// stderr with their byte offset and reason. Exit 0 when everything decoded, 1 when something
// did not. Deliberately skipped parts (device hierarchy entries, values marked invalid) are counted on
// stderr and listed with --verbose; they are not failures.
import { readFileSync } from 'node:fs'
import {
  FirmwareErrorCode, MLLP_START, MllpDeframer, decodeAstmCapture, decodeHl7, decodeOximeterCapture, labCodeTable, readWfdbRecord, wfdbSummary,
  type Decoded, type DecodeProblem, type LabCode, type LabCodeTable,
} from '@neva/firmware-adapters'
import { numberOption, parse, UsageError } from '../args.js'

const PROTOCOLS = ['hl7v2', 'astm', 'oximeter-ascii', 'oximeter-binary'] as const
type Protocol = (typeof PROTOCOLS)[number]

export interface DecodeOptions {
  protocol: Protocol
  deviceId: string
  patientId: string
  utcOffsetMinutes: number
  labCodes: LabCodeTable
  /** Receive time for what carries no clock (binary oximeter frames): the capture's start. */
  receivedTime: number
}

export interface DecodedFile {
  records: object[]
  problems: DecodeProblem[]
  ignored: DecodeProblem[]
}

/** Offsets of each HL7 message in a file: MLLP frames when it has them, else each MSH segment starts one. */
export function splitHl7File(bytes: Uint8Array, maxMessageBytes = 1024 * 1024): { messages: Array<{ offset: number; bytes: Uint8Array }>; problems: DecodeProblem[] } {
  if (bytes.includes(MLLP_START)) {
    const deframer = new MllpDeframer({ maxFrameBytes: maxMessageBytes })
    const out = deframer.push(bytes)
    // Offsets inside a message count from its first byte, after the start block.
    const messages = out.messages.map((m, i) => ({ offset: out.offsets[i]! + 1, bytes: m }))
    return { messages, problems: [...out.problems, ...deframer.end()] }
  }
  const starts: number[] = []
  for (let i = 0; i + 3 <= bytes.length; i++) {
    const atSegmentStart = i === 0 || bytes[i - 1] === 0x0d || bytes[i - 1] === 0x0a
    if (atSegmentStart && bytes[i] === 0x4d && bytes[i + 1] === 0x53 && bytes[i + 2] === 0x48) starts.push(i)
  }
  const problems: DecodeProblem[] = []
  const leading = starts.length === 0 ? bytes.length : starts[0]!
  if (new TextDecoder().decode(bytes.subarray(0, leading)).trim() !== '') {
    problems.push({ code: FirmwareErrorCode.NEVA_HL7V2_NO_MSH, reason: `${leading} bytes before the first MSH segment are not an HL7 message`, payload: '', offset: 0 })
  }
  const messages = starts.map((s, k) => ({ offset: s, bytes: bytes.subarray(s, starts[k + 1] ?? bytes.length) }))
  return { messages, problems }
}

const at = (p: DecodeProblem, base: number): DecodeProblem => ({ ...p, offset: base + (p.offset ?? 0) })

export function decodeFile(bytes: Uint8Array, o: DecodeOptions): DecodedFile {
  const out: DecodedFile = { records: [], problems: [], ignored: [] }
  const add = (d: Decoded, base = 0) => {
    out.records.push(...d.observations, ...(d.labResults ?? []), ...(d.alarms ?? []), ...(d.infusionEvents ?? []))
    out.problems.push(...d.problems.map((p) => at(p, base)))
    out.ignored.push(...(d.ignored ?? []).map((p) => at(p, base)))
  }
  switch (o.protocol) {
    case 'hl7v2': {
      const { messages, problems } = splitHl7File(bytes)
      out.problems.push(...problems)
      for (const m of messages) add(decodeHl7(m.bytes, o.receivedTime, { labCodes: o.labCodes, defaultUtcOffsetMinutes: o.utcOffsetMinutes, fallbackDeviceId: o.deviceId }), m.offset)
      break
    }
    case 'astm':
      add(decodeAstmCapture(bytes, { deviceId: o.deviceId, receivedTime: o.receivedTime, labCodes: o.labCodes, defaultUtcOffsetMinutes: o.utcOffsetMinutes }))
      break
    case 'oximeter-ascii':
    case 'oximeter-binary':
      add(decodeOximeterCapture(bytes, o.protocol === 'oximeter-ascii' ? 'ascii' : 'binary', {
        deviceId: o.deviceId, patientId: o.patientId, receivedTime: o.receivedTime, defaultUtcOffsetMinutes: o.utcOffsetMinutes,
      }))
      break
  }
  return out
}

function readLabCodes(path: string | undefined): LabCodeTable {
  if (!path) return labCodeTable()
  try {
    return labCodeTable(JSON.parse(readFileSync(path, 'utf8')) as Record<string, LabCode>)
  } catch (err) {
    throw new UsageError(`--lab-codes ${path}: ${(err as Error).message}`)
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    protocol: { type: 'string' },
    'device-id': { type: 'string', default: 'capture' },
    'patient-id': { type: 'string', default: 'unknown' },
    'utc-offset-minutes': { type: 'string' },
    'lab-codes': { type: 'string' },
    'received-time': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  }, true)
  if (values.protocol === 'wfdb') return decodeWfdbCommand(positionals, values.json)
  const protocol = values.protocol as Protocol | undefined
  if (!protocol || !PROTOCOLS.includes(protocol)) throw new UsageError(`--protocol: one of ${PROTOCOLS.join(', ')}, wfdb`)
  if (positionals.length !== 1) throw new UsageError('name one capture file: neva decode --protocol P FILE')
  const file = positionals[0]!
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (err) {
    throw new UsageError(`${file}: ${(err as Error).message}`)
  }
  const result = decodeFile(bytes, {
    protocol,
    deviceId: values['device-id'],
    patientId: values['patient-id'],
    utcOffsetMinutes: numberOption(values['utc-offset-minutes'], 'utc-offset-minutes', 0, { min: -720, integer: true }),
    labCodes: readLabCodes(values['lab-codes']),
    receivedTime: values['received-time'] === undefined ? Date.now() : numberOption(values['received-time'], 'received-time', 0, { integer: true }),
  })
  process.stdout.write(result.records.map((r) => `${JSON.stringify(r)}\n`).join(''))
  for (const p of result.problems) process.stderr.write(`${file}: offset ${p.offset ?? 0}: ${p.code}: ${p.reason}\n`)
  if (values.verbose) for (const p of result.ignored) process.stderr.write(`${file}: offset ${p.offset ?? 0}: ignored: ${p.reason}\n`)
  else if (result.ignored.length > 0) process.stderr.write(`${file}: ${result.ignored.length} part(s) deliberately not decoded (device entries, values the device marks invalid, codes Neva does not know); --verbose lists them\n`)
  process.stderr.write(`${file}: ${result.records.length} record(s), ${result.problems.length} problem(s)\n`)
  return result.problems.length === 0 ? 0 : 1
}

/** neva decode --protocol wfdb FILE.hea [--json]: the record's summary, each signal's checks. */
function decodeWfdbCommand(positionals: string[], json: boolean): number {
  if (positionals.length !== 1) throw new UsageError('name one header file: neva decode --protocol wfdb FILE.hea')
  const file = positionals[0]!
  const r = readWfdbRecord(file)
  if (!r.ok) {
    process.stderr.write(`${file}: ${r.problem.code}: ${r.problem.reason}\n`)
    return 1
  }
  const s = wfdbSummary(r.record)
  if (json) process.stdout.write(`${JSON.stringify(s)}\n`)
  else {
    process.stdout.write(`record ${s.record}: ${s.signals.length} signal(s) at ${s.samplingHz} Hz, ${s.samplesPerSignal} samples each (${s.seconds.toFixed(1)} s)\n`)
    for (const g of s.signals) {
      process.stdout.write(`  ${(g.description || '-').padEnd(8)} ${g.file} format ${g.format}, ${g.gain} adu/${g.units}, baseline ${g.baseline}: checksum ${g.checksum}, initial value ${g.initialValue}${g.adcMin === undefined ? '' : `, ADC ${g.adcMin}..${g.adcMax}`}\n`)
    }
    for (const c of s.comments.filter((c) => c !== '')) process.stdout.write(`  # ${c}\n`)
  }
  for (const p of s.problems) process.stderr.write(`${file}: ${p.code}: ${p.reason}\n`)
  return s.problems.length === 0 ? 0 : 1
}
