// FHIR ids are [A-Za-z0-9-.]{1,64}; Neva's keys (patient ids, "gateway|seq", alarm ids) are not.
// A key is escaped reversibly (any other byte and "." become ".xx"); a key that would not fit
// in 64 characters becomes "h." and the first 40 hex digits of its SHA-256, found by that hash.
import { createHash } from 'node:crypto'

const KEEP = /[A-Za-z0-9-]/

export function fhirId(key: string): string {
  const out = escapeKey(key)
  return out.length <= 64 ? out : `h.${hashOfKey(key)}`
}

/** The key escaped, whatever its length (per byte: the escape of a concatenation is the concatenation of the escapes). */
export function escapeKey(key: string): string {
  let out = ''
  for (const byte of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(byte)
    out += byte < 0x80 && KEEP.test(ch) ? ch : `.${byte.toString(16).padStart(2, '0')}`
  }
  return out
}

export const hashOfKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 40)

/** The key of an id, or { hash } for a hashed one; undefined when the id is not one of ours. */
export function keyOf(id: string): { key: string } | { hash: string } | undefined {
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) return undefined
  const hashed = /^h\.([0-9a-f]{40})$/.exec(id)
  if (hashed) return { hash: hashed[1]! }
  const bytes: number[] = []
  for (let i = 0; i < id.length; i++) {
    if (id[i] === '.') {
      const hex = id.slice(i + 1, i + 3)
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined
      bytes.push(parseInt(hex, 16))
      i += 2
    } else bytes.push(id.charCodeAt(i))
  }
  const key = Buffer.from(bytes).toString('utf8')
  return fhirId(key) === id ? { key } : undefined
}
