// Decodes the records of an ASTM E1394 / LIS2-A2 message (H … L) into lab result drafts.
// Pure: no I/O, no clock (the receive time is an option), never throws.
//
// One message may hold several H … L sequences (two messages in one transfer): each H sets the
// delimiters and forgets the patient and order before it.
import { screenIds } from '../ids.js'
import { createHash } from 'node:crypto'
import { LAB_STATUS_MAX } from '@neva/contracts'
import type { Decoded, LabResultDraft, MessageKey } from '../decoded.js'
import { FirmwareErrorCode, type DecodeProblem, type AstmErrorCode } from '../errors.js'
import { DEFAULT_LAB_CODES, lookupLabCode, type LabCodeTable } from '../lab-codes.js'
import { components, field, fieldText, firstComponent, headerDelimiters, parseAstmTime, splitFields, splitRecords, type Delimiters, type RawRecord } from './records.js'

export interface AstmDecodeOptions {
  /** The analyzer, as the gateway config names its port; never taken from the message. */
  deviceId: string
  receivedTime: number
  /** Analyzer code → LOINC; default DEFAULT_LAB_CODES. */
  labCodes?: LabCodeTable
  /** The zone analyzers' clocks are set to (E1394 times carry none), minutes east of UTC. */
  defaultUtcOffsetMinutes?: number
  /**
   * Which components of R-3 (1-based) make the test code, joined with ^. Default: the 4th (the
   * manufacturer's code in `^^^GLU`), see README. E.g. [4, 7, 8] for a GeneXpert, whose
   * analyte results share the 4th component and differ in the 7th and 8th.
   */
  testCodeComponents?: readonly number[]
}

export interface DecodedAstm extends Decoded {
  source: 'astm'
  labResults: LabResultDraft[]
  ignored: DecodeProblem[]
}

/** Bounded work and output per message, whatever the input. */
export const MAX_RECORDS = 20_000
const MAX_COMMENTS = 16
const PAYLOAD_MAX = 65_536
const IGNORED_PAYLOAD_MAX = 256

// Column sizes of contracts/lab-result.ts.
const LIMITS = { test_code: 64, value: 1024, unit: 32, reference_range: 64, abnormal_flag: 8, status: LAB_STATUS_MAX, order_id: 128, patient_id: 128, comment: 1024 } as const

const NO_HEADER = 'no H header record is in force (none came yet, or an L record ended the message), so their delimiters are unknown'
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * The records of one message (the text of its frames, concatenated). Problem offsets are byte
 * offsets in that text.
 */
export function decodeAstmMessage(message: Uint8Array | string, options: AstmDecodeOptions): DecodedAstm {
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message
  const out: DecodedAstm = { source: 'astm', deviceId: options.deviceId, observations: [], labResults: [], problems: [], ignored: [] }
  decodeAstmRecords(bytes, options, out, (o) => o)
  // A result whose sample id, patient id or test code breaks the id rule is kept aside alone.
  return screenIds(out)
}

/** Decodes into `out`; `inputOffset` maps an offset in `bytes` to one in the caller's input. */
export function decodeAstmRecords(bytes: Uint8Array, options: AstmDecodeOptions, out: DecodedAstm, inputOffset: (offset: number) => number): void {
  try {
    decodeRecords(bytes, options, out, inputOffset)
  } catch (err) {
    // Nothing in decodeRecords should throw; if it does, the message is kept aside, not lost.
    out.problems.push({ code: FirmwareErrorCode.NEVA_ASTM_NOT_ASTM, reason: `decoder failed: ${(err as Error).message}`, payload: Buffer.from(bytes.subarray(0, PAYLOAD_MAX)).toString('latin1'), offset: inputOffset(0) })
  }
}

function decodeRecords(bytes: Uint8Array, options: AstmDecodeOptions, out: DecodedAstm, inputOffset: (offset: number) => number): void {
  const table = options.labCodes ?? DEFAULT_LAB_CODES
  const zone = options.defaultUtcOffsetMinutes ?? 0
  const problem = (code: AstmErrorCode, reason: string, record: RawRecord) =>
    out.problems.push({ code, reason, payload: record.text.slice(0, PAYLOAD_MAX), offset: record.offset })
  const ignore = (code: AstmErrorCode, reason: string, record: RawRecord) =>
    out.ignored.push({ code, reason, payload: record.text.slice(0, IGNORED_PAYLOAD_MAX), offset: record.offset })

  let records = splitRecords(bytes).map((r) => ({ offset: inputOffset(r.offset), text: r.text }))
  if (records.length > MAX_RECORDS) {
    const first = records[MAX_RECORDS]!
    problem(FirmwareErrorCode.NEVA_ASTM_TOO_MANY, `message has ${records.length} records; the first ${MAX_RECORDS} were read, the rest refused from offset ${first.offset}`, first)
    records = records.slice(0, MAX_RECORDS)
  }

  let d: Delimiters | undefined
  let headerTime: number | undefined
  // undefined: the record named an id too long to store, so its results cannot be attributed.
  let patient: string | null | undefined = null
  let order: string | null | undefined = null
  let last: LabResultDraft | undefined
  let orphans: RawRecord[] = []
  const flushOrphans = (reason: string, code: AstmErrorCode) => {
    if (orphans.length === 0) return
    const first = orphans[0]!
    const text = orphans.map((r) => r.text).join('\r')
    out.problems.push({ code, reason: `${orphans.length} record(s) from offset ${first.offset}: ${reason}`, payload: text.slice(0, PAYLOAD_MAX), offset: first.offset })
    orphans = []
  }

  for (const record of records) {
    const type = record.text[0]
    if (type === 'H') {
      flushOrphans(NO_HEADER, FirmwareErrorCode.NEVA_ASTM_NO_HEADER)
      const parsed = headerDelimiters(record.text)
      patient = null
      order = null
      last = undefined
      if (typeof parsed === 'string') {
        problem(FirmwareErrorCode.NEVA_ASTM_BAD_DELIMITERS, `H record at offset ${record.offset}: ${parsed}`, record)
        d = undefined
        continue
      }
      d = parsed
      if (headerTime === undefined) {
        const t = parseAstmTime(field(splitFields(record.text, d), 14), zone)
        if (typeof t === 'number') headerTime = t
      }
      continue
    }
    if (!d) {
      orphans.push(record)
      continue
    }
    // E1394: the record type, then the field delimiter (or nothing: `L` alone).
    if (record.text.length > 1 && record.text[1] !== d.field) {
      problem(FirmwareErrorCode.NEVA_ASTM_UNKNOWN_RECORD, `record at offset ${record.offset}: does not start with a record type followed by the field delimiter ${JSON.stringify(d.field)}`, record)
      last = undefined
      continue
    }
    const fields = splitFields(record.text, d)
    switch (type) {
      case 'P':
        // P-3 practice-assigned id, else P-4 laboratory-assigned id, else P-5 (ID No. 3).
        patient = id('patient', firstComponent(field(fields, 3), d) || firstComponent(field(fields, 4), d) || firstComponent(field(fields, 5), d), record)
        order = null
        last = undefined
        break
      case 'O':
        // O-3 specimen id (the host's), else O-4 instrument specimen id.
        order = id('order', firstComponent(field(fields, 3), d) || firstComponent(field(fields, 4), d), record)
        last = undefined
        break
      case 'R': {
        last = undefined
        const result = decodeResult(fields, d, record)
        if ('problem' in result) {
          problem(result.code, result.problem, record)
          break
        }
        if ('ignore' in result) {
          ignore(FirmwareErrorCode.NEVA_ASTM_NO_VALUE, result.ignore, record)
          break
        }
        last = result.draft
        out.labResults.push(last)
        break
      }
      case 'C': {
        const text = fieldText(field(fields, 4), d, ' ', '; ')
        if (!text) break
        if (!last) ignore(FirmwareErrorCode.NEVA_ASTM_COMMENT_DROPPED, `C record at offset ${record.offset}: comment not on a result (it follows a header, patient or order record, or a refused result)`, record)
        else if (last.comments.length >= MAX_COMMENTS) ignore(FirmwareErrorCode.NEVA_ASTM_COMMENT_DROPPED, `C record at offset ${record.offset}: a result keeps at most ${MAX_COMMENTS} comments`, record)
        else if (text.length > LIMITS.comment) ignore(FirmwareErrorCode.NEVA_ASTM_COMMENT_DROPPED, `C record at offset ${record.offset}: comment longer than ${LIMITS.comment} characters`, record)
        else last.comments.push(text)
        break
      }
      case 'M':
        ignore(FirmwareErrorCode.NEVA_ASTM_SKIPPED_RECORD, `M record at offset ${record.offset}: manufacturer-specific (${fieldText(field(fields, 3), d).slice(0, 40) || 'no kind given'})`, record)
        break
      case 'Q':
        ignore(FirmwareErrorCode.NEVA_ASTM_SKIPPED_RECORD, `Q record at offset ${record.offset}: a request for orders, not a result (the gateway answers it when the analyzer has hostQuery)`, record)
        break
      case 'S':
        ignore(FirmwareErrorCode.NEVA_ASTM_SKIPPED_RECORD, `S record at offset ${record.offset}: scientific record, not a result`, record)
        break
      case 'L':
        // The message ends; a following H starts the next.
        d = undefined
        patient = null
        order = null
        last = undefined
        break
      default:
        problem(FirmwareErrorCode.NEVA_ASTM_UNKNOWN_RECORD, `record at offset ${record.offset}: type ${JSON.stringify(record.text.slice(0, 1))} is not an E1394 record (H, P, O, R, C, M, Q, S, L)`, record)
        last = undefined
    }
  }
  flushOrphans(NO_HEADER, FirmwareErrorCode.NEVA_ASTM_NO_HEADER)

  function id(what: 'patient' | 'order', value: string, record: RawRecord): string | null | undefined {
    const limit = LIMITS[what === 'patient' ? 'patient_id' : 'order_id']
    if (value.length <= limit) return value || null
    problem(FirmwareErrorCode.NEVA_ASTM_BAD_ID, `${record.text[0]} record at offset ${record.offset}: ${what} id is ${value.length} characters, Neva stores at most ${limit}`, record)
    return undefined
  }

  function decodeResult(fields: string[], d: Delimiters, record: RawRecord): { draft: LabResultDraft } | { problem: string; code: AstmErrorCode } | { ignore: string } {
    const where = `R record at offset ${record.offset}`
    const test = testCode(field(fields, 3), d, options.testCodeComponents)
    if (!test) return { code: FirmwareErrorCode.NEVA_ASTM_NO_TEST, problem: `${where}: R-3 ${JSON.stringify(field(fields, 3).slice(0, 64))} names no test` }
    const value = fieldText(field(fields, 4), d)
    if (value === '') return { ignore: `${where} (${test}): no value, no result` }
    if (patient === undefined || order === undefined) return { code: FirmwareErrorCode.NEVA_ASTM_BAD_ID, problem: `${where} (${test}): its ${patient === undefined ? 'patient' : 'specimen'} id was refused` }
    const draft: LabResultDraft = {
      device_id: options.deviceId,
      source: 'astm',
      order_id: order,
      patient_id: patient,
      test_code: test,
      loinc: lookupLabCode(table, test)?.loinc ?? null,
      value,
      numeric_value: PLAIN_NUMBER.test(value) && Number.isFinite(Number(value)) ? Number(value) : null,
      unit: fieldText(field(fields, 5), d),
      // Yumizen appends the range's kind as a second component (`84.0 - 94.0^REFERENCE_RANGE`).
      reference_range: components(field(fields, 6), d)[0]?.trim() ?? '',
      abnormal_flag: fieldText(field(fields, 7), d) || null,
      status: fieldText(field(fields, 9), d),
      result_time: null,
      received_time: options.receivedTime,
      comments: [],
    }
    for (const key of ['test_code', 'value', 'unit', 'reference_range', 'abnormal_flag', 'status'] as const) {
      const v = draft[key]
      if (v !== null && v.length > LIMITS[key]) {
        return { code: FirmwareErrorCode.NEVA_ASTM_FIELD_TOO_LONG, problem: `${where} (${test}): ${key} is ${v.length} characters, Neva stores at most ${LIMITS[key]}` }
      }
    }
    // R-13 when the test completed; some analyzers (DCA Vantage) fill only R-12, when it started.
    for (const n of [13, 12]) {
      const raw = field(fields, n)
      const t = parseAstmTime(raw, zone)
      if (typeof t === 'number') {
        draft.result_time = t
        break
      }
      if (t === 'invalid') ignore(FirmwareErrorCode.NEVA_ASTM_BAD_TIME, `${where} (${test}): R-${n} ${JSON.stringify(raw.slice(0, 32))} is not a date and time YYYYMMDD[HHMM[SS]]; not used`, record)
    }
    return { draft }
  }

  if (out.labResults.length > 0 || out.problems.length > 0) out.key = messageKey(bytes, options.deviceId, headerTime, out.labResults)
}

/**
 * The test code from R-3, the universal test id `code^name^type^manufacturer's code^…`.
 * Default: the 4th component (LIS2-A2's manufacturer's local code, `^^^GLU`); when it is empty,
 * the first non-empty one after it (Sysmex `^^^^WBC^1`), else the 1st or 2nd.
 */
export function testCode(raw: string, d: Delimiters, chosen?: readonly number[]): string {
  const parts = components(raw, d).map((c) => c.trim())
  if (chosen && chosen.length > 0) return chosen.map((n) => parts[n - 1] ?? '').filter((c) => c !== '').join('^')
  const after = parts.slice(3).find((c) => c !== '')
  return after ?? (parts[1] || parts[0] || '')
}

/**
 * A resend of a message (its last frame's ACK was lost) carries the same bytes: the identity is
 * their hash, placed at the message's time (H-14, else its earliest result). A message with
 * no time at all gets no identity; it could be a new one with the same content.
 */
function messageKey(bytes: Uint8Array, device: string, headerTime: number | undefined, results: LabResultDraft[]): MessageKey | undefined {
  let time = headerTime
  if (time === undefined) for (const r of results) if (r.result_time !== null) time = Math.min(time ?? Infinity, r.result_time)
  if (time === undefined) return undefined
  return { device, time, hash: createHash('sha256').update(bytes).digest('base64url').slice(0, 22) }
}
