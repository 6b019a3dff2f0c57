// What a refusal's reason may say: the field and the rule broken, never the values a device sent
// (a PID-3, a name, payload bytes). The decoders are written that way; this is the gateway's
// second line, applied to every reason before it is stored (rejected_readings.reason), logged
// or shown on /status: any quoted literal is withheld, control characters are flattened and the
// length is bounded. The raw input stays in the rejected reading's `payload` column only.

/** A JSON string literal, as decoders quote what they echo. */
const QUOTED = /"(?:[^"\\\r\n]|\\.){0,4096}(?:"|$)/g
const WITHHELD = '"…"'

export function redactReason(reason: string, max = 512): string {
  const flat = reason.slice(0, 4096).replace(/[\u0000-\u001f\u007f]+/g, ' ')
  // A quote left open (a literal cut short) withholds the rest.
  const out = flat.replace(QUOTED, (literal) => (literal === '""' ? literal : WITHHELD))
  return out.length > max ? `${out.slice(0, max - 1)}…` : out
}
