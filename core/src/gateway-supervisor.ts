// Gateway supervision: a gateway whose uplink has been silent longer than its period is a
// technical alarm at the core ("no data from gateway gw-1 for 60 s"), ended when its next batch
// arrives. Each authenticated POST /v1/ingest is a contact; at start the newest batch each known
// gateway sent (the ingest ledger) and the silence alarms still active are read back, so a restart
// neither forgets a gateway nor raises a second alarm for one episode.
//
// The alarm rows are the core's own: gateway_id CORE_GATEWAY_ID and an alarm id under
// GATEWAY_SILENCE_PREFIX, which ingest keeps aside from any gateway (one gateway cannot end
// another's alarm, nor its own, by sending a row: only its batches end it).
import type { Alarm, AlarmPriority, IngestBatch } from '@neva/contracts'
import type { ClickHouse } from '@neva/analytics'
import type { CORE_ALARM_EVENTS } from './errors.js'

/** The gateway id the core's own alarm rows carry; no gateway may be configured under it. */
export const CORE_GATEWAY_ID = 'neva-core'
/** Every gateway silence alarm id starts with this; rows from gateways that use it are kept aside. */
export const GATEWAY_SILENCE_PREFIX = 'neva-core:gateway-silent/'
export const GATEWAY_SILENT_EVENT = 'NEVA_CORE_GATEWAY_SILENT' satisfies keyof typeof CORE_ALARM_EVENTS

export interface GatewaySupervisorOptions {
  /** The gateways the core knows (configured and issued tokens); only these are supervised. */
  gateways: () => Iterable<string>
  /** Silence allowed, ms (no request with its token); 0: no gateway is supervised unless `periodsMs` names it. */
  periodMs: number
  /** Per gateway, ms; 0: that gateway is not supervised. */
  periodsMs: Readonly<Record<string, number>>
  /** gateway → its sites: the alarm's facility is the first (the ward is null: the whole site). */
  sites: Readonly<Record<string, readonly string[]>>
  priority: AlarmPriority
  /** Stores one batch of the core's alarm rows (TelemetryStore.storeBatch, then the live bus). */
  write: (batch: IngestBatch) => Promise<void>
  /**
   * The newest batch stored per gateway (the ingest ledger), asked before raising or keeping an
   * alarm: with several cores on one ClickHouse, a batch another core took is a contact too.
   */
  storedContacts?: (gatewayIds: readonly string[]) => Promise<ReadonlyArray<{ gateway_id: string; at: number }>>
  /** Injected in tests. */
  now?: () => number
}

interface Raised {
  alarmId: string
  /** The last contact before the silence (what the alarm id is made of). */
  since: number
}

export class GatewaySupervisor {
  private readonly contacts = new Map<string, number>()
  private readonly raised = new Map<string, Raised>()
  private readonly now: () => number
  private lastSeq = 0
  private checking: Promise<void> | undefined
  alarmsRaised = 0
  alarmsEnded = 0

  constructor(private readonly options: GatewaySupervisorOptions) {
    this.now = options.now ?? Date.now
  }

  /** The gateway was heard (an authenticated ingest request); ends its alarm at the next check. */
  contact(gatewayId: string, at = this.now()): void {
    if ((this.contacts.get(gatewayId) ?? -Infinity) < at) this.contacts.set(gatewayId, at)
    if (this.raised.has(gatewayId)) void this.check().catch(() => {})
  }

  /** What was stored before a restart: last contacts, and the silence alarms still active. */
  restore(contacts: ReadonlyArray<{ gateway_id: string; at: number }>, active: ReadonlyArray<{ gateway_id: string; alarm_id: string; since: number }>): void {
    for (const c of contacts) this.contact(c.gateway_id, c.at)
    for (const a of active) this.raised.set(a.gateway_id, { alarmId: a.alarm_id, since: a.since })
  }

  periodOf(gatewayId: string): number {
    return Object.hasOwn(this.options.periodsMs, gatewayId) ? this.options.periodsMs[gatewayId]! : this.options.periodMs
  }

  /** Gateways with an active silence alarm. */
  silent(): string[] {
    return [...this.raised.keys()].sort()
  }

  /** One pass at a time; a failed write rejects and is retried at the next pass. */
  check(): Promise<void> {
    this.checking ??= this.pass().finally(() => (this.checking = undefined))
    return this.checking
  }

  /** Resolves once no pass is under way (before the store closes). */
  async idle(): Promise<void> {
    await this.checking?.catch(() => {})
  }

  private async pass(): Promise<void> {
    const now = this.now()
    const known = new Set(this.options.gateways())
    const failures: unknown[] = []
    const due = (id: string) => {
      const heard = this.contacts.get(id)
      const period = this.periodOf(id)
      return heard !== undefined && period > 0 && now - heard > period
    }
    const asking = [...new Set([...this.raised.keys(), ...[...known].filter((id) => !this.raised.has(id) && due(id))])]
    if (asking.length > 0 && this.options.storedContacts) {
      for (const c of await this.options.storedContacts(asking)) if ((this.contacts.get(c.gateway_id) ?? -Infinity) < c.at) this.contacts.set(c.gateway_id, c.at)
    }
    for (const [gatewayId, raised] of [...this.raised]) {
      const heard = this.contacts.get(gatewayId) ?? raised.since
      // Heard again, or no longer supervised (its token removed, its period 0): the alarm ends.
      if (heard > raised.since || !known.has(gatewayId) || this.periodOf(gatewayId) === 0) {
        try {
          await this.emit(gatewayId, raised, 'inactive', now, (heard > raised.since ? heard : now) - raised.since)
          this.raised.delete(gatewayId)
          this.alarmsEnded++
        } catch (err) { failures.push(err) }
      }
    }
    for (const gatewayId of known) {
      const heard = this.contacts.get(gatewayId)
      const period = this.periodOf(gatewayId)
      // Never heard since start nor in stored data: nothing says it ever had an uplink.
      if (heard === undefined || period <= 0 || this.raised.has(gatewayId) || now - heard <= period) continue
      const r: Raised = { alarmId: `${GATEWAY_SILENCE_PREFIX}${gatewayId}/${heard}`, since: heard }
      try {
        await this.emit(gatewayId, r, 'active', now, now - heard)
        this.raised.set(gatewayId, r)
        this.alarmsRaised++
      } catch (err) { failures.push(err) }
    }
    if (failures.length > 0) throw failures[0]
  }

  private async emit(gatewayId: string, r: Raised, state: 'active' | 'inactive', now: number, silentMs: number): Promise<void> {
    const seconds = Math.round(silentMs / 1000)
    const text = state === 'active' ? `no data from gateway ${gatewayId} for ${seconds} s` : `gateway ${gatewayId} heard again after ${seconds} s`
    const seq = (this.lastSeq = Math.max(this.lastSeq + 1, now))
    const site = Object.hasOwn(this.options.sites, gatewayId) ? this.options.sites[gatewayId]![0] : undefined
    const alarm: Alarm = {
      gateway_id: CORE_GATEWAY_ID, seq, alarm_id: r.alarmId, device_id: gatewayId, source: 'mqtt', patient_id: null,
      ward: null, room: null, bed: null, facility: site ?? null,
      event_code: null, event_name: GATEWAY_SILENT_EVENT, event_text: text.slice(0, 256), source_code: null, source_name: null,
      alert_type: 'technical', priority: this.options.priority, state,
      phase: state === 'active' ? 'start' : 'end', alarm_state: state, inactivation_state: null,
      value: null, unit: null, limit_low: null, limit_high: null, device_time: null, received_time: now,
    }
    await this.options.write({
      gateway_id: CORE_GATEWAY_ID, batch_id: `gateway-silent.${seq}`, sent_time: now, observations: [], triage: [], rejected: [], alarms: [alarm],
    })
  }
}

/** The newest batch each gateway sent (the ingest ledger's receive time), and the silence alarms still active. */
export async function storedGatewayState(ch: ClickHouse, gateways: readonly string[]): Promise<{
  contacts: Array<{ gateway_id: string; at: number }>
  active: Array<{ gateway_id: string; alarm_id: string; since: number }>
}> {
  const contacts = await storedContacts(ch, gateways)
  const order = '(received_time, gateway_id, seq)'
  const alarmRows = await (await ch.client.query({
    query: `SELECT alarm_id, argMax(device_id, ${order}) AS gateway, argMax(state, ${order}) AS state FROM alarms
            WHERE gateway_id = {core:String} AND startsWith(alarm_id, {prefix:String}) GROUP BY alarm_id HAVING state = 'active'`,
    query_params: { core: CORE_GATEWAY_ID, prefix: GATEWAY_SILENCE_PREFIX }, format: 'JSONEachRow',
  })).json<{ alarm_id: string; gateway: string }>()
  return {
    contacts,
    active: alarmRows.map((r) => ({ gateway_id: r.gateway, alarm_id: r.alarm_id, since: Number(r.alarm_id.slice(r.alarm_id.lastIndexOf('/') + 1)) })),
  }
}

/** The newest batch each of these gateways sent (the ingest ledger's receive time), ms. */
export async function storedContacts(ch: ClickHouse, gateways: readonly string[]): Promise<Array<{ gateway_id: string; at: number }>> {
  if (gateways.length === 0) return []
  const rows = await (await ch.client.query({
    query: `SELECT gateway_id, toUnixTimestamp64Milli(max(received_at)) AS at FROM ingest_batches
            WHERE gateway_id IN {g:Array(String)} GROUP BY gateway_id`,
    query_params: { g: [...gateways] }, format: 'JSONEachRow',
  })).json<{ gateway_id: string; at: string | number }>()
  return rows.map((r) => ({ gateway_id: r.gateway_id, at: Number(r.at) }))
}

/** A gateway's alarm row that claims a core silence alarm id is kept aside, never stored. */
export function claimsCoreAlarm(alarm: Pick<Alarm, 'alarm_id'>): boolean {
  return alarm.alarm_id.startsWith(GATEWAY_SILENCE_PREFIX)
}
