// HL7 v2 escape sequences (HL7 v2.6 §2.7): text inside a field must not contain the delimiters,
// so they travel as \F\ \S\ \T\ \R\ \E\; \Xhh..\ carries raw bytes and \.br\ a line break.
import type { Hl7Encoding } from './encoding.js'

const UTF8 = new TextDecoder('utf-8', { fatal: true })
const LATIN1 = new TextDecoder('latin1')
const HEX = /^(?:[0-9A-Fa-f]{2})+$/

/** Decodes escape sequences; an unknown or unterminated sequence stays as it was sent. */
export function hl7Unescape(text: string, enc: Hl7Encoding): string {
  const esc = enc.escape
  if (esc === '' || !text.includes(esc)) return text
  let out = ''
  let from = 0
  for (;;) {
    const start = text.indexOf(esc, from)
    if (start < 0) break
    const end = text.indexOf(esc, start + 1)
    if (end < 0) break
    const body = text.slice(start + 1, end)
    const decoded = escapeValue(body, enc)
    if (decoded === undefined) {
      // Not a sequence we know (\H\, \Zxx\, \Cxxyy\...): kept as sent, delimiters included.
      out += text.slice(from, end + 1)
      from = end + 1
      continue
    }
    out += text.slice(from, start) + decoded
    from = end + 1
  }
  return out + text.slice(from)
}

function escapeValue(body: string, enc: Hl7Encoding): string | undefined {
  switch (body) {
    case 'F': return enc.field
    case 'S': return enc.component
    case 'T': return enc.subcomponent
    case 'R': return enc.repetition
    case 'E': return enc.escape
    case '.br': return '\n'
  }
  if (body.length > 1 && body[0] === 'X' && HEX.test(body.slice(1))) {
    const bytes = Buffer.from(body.slice(1), 'hex')
    try {
      return UTF8.decode(bytes)
    } catch {
      return LATIN1.decode(bytes)
    }
  }
  return undefined
}

/** Escapes text for a field, component or subcomponent; CR and LF travel as hex so segments stay one line. */
export function hl7Escape(text: string, enc: Hl7Encoding): string {
  let out = ''
  for (const ch of text) {
    if (ch === enc.escape) out += `${enc.escape}E${enc.escape}`
    else if (ch === enc.field) out += `${enc.escape}F${enc.escape}`
    else if (ch === enc.component) out += `${enc.escape}S${enc.escape}`
    else if (ch === enc.subcomponent) out += `${enc.escape}T${enc.escape}`
    else if (ch === enc.repetition) out += `${enc.escape}R${enc.escape}`
    else if (ch === '\r') out += `${enc.escape}X0D${enc.escape}`
    else if (ch === '\n') out += `${enc.escape}X0A${enc.escape}`
    else out += ch
  }
  return out
}
