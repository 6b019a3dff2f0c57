// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, read as a wait in milliseconds.
// Capped, so that a core (or a proxy in front of it) cannot park a gateway for hours.

/** The wait it asks for (ms, at most `maxMs`), or undefined when absent or not understood. */
export function retryAfterMs(header: string | string[] | undefined, nowMs: number, maxMs: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined) return undefined
  const text = value.trim()
  let ms: number
  if (/^[0-9]{1,9}$/.test(text)) ms = Number(text) * 1000
  else {
    const at = Date.parse(text)
    if (!Number.isFinite(at) || !/[A-Za-z]/.test(text)) return undefined
    ms = Math.max(0, at - nowMs)
  }
  return Math.min(ms, maxMs)
}
