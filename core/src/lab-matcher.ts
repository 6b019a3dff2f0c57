// Lab results back to their orders: a pass over the results not matched yet (and the young
// unmatched ones), each matched or kept as unmatched (lab-matching.ts), the order advanced, a
// critical value raised as an alarm to the ordering ward. Run every few seconds by the core and
// on demand; passes never overlap. lab_results is never changed: nothing is dropped.
import type { Alarm, LabOrder } from '@neva/contracts'
import type { LabMatchStore, LabOrderStore, CriticalLimit, LabResultRef } from '@neva/analytics'
import { criticalLimit, matchResult, stateAfterResults } from './lab-matching.js'
import { DEFAULT_CRITICAL_LIMITS } from './lab-critical-defaults.js'
import { KeyedMutex } from './keyed-mutex.js'
import type { LiveBus } from './live/bus.js'

/** How often the core runs a pass on its own. */
export const LAB_MATCH_EVERY_MS = 3000
/** An unmatched result is tried again this long (an order placed after its result claims it). */
export const LAB_RETRY_MS = 7 * 24 * 3600_000

export interface LabPass {
  examined: number
  matched: number
  unmatched: number
  cancelled: number
  critical: number
}

export class LabMatcher {
  private queue: Promise<unknown> = Promise.resolve()
  private busy = false

  constructor(
    private readonly matches: LabMatchStore,
    private readonly orders: LabOrderStore,
    private readonly live?: LiveBus,
    private readonly locks = new KeyedMutex(),
    /** One read of the orders for the pass's specimens and one insert of its match rows (default); false: per result, as before (neva bench lab's baseline). */
    private readonly batch = true,
  ) {}

  /** A pass that starts after this call (after the one running, if any); resolves with its counts. */
  run(): Promise<LabPass> {
    const next = this.queue.catch(() => {}).then(async () => {
      this.busy = true
      try {
        return await this.pass(Date.now())
      } finally {
        this.busy = false
      }
    })
    this.queue = next
    return next
  }

  /** Resolves when no pass is running or queued: the core waits for it before ClickHouse closes. */
  async idle(): Promise<void> {
    await this.queue.catch(() => {})
  }

  /** The core's timer: a pass unless one is running. */
  async tick(): Promise<void> {
    if (!this.busy) await this.run()
  }

  private async pass(now: number): Promise<LabPass> {
    const counts: LabPass = { examined: 0, matched: 0, unmatched: 0, cancelled: 0, critical: 0 }
    const pending = await this.matches.pending(now, LAB_RETRY_MS)
    if (pending.length === 0) return counts
    // The table's rows win over the defaults.
    const limits = new Map([...DEFAULT_CRITICAL_LIMITS, ...(await this.matches.criticalLimits())].map((l) => [l.loinc, l]))
    if (this.batch) return this.batchPass(now, pending, limits, counts)
    for (const result of pending) {
      counts.examined++
      const orders = result.specimen_id === null ? [] : await this.orders.bySpecimen(result.specimen_id)
      const { outcome, order } = matchResult(result, orders)
      counts[outcome === 'matched' ? 'matched' : outcome === 'unmatched' ? 'unmatched' : 'cancelled']++
      if (outcome === 'unmatched' && result.previous === 'unmatched') continue // still unmatched: nothing new to say
      const limit = criticalLimit(result, limits)
      await this.matches.put([{
        gateway_id: result.gateway_id, seq: result.seq, specimen_id: result.specimen_id ?? '', test_code: result.test_code, loinc: result.loinc,
        order_id: order?.order_id ?? '', outcome, critical: limit !== null, received_time: result.received_time, matched_time: Math.max(now, result.received_time),
      }])
      if (outcome === 'matched' && order) await this.advance(order, result)
      if (limit && order) {
        counts.critical++
        await this.alarm(order, result, limit, now)
      }
    }
    return counts
  }

  /**
   * The same decisions in one read of the orders of every specimen in the pass and one insert of
   * the match rows; then each matched order advanced once (from all its results), alarms raised.
   */
  private async batchPass(now: number, pending: readonly LabResultRef[], limits: ReadonlyMap<string, CriticalLimit>, counts: LabPass): Promise<LabPass> {
    const bySpecimen = await this.orders.bySpecimens(pending.flatMap((r) => (r.specimen_id === null ? [] : [r.specimen_id])))
    const rows: Parameters<LabMatchStore['put']>[0][number][] = []
    const advance = new Map<string, { order: LabOrder; result: LabResultRef }>()
    const alarms: Array<{ order: LabOrder; result: LabResultRef; limit: CriticalLimit }> = []
    for (const result of pending) {
      counts.examined++
      const { outcome, order } = matchResult(result, result.specimen_id === null ? [] : bySpecimen.get(result.specimen_id) ?? [])
      counts[outcome === 'matched' ? 'matched' : outcome === 'unmatched' ? 'unmatched' : 'cancelled']++
      if (outcome === 'unmatched' && result.previous === 'unmatched') continue
      const limit = criticalLimit(result, limits)
      rows.push({
        gateway_id: result.gateway_id, seq: result.seq, specimen_id: result.specimen_id ?? '', test_code: result.test_code, loinc: result.loinc,
        order_id: order?.order_id ?? '', outcome, critical: limit !== null, received_time: result.received_time, matched_time: Math.max(now, result.received_time),
      })
      if (outcome === 'matched' && order) advance.set(order.order_id, { order, result })
      if (limit && order) alarms.push({ order, result, limit })
    }
    await this.matches.put(rows)
    for (const { order, result } of advance.values()) await this.advance(order, result)
    for (const { order, result, limit } of alarms) {
      counts.critical++
      await this.alarm(order, result, limit, now)
    }
    return counts
  }

  /** Under the order's lock, from the order as it is now (a person may have moved it meanwhile). */
  private advance(stale: LabOrder, result: LabResultRef): Promise<void> {
    return this.locks.run(stale.order_id, async () => {
      // Refused only if another core moved the order in between: judged again from what it is then.
      for (let attempt = 0; attempt < 3; attempt++) {
        const order = await this.orders.get(stale.order_id)
        if (!order) return
        const next = stateAfterResults(order, await this.matches.resultedTests(order.order_id))
        if (next === null) return
        const time = Math.max(Date.now(), order.updated_time + 1)
        if (await this.orders.recordIfUnchanged({ ...order, state: next, updated_time: time, history: [...order.history, { state: next, by: `gateway:${result.gateway_id}`, time }] }, order)) {
          this.live?.publishLabOrder(order.patient_id)
          return
        }
      }
    })
  }

  private async alarm(order: LabOrder, r: LabResultRef, limit: CriticalLimit, now: number): Promise<void> {
    const alarm: Alarm = {
      gateway_id: r.gateway_id, seq: r.seq, alarm_id: `${r.device_id}/lab-critical/${order.specimen_id}/${r.test_code}`, device_id: r.device_id, source: r.source,
      patient_id: order.patient_id, ward: order.ward, room: null, bed: null, facility: order.site,
      event_code: null, event_name: 'lab_critical_value', event_text: `Critical ${r.test_code} ${r.value} ${r.unit}`.slice(0, 256), source_code: null, source_name: r.loinc,
      alert_type: 'physiological', priority: 'high', state: 'active', phase: 'start', alarm_state: null, inactivation_state: null,
      value: r.numeric_value, unit: r.unit || null, limit_low: limit.low, limit_high: limit.high, device_time: r.result_time, received_time: now,
    }
    await this.matches.raiseAlarm(alarm)
    this.live?.publishBatch({ gateway_id: r.gateway_id, batch_id: `lab-critical-${r.gateway_id}-${r.seq}`, sent_time: now, observations: [], triage: [], rejected: [], alarms: [alarm] })
  }
}
