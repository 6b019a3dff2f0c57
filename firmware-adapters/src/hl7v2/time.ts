// HL7 v2 DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ] (HL7 v2.6 §2.A.22). A time without an
// offset is local time where the device is: the gateway reads it with its configured offset.
const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/

/** Epoch ms of an HL7 DTM, undefined when it is not one (or names a day that does not exist). */
export function parseHl7Time(text: string, defaultUtcOffsetMinutes = 0): number | undefined {
  const m = DTM.exec(text.trim())
  if (!m) return undefined
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac, sign, oh, om] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined
  let offset = defaultUtcOffsetMinutes
  if (sign !== undefined) {
    if (Number(oh) > 14 || Number(om) > 59) return undefined
    offset = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om))
  }
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000)
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  if (date.getUTCDate() !== day) return undefined // 20230231
  date.setUTCHours(hour, minute, second, ms)
  const t = date.getTime() - offset * 60_000
  return Number.isFinite(t) ? t : undefined
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** An HL7 DTM for epoch ms, written with the given UTC offset; milliseconds only when not zero. */
export function formatHl7Time(ms: number, utcOffsetMinutes = 0): string {
  const d = new Date(ms + utcOffsetMinutes * 60_000)
  const frac = d.getUTCMilliseconds() === 0 ? '' : `.${pad(d.getUTCMilliseconds(), 3)}`
  const sign = utcOffsetMinutes < 0 ? '-' : '+'
  const off = Math.abs(utcOffsetMinutes)
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${frac}${sign}${pad(Math.floor(off / 60))}${pad(off % 60)}`
}

export const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1)
export const MAX_FUTURE_MS = 24 * 3600_000

/**
 * A device time the gateway can believe: parsed, not before 2000 and not more than a day ahead of
 * the receive time. 'absent' when the message gave none, 'suspect' when it gave one it cannot use.
 */
export function deviceTime(raw: string, receivedTime: number, defaultUtcOffsetMinutes: number): number | 'absent' | 'suspect' {
  if (raw.trim() === '') return 'absent'
  const t = parseHl7Time(raw, defaultUtcOffsetMinutes)
  if (t === undefined || t < MIN_PLAUSIBLE_MS || t > receivedTime + MAX_FUTURE_MS) return 'suspect'
  return t
}
