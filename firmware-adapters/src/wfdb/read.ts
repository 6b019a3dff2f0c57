// A WFDB record from disk: the header, then the signal files it names, each looked up only
// beside the header (names were validated as plain file names when the header was parsed).
import { readFileSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { FirmwareErrorCode, type DecodeProblem } from '../errors.js'
import { MAX_HEADER_BYTES, MAX_TOTAL_SAMPLES, parseWfdbHeader, WfdbError } from './header.js'
import { readWfdbSignals, type WfdbRecord } from './signals.js'

export type WfdbResult = { ok: true; record: WfdbRecord } | { ok: false; problem: DecodeProblem }

/** A record from its header text and a file lookup; never throws for bad input. */
export function decodeWfdb(headerText: string, files: (name: string) => Uint8Array | undefined): WfdbResult {
  try {
    return { ok: true, record: readWfdbSignals(parseWfdbHeader(headerText), files) }
  } catch (err) {
    if (err instanceof WfdbError) return { ok: false, problem: { code: err.code, reason: err.message, payload: headerText.slice(0, 200) } }
    throw err
  }
}

/** Reads FILE.hea and the signal files beside it. */
export function readWfdbRecord(headerPath: string): WfdbResult {
  let text: string
  try {
    if (statSync(headerPath).size > MAX_HEADER_BYTES) return { ok: false, problem: { code: FirmwareErrorCode.NEVA_WFDB_TOO_LARGE, reason: `${basename(headerPath)} is larger than ${MAX_HEADER_BYTES} bytes`, payload: '' } }
    text = readFileSync(headerPath, 'utf8')
  } catch (err) {
    return { ok: false, problem: { code: FirmwareErrorCode.NEVA_WFDB_FILE_MISSING, reason: `${basename(headerPath)}: ${(err as Error).message}`, payload: '' } }
  }
  const dir = dirname(headerPath)
  return decodeWfdb(text, (name) => {
    try {
      const path = join(dir, name)
      // A signal file larger than any record the reader accepts is not read whole.
      if (statSync(path).size > 2 * MAX_TOTAL_SAMPLES + 1024) return undefined
      return readFileSync(path)
    } catch {
      return undefined
    }
  })
}
