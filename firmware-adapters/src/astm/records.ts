// ASTM E1394 / CLSI LIS2-A2 record syntax: delimiters (declared by the H record), fields,
// repeats, components, escape sequences, and the date/time format.
import { CR, LF } from './frames.js'

export interface Delimiters {
  field: string
  repeat: string
  component: string
  escape: string
}

/** LIS2-A2 recommends `H|\^&`. */
export const DEFAULT_DELIMITERS: Delimiters = { field: '|', repeat: '\\', component: '^', escape: '&' }

export interface RawRecord {
  /** Byte offset of the record in the message. */
  offset: number
  text: string
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })
const LATIN1 = new TextDecoder('latin1')

/** UTF-8 when the bytes are valid UTF-8, else Latin-1 (older analyzers send 8-bit code pages). */
export function decodeText(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes)
  } catch {
    return LATIN1.decode(bytes)
  }
}

/** Splits message text into records; E1394 ends each with CR (LF and CR LF accepted in captures). */
export function splitRecords(bytes: Uint8Array): RawRecord[] {
  const out: RawRecord[] = []
  let start = 0
  for (let i = 0; i <= bytes.length; i++) {
    const b = i < bytes.length ? bytes[i] : CR
    if (b !== CR && b !== LF) continue
    if (i > start) out.push({ offset: start, text: decodeText(bytes.subarray(start, i)) })
    start = i + 1
  }
  return out
}

/**
 * The delimiters an H record declares (`H|\^&`: field, repeat, component, escape), or why
 * they cannot be used.
 */
export function headerDelimiters(record: string): Delimiters | string {
  const chars = [...record.slice(1, 5)]
  if (chars.length < 4) return `H record ${JSON.stringify(record.slice(0, 16))} is shorter than H and its four delimiters`
  const [field, repeat, component, escape] = chars as [string, string, string, string]
  if (new Set(chars).size !== 4) return `H record declares delimiters ${JSON.stringify(chars.join(''))}: they must be four different characters`
  if (chars.some((c) => /[A-Za-z0-9 ]/.test(c) || c.charCodeAt(0) < 0x20)) {
    return `H record declares delimiters ${JSON.stringify(chars.join(''))}: a delimiter cannot be a letter, digit, space or control character`
  }
  if (record.length > 5 && record[5] !== field) return `H record ${JSON.stringify(record.slice(0, 16))}: the delimiter declaration must be followed by the field delimiter`
  return { field, repeat, component, escape }
}

/** Fields of a record, 1-based as E1394 numbers them: fields[0] is the record type (field 1). */
export function splitFields(record: string, d: Delimiters): string[] {
  return record.split(d.field)
}

/** Field `n` (1-based, E1394 numbering: R-3 is the universal test id) as sent, or ''. */
export function field(fields: readonly string[], n: number): string {
  return fields[n - 1] ?? ''
}

/** LIS2-A2 escape sequences &F& &S& &R& &E&; others (formatting, hex) are kept as sent. */
export function unescape(text: string, d: Delimiters): string {
  if (!text.includes(d.escape)) return text
  let out = ''
  let i = 0
  while (i < text.length) {
    const open = text.indexOf(d.escape, i)
    if (open < 0) break
    const close = text.indexOf(d.escape, open + 1)
    if (close < 0) break
    out += text.slice(i, open)
    const seq = text.slice(open + 1, close)
    switch (seq) {
      case 'F': out += d.field; break
      case 'S': out += d.component; break
      case 'R': out += d.repeat; break
      case 'E': out += d.escape; break
      default: out += text.slice(open, close + 1)
    }
    i = close + 1
  }
  return out + text.slice(i)
}

/** Escapes the delimiters in a text value (the inverse of `unescape`). */
export function escape(text: string, d: Delimiters = DEFAULT_DELIMITERS): string {
  let out = ''
  for (const c of text) {
    if (c === d.escape) out += `${d.escape}E${d.escape}`
    else if (c === d.field) out += `${d.escape}F${d.escape}`
    else if (c === d.component) out += `${d.escape}S${d.escape}`
    else if (c === d.repeat) out += `${d.escape}R${d.escape}`
    else if (c === '\r' || c === '\n') out += ' '
    else out += c
  }
  return out
}

/** The components of a field's first repeat, unescaped (not trimmed). */
export function components(raw: string, d: Delimiters): string[] {
  const first = raw.split(d.repeat)[0] ?? ''
  return first.split(d.component).map((c) => unescape(c, d))
}

/** The first non-empty component of a field's first repeat, trimmed; '' when none. */
export function firstComponent(raw: string, d: Delimiters): string {
  for (const c of components(raw, d)) {
    const t = c.trim()
    if (t) return t
  }
  return ''
}

/**
 * A field as one text: padding trimmed, empty components and repeats dropped, the rest joined
 * with the default component (^) and repeat (\) delimiters so values read the same whatever
 * delimiters the analyzer declared. `^0.0` → `0.0`; `EXP^<` → `EXP^<`.
 */
export function fieldText(raw: string, d: Delimiters, componentJoin = '^', repeatJoin = '\\'): string {
  const repeats: string[] = []
  for (const rep of raw.split(d.repeat)) {
    const parts = rep.split(d.component).map((c) => unescape(c, d).trim()).filter((c) => c !== '')
    if (parts.length > 0) repeats.push(parts.join(componentJoin))
  }
  return repeats.join(repeatJoin)
}

/** E1394 date/time `YYYYMMDD[HHMM[SS]]` in the analyzer's zone (`utcOffsetMinutes` east of UTC). */
export function parseAstmTime(raw: string, utcOffsetMinutes: number): number | null | 'invalid' {
  const t = raw.trim()
  if (t === '') return null
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$/.exec(t)
  if (!m) return 'invalid'
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x))) as number[]
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h > 23 || mi > 59 || s > 59) return 'invalid'
  const utc = Date.UTC(y!, mo! - 1, d!, h, mi, s)
  // Date.UTC rolls 31 February over into March: such a date was not a date.
  if (new Date(utc).getUTCDate() !== d) return 'invalid'
  const ms = utc - utcOffsetMinutes * 60_000
  return ms >= 0 && ms <= 8_640_000_000_000 ? ms : 'invalid'
}

export function formatAstmTime(ms: number, utcOffsetMinutes = 0): string {
  const t = new Date(ms + utcOffsetMinutes * 60_000)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${p(t.getUTCFullYear(), 4)}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}`
}
