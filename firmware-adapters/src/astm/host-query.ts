// ASTM E1394 / LIS2-A2 host query, both sides: the analyzer's Q record (it read a tube's barcode
// and asks the host what to run), the host's answer (H, then P and O per pending order with the
// O-26 report type Q, "response to query", then L), or H and L with termination code I ("no
// information available from last query") when the host has none. Also the analyzer's reading of
// that answer, for the simulator.
import { components, DEFAULT_DELIMITERS, escape, formatAstmTime, headerDelimiters, splitFields, splitRecords, field, type Delimiters } from './records.js'
import { frameAstmMessage } from './frames.js'

export interface AstmQuery {
  /** Q-3 starting range id: LIS2-A2 puts the specimen id in component 2; many analyzers send it in component 1. */
  specimenId: string
  /** Q-5 universal test id as sent (ALL, or the tests asked about). */
  tests: string
}

/** The Q records of a message (one per tube asked about); none when it holds no query. */
export function astmQueries(message: Uint8Array): AstmQuery[] {
  let d: Delimiters | undefined
  const out: AstmQuery[] = []
  for (const record of splitRecords(message)) {
    if (record.text[0] === 'H') {
      const parsed = headerDelimiters(record.text)
      d = typeof parsed === 'string' ? undefined : parsed
      continue
    }
    if (!d || record.text[0] !== 'Q' || record.text[1] !== d.field) continue
    const fields = splitFields(record.text, d)
    const range = components(field(fields, 3), d).map((c) => c.trim())
    const specimenId = range[1] || range[0] || ''
    if (specimenId === '' || specimenId === 'ALL') continue
    out.push({ specimenId, tests: field(fields, 5) })
  }
  return out
}

export interface AstmOrderAnswer {
  patient_id: string
  specimen_id: string
  /** The lab's codes, sent as `^^^CODE` repeats in O-5. */
  tests: readonly string[]
  priority: 'routine' | 'urgent' | 'stat'
}

/** O-6 priority: S stat, A as soon as possible, R routine. */
const PRIORITY = { stat: 'S', urgent: 'A', routine: 'R' } as const

/** The host's answer to a query, as records ending with CR: the orders found, or none (L|1|I). */
export function encodeAstmOrderAnswer(orders: readonly AstmOrderAnswer[], time: number, sender = 'Neva gateway'): string {
  return encodeOrders(orders, time, sender, 'Q')
}

/**
 * A download: the host sends orders unprompted (LIS2-A2 §9.4.26, O-26 report type O, "order
 * record; user asking that analysis be performed"), one message for the orders given.
 */
export function encodeAstmOrderDownload(orders: readonly AstmOrderAnswer[], time: number, sender = 'Neva gateway'): string {
  return encodeOrders(orders, time, sender, 'O')
}

export const encodeAstmOrderDownloadFrames = (orders: readonly AstmOrderAnswer[], time: number): Uint8Array[] => frameAstmMessage(encodeAstmOrderDownload(orders, time))

function encodeOrders(orders: readonly AstmOrderAnswer[], time: number, sender: string, reportType: 'Q' | 'O'): string {
  const d = DEFAULT_DELIMITERS
  const e = (s: string) => escape(s, d)
  const records = [`H|\\^&|||${e(sender)}|||||||P|LIS2-A2|${formatAstmTime(time)}`]
  orders.forEach((o, i) => {
    // P-3: the practice-assigned patient id, the host's own.
    records.push(`P|${i + 1}|${e(o.patient_id)}`)
    const tests = o.tests.map((t) => `^^^${e(t)}`).join(d.repeat)
    // O-12 action code N (new order), O-26 report type Q (response to query).
    records.push(`O|1|${e(o.specimen_id)}||${tests}|${PRIORITY[o.priority]}||||||N||||||||||||||${reportType}`)
  })
  // L-3 I, "no information available from last query", only answers a query.
  records.push(orders.length === 0 && reportType === 'Q' ? 'L|1|I' : 'L|1|N')
  return records.map((r) => `${r}\r`).join('')
}

export const encodeAstmOrderAnswerFrames = (orders: readonly AstmOrderAnswer[], time: number): Uint8Array[] => frameAstmMessage(encodeAstmOrderAnswer(orders, time))

/** A query for these tubes, as an analyzer sends it (for the simulator and tests). */
export function encodeAstmQuery(specimenIds: readonly string[], time: number): string {
  const d = DEFAULT_DELIMITERS
  const records = [`H|\\^&|||Neva simulated analyzer^1.0|||||||P|LIS2-A2|${formatAstmTime(time)}`]
  specimenIds.forEach((s, i) => records.push(`Q|${i + 1}|^${escape(s, d)}||^^^ALL||||||||O`))
  records.push('L|1|N')
  return records.map((r) => `${r}\r`).join('')
}

/** The orders in a host's message, as the analyzer reads them: specimen id, tests, and the patient before them. */
export function astmOrdersOf(message: Uint8Array): Array<{ patient_id: string; specimen_id: string; tests: string[]; priority: string }> {
  let d: Delimiters | undefined
  let patient = ''
  const out: Array<{ patient_id: string; specimen_id: string; tests: string[]; priority: string }> = []
  for (const record of splitRecords(message)) {
    if (record.text[0] === 'H') {
      const parsed = headerDelimiters(record.text)
      d = typeof parsed === 'string' ? undefined : parsed
      continue
    }
    if (!d || record.text[1] !== d.field) continue
    const fields = splitFields(record.text, d)
    if (record.text[0] === 'P') patient = components(field(fields, 3), d)[0]?.trim() || components(field(fields, 4), d)[0]?.trim() || ''
    if (record.text[0] === 'O') {
      const tests = field(fields, 5).split(d.repeat).map((rep) => components(rep, d!)[3]?.trim() ?? '').filter((t) => t !== '')
      out.push({ patient_id: patient, specimen_id: components(field(fields, 3), d)[0]?.trim() ?? '', tests, priority: field(fields, 6) })
    }
  }
  return out
}

/**
 * What a host's message is to the analyzer: the answer to its query (an O-26 of Q, or L-3 I), or a
 * download (orders sent unprompted, O-26 O), or neither (no order, no query termination).
 */
export function astmHostMessageKind(message: Uint8Array): 'answer' | 'download' | 'other' {
  let d: Delimiters | undefined
  let kind: 'answer' | 'download' | 'other' = 'other'
  for (const record of splitRecords(message)) {
    if (record.text[0] === 'H') {
      const parsed = headerDelimiters(record.text)
      d = typeof parsed === 'string' ? undefined : parsed
      continue
    }
    if (!d || record.text[1] !== d.field) continue
    const fields = splitFields(record.text, d)
    if (record.text[0] === 'O') {
      const type = field(fields, 26).trim()
      if (type === 'Q') return 'answer'
      if (type === 'O') kind = 'download'
    }
    if (record.text[0] === 'L' && field(fields, 3).trim() === 'I') return 'answer'
  }
  return kind
}
