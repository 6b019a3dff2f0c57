// The lab orders pending at this gateway's sites, polled from the core (GET /v1/lab/worklist with
// the gateway's token) and kept in memory for the ASTM host query (astm-protocol.ts hostQuery).
// Memory only, by design: after a restart the gateway answers "no information" (L|1|I) until its
// first poll succeeds (one poll interval); while the core is unreachable it answers from the last
// good list, so an order placed meanwhile is unknown to the analyzer until the core is back (the
// analyzer's result still reaches the core and finds its order there: nothing is lost).
import { Type } from '@sinclair/typebox'
import { Agent, request } from 'undici'
import { LAB_PRIORITIES, LabTest, literals, SpecimenId, validator, Identifier } from '@neva/contracts'
import type { AstmOrderAnswer } from '@neva/firmware-adapters'
import { EdgeErrorCode } from '../errors.js'
import type { Log } from '../log.js'

const Worklist = Type.Object({
  orders: Type.Array(Type.Object({ patient_id: Identifier, specimen_id: SpecimenId, tests: Type.Array(LabTest, { minItems: 1, maxItems: 50 }), priority: literals(LAB_PRIORITIES) }), { maxItems: 50_000 }),
})
const checkWorklist = validator(Worklist)

export interface LabWorklistOptions {
  /** The core's base URL, e.g. https://core.example:8443 */
  coreUrl: string
  token: string
  /** CA (PEM) the core's https certificate must chain to (core.ca_file). */
  ca?: Buffer | undefined
  log: Log
  timeoutMs?: number
}

/** How often the gateway polls its worklist: an order placed now is known to the analyzers within this. */
export const LAB_WORKLIST_POLL_MS = 15_000

export class LabWorklist {
  private bySpecimen = new Map<string, AstmOrderAnswer>()
  private list: AstmOrderAnswer[] = []
  private loinc = new Map<string, string>()
  private timer: NodeJS.Timeout | undefined
  /** When the list was last fetched whole; null before the first success. */
  fetchedAt: number | null = null
  failures = 0

  private readonly agent: Agent

  constructor(private readonly options: LabWorklistOptions) {
    this.agent = new Agent({ connections: 1, ...(options.ca ? { connect: { ca: options.ca } } : {}) })
  }

  get size(): number {
    return this.bySpecimen.size
  }

  lookup(specimenId: string): AstmOrderAnswer | undefined {
    return this.bySpecimen.get(specimenId)
  }

  /** The LOINC the worklist's orders give a lab code (HL7 orders carry both). */
  loincOf(labCode: string): string | undefined {
    return this.loinc.get(labCode)
  }

  /** A list was fetched since start (an empty list before that is not the core's word). */
  get loaded(): boolean {
    return this.fetchedAt !== null
  }

  /** Every pending order, for analyzers that take downloads. */
  pending(): readonly AstmOrderAnswer[] {
    return this.list
  }

  /** One poll; true when the list was replaced. A failure keeps the last good list. */
  async refresh(): Promise<boolean> {
    try {
      const res = await request(new URL('/v1/lab/worklist', this.options.coreUrl), {
        dispatcher: this.agent,
        headers: { authorization: `Bearer ${this.options.token}` },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      })
      const text = await res.body.text()
      if (res.statusCode !== 200) throw new Error(`the core answered ${res.statusCode}`)
      const body: unknown = JSON.parse(text)
      const problem = checkWorklist.explain(body)
      if (problem !== undefined || !checkWorklist.check(body)) throw new Error(`malformed worklist: ${problem}`)
      const next = new Map<string, AstmOrderAnswer>()
      for (const o of body.orders) next.set(o.specimen_id, { patient_id: o.patient_id, specimen_id: o.specimen_id, tests: o.tests.map((t) => t.lab_code), priority: o.priority })
      this.bySpecimen = next
      this.list = [...next.values()]
      this.loinc = new Map(body.orders.flatMap((o) => o.tests.map((t) => [t.lab_code, t.loinc] as const)))
      this.fetchedAt = Date.now()
      return true
    } catch (err) {
      this.failures++
      this.options.log('warn', 'lab worklist not refreshed; answering host queries from the last good list', { code: EdgeErrorCode.NEVA_EDGE_LAB_WORKLIST, error: (err as Error).message, orders: this.bySpecimen.size })
      return false
    }
  }

  /** Polls now and every `everyMs`. */
  start(everyMs: number): void {
    void this.refresh()
    this.timer = setInterval(() => void this.refresh(), everyMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    void this.agent.close()
  }
}
