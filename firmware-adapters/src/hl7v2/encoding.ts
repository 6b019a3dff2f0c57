// HL7 v2 encoding characters: MSH-1 is the field separator, MSH-2 the component, repetition,
// escape and subcomponent characters, in that order (HL7 v2.6 §2.5.4). Any characters may be
// chosen; `|^~\&` is only the recommendation.
export interface Hl7Encoding {
  field: string
  component: string
  repetition: string
  escape: string
  /** '' when MSH-2 declares none (then subcomponents are not split). */
  subcomponent: string
}

export const DEFAULT_ENCODING: Hl7Encoding = Object.freeze({ field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' })

// Delimiters are printable ASCII punctuation: letters and digits are data, and anything outside
// ASCII would change with the character set.
const UNUSABLE = /[^\x21-\x7e]|[A-Za-z0-9]/

/**
 * Reads the encoding characters from the start of an MSH segment; a string naming what is wrong
 * when they cannot be used (missing, letters or digits, repeated).
 */
export function readEncoding(msh: string): Hl7Encoding | string {
  const field = msh[3]
  if (field === undefined) return 'MSH ends before MSH-1 (the field separator)'
  if (UNUSABLE.test(field)) return `MSH-1 ${JSON.stringify(field)} cannot be a field separator`
  const end = msh.indexOf(field, 4)
  const msh2 = end < 0 ? msh.slice(4) : msh.slice(4, end)
  // Four characters, or five from v2.7 on (the fifth, truncation, is not a delimiter).
  if (msh2.length < 1 || msh2.length > 5) return `MSH-2 ${JSON.stringify(msh2.slice(0, 16))} must be 1 to 5 encoding characters`
  const chars = [...msh2.slice(0, 4)]
  for (const [i, ch] of chars.entries()) {
    if (UNUSABLE.test(ch) || ch === field || chars.indexOf(ch) !== i) {
      return `MSH-2 ${JSON.stringify(msh2)}: ${JSON.stringify(ch)} cannot be an encoding character (only ASCII punctuation, each once)`
    }
  }
  return { field, component: chars[0]!, repetition: chars[1] ?? '', escape: chars[2] ?? '', subcomponent: chars[3] ?? '' }
}

/** MSH-2 as an encoder writes it. */
export function encodingCharacters(enc: Hl7Encoding): string {
  return enc.component + enc.repetition + enc.escape + enc.subcomponent
}
