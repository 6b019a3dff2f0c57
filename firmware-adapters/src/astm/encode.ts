// Encodes lab results as an ASTM E1394 / LIS2-A2 message, as an analyzer sends them (for the
// simulator and round-trip tests): H, then P, O, R (C) per patient and specimen, then L.
import { DEFAULT_DELIMITERS, escape, formatAstmTime } from './records.js'
import { frameAstmMessage } from './frames.js'

export interface AstmResultInput {
  /** The analyzer's code, sent as `^^^CODE` in R-3. */
  test_code: string
  value: string | number
  unit?: string
  reference_range?: string
  abnormal_flag?: string | null
  /** R-9; default F (final). */
  status?: string
  /** R-13, when the test completed. */
  result_time?: number | null
  comments?: string[]
}

export interface AstmOrderInput {
  /** O-3 specimen id. */
  order_id: string
  results: AstmResultInput[]
}

export interface AstmMessageInput {
  /** H-14, when the message was made. */
  time: number
  /** H-5 sender name. */
  sender?: string
  /** Minutes east of UTC the analyzer's clock is set to; times are written in that zone. */
  utcOffsetMinutes?: number
  /** One P record each; patient_id null for QC samples (an empty P record). */
  patients: Array<{ patient_id: string | null; orders: AstmOrderInput[] }>
}

/** The message's records, each ending with CR. */
export function encodeAstmMessage(input: AstmMessageInput): string {
  const d = DEFAULT_DELIMITERS
  const zone = input.utcOffsetMinutes ?? 0
  const e = (s: string) => escape(s, d)
  const records: string[] = [
    `H|\\^&|||${e(input.sender ?? 'Neva simulated analyzer')}^1.0|||||||P|LIS2-A2|${formatAstmTime(input.time, zone)}`,
  ]
  input.patients.forEach((p, pi) => {
    records.push(p.patient_id === null ? `P|${pi + 1}` : `P|${pi + 1}||${e(p.patient_id)}`)
    p.orders.forEach((o, oi) => {
      const tests = o.results.map((r) => `^^^${e(r.test_code)}`).join(d.repeat)
      // O-26 report type F: final results.
      records.push(`O|${oi + 1}|${e(o.order_id)}||${tests}|R||||||N||||||||||||||F`)
      o.results.forEach((r, ri) => {
        const time = r.result_time == null ? '' : formatAstmTime(r.result_time, zone)
        const fields = ['R', String(ri + 1), `^^^${e(r.test_code)}`, e(String(r.value)), e(r.unit ?? ''), e(r.reference_range ?? ''), e(r.abnormal_flag ?? ''), '', e(r.status ?? 'F'), '', '', '', time]
        records.push(fields.join(d.field))
        r.comments?.forEach((c, ci) => records.push(`C|${ci + 1}|I|${e(c)}|G`))
      })
    })
  })
  records.push('L|1|N')
  return records.map((r) => `${r}\r`).join('')
}

/** The message's E1381 frames, ready to send after the receiver ACKed the ENQ. */
export function encodeAstmFrames(input: AstmMessageInput): Uint8Array[] {
  return frameAstmMessage(encodeAstmMessage(input))
}
