// Reader of the PhysioNet/CinC Challenge 2012 set A (Silva et al., Computing in Cardiology
// 2012;39:245-248; ODC-By 1.0): one `RecordID.txt` per ICU stay, `Time,Parameter,Value` lines,
// time HH:MM since ICU admission; general descriptors at 00:00; -1 marks a missing value.
// Reads the extracted directory or the tar.gz itself (unpacked in memory, never to disk). The one
// set-A stay parser: the replay and the deterioration model (cli) both read stays through it.
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { gunzipSync } from 'node:zlib'

/** Descriptors recorded once, at 00:00 (Weight may be recorded again later as a measurement). */
export const PHYSIONET2012_DESCRIPTORS = ['RecordID', 'Age', 'Gender', 'Height', 'ICUType', 'Weight'] as const

export interface Physionet2012Reading {
  /** Minutes since ICU admission. */
  minute: number
  parameter: string
  value: number
}

export interface Physionet2012Stay {
  recordId: string
  /** Descriptors present (a -1 is left out: missing). */
  descriptors: Partial<Record<(typeof PHYSIONET2012_DESCRIPTORS)[number], number>>
  /** Time series ordered by minute (file order within a minute); missing markers and unreadable lines are left out. */
  readings: Physionet2012Reading[]
  /** Lines left out, with why (a malformed line is named, never guessed at). */
  skipped: { line: number; reason: string }[]
}

const TIME = /^(\d{1,3}):([0-5]\d)$/

/** Parses one stay's text. */
export function parsePhysionet2012Stay(text: string, name = 'record'): Physionet2012Stay {
  const stay: Physionet2012Stay = { recordId: name.replace(/\.txt$/, ''), descriptors: {}, readings: [], skipped: [] }
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, i) => {
    const line = raw.trim()
    if (line === '') return
    if (i === 0) {
      if (line !== 'Time,Parameter,Value') stay.skipped.push({ line: 1, reason: `expected header "Time,Parameter,Value", got ${JSON.stringify(line.slice(0, 40))}` })
      return
    }
    const [time, parameter, valueText, ...rest] = line.split(',')
    const t = TIME.exec(time ?? '')
    const value = Number(valueText)
    if (!t || !parameter || valueText === undefined || valueText.trim() === '' || rest.length > 0 || !Number.isFinite(value)) {
      stay.skipped.push({ line: i + 1, reason: `not Time,Parameter,Value: ${JSON.stringify(line.slice(0, 80))}` })
      return
    }
    // -1 is set A's missing marker; no recorded parameter has -1 as a real value.
    if (value === -1) return
    const minute = Number(t[1]) * 60 + Number(t[2])
    if (minute === 0 && (PHYSIONET2012_DESCRIPTORS as readonly string[]).includes(parameter) && !(parameter in stay.descriptors)) {
      stay.descriptors[parameter as (typeof PHYSIONET2012_DESCRIPTORS)[number]] = value
      if (parameter === 'RecordID') stay.recordId = String(value)
      return
    }
    stay.readings.push({ minute, parameter, value })
  })
  stay.readings.sort((a, b) => a.minute - b.minute)
  return stay
}

/**
 * A tar archive's regular files (ustar, with GNU long names), read from memory. Garbage ends the
 * listing; it never throws and never reads past the buffer.
 */
export function* tarFiles(bytes: Uint8Array): Generator<{ name: string; data: Buffer }> {
  const tar = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  let longName: string | undefined
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every((b) => b === 0)) return
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('latin1').replace(/\0.*$/s, '')
    const size = parseInt(field(124, 12).trim() || '0', 8)
    if (!Number.isFinite(size) || size < 0) return
    const type = field(156, 1)
    // The name prefix is a ustar field; older formats keep other things at that offset.
    const prefix = field(257, 6).startsWith('ustar') ? field(345, 155) : ''
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))
    longName = undefined
    const data = tar.subarray(offset + 512, offset + 512 + size)
    offset += 512 + Math.ceil(size / 512) * 512
    if (type === 'L') longName = data.toString('latin1').replace(/\0.*$/s, '')
    else if (type === '0' || type === '') yield { name, data }
  }
}

const RECORD_FILE = /^\d+\.txt$/
const SET_ARCHIVE = /^set-[a-z]\.tar\.gz$/

/**
 * The stays in `source`, in RecordID order; `limit` stops after that many. `source` is a
 * .tar.gz of RecordID.txt files (set-a.tar.gz), a directory of RecordID.txt files, a directory
 * holding one set-?.tar.gz (held-out sets come as set-b, set-c…), or a directory whose
 * subdirectories (one level down, e.g. set-a/) hold the files.
 */
export function readPhysionet2012(source: string, limit = Infinity): Physionet2012Stay[] {
  const out: Physionet2012Stay[] = []
  if (statSync(source).isDirectory()) {
    const entries = readdirSync(source, { withFileTypes: true })
    let files = entries.filter((e) => e.isFile() && RECORD_FILE.test(e.name)).map((e) => join(source, e.name))
    if (files.length === 0) {
      const archive = entries.find((e) => e.isFile() && SET_ARCHIVE.test(e.name))
      if (archive) return readPhysionet2012(join(source, archive.name), limit)
      files = entries.filter((e) => e.isDirectory()).flatMap((e) => readdirSync(join(source, e.name)).filter((f) => RECORD_FILE.test(f)).map((f) => join(source, e.name, f)))
    }
    files.sort((a, b) => byRecordId(basename(a), basename(b)))
    for (const f of files.slice(0, Number.isFinite(limit) ? limit : undefined)) out.push(parsePhysionet2012Stay(readFileSync(f, 'utf8'), basename(f)))
  } else {
    const files = [...tarFiles(gunzipSync(readFileSync(source)))].filter((f) => RECORD_FILE.test(basename(f.name)))
    files.sort((a, b) => byRecordId(basename(a.name), basename(b.name)))
    for (const f of files.slice(0, Number.isFinite(limit) ? limit : undefined)) out.push(parsePhysionet2012Stay(f.data.toString('utf8'), basename(f.name)))
  }
  if (out.length === 0) throw new Error(`${source} holds no set A stays (RecordID.txt files)`)
  return out
}

const byRecordId = (a: string, b: string) => parseInt(a, 10) - parseInt(b, 10)
