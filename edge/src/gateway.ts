// What startGateway gives back, and what its callers (benchmarks, tests) may hook into.
import type { Outbox, OutboxBatch } from './outbox/types.js'
import type { TriagePool } from './triage/pool.js'
import type { TriageStage } from './triage/triage-stage.js'
import type { Uplink } from './uplink/uplink.js'
import type { DeviceSupervisor } from './sources/supervisor.js'
import type { CtgStage } from './ctg/live.js'

export interface Gateway {
  mqttPort: number
  /** The HL7/MLLP listener's port; null when the gateway does not listen for HL7. */
  mllpPort: number | null
  apiUrl: string
  outbox: Outbox
  uplink: Uplink
  triage: TriageStage
  /** The model's worker pool; undefined when the gateway runs NEWS2 alone. */
  pool: TriagePool | undefined
  /** Raises a technical alarm for a device silent longer than its period. */
  supervisor: DeviceSupervisor
  /** Classifies fetal monitors' traces (FIGO 2015) over a sliding window. */
  ctg: CtgStage
  /** Waits until the core has every entry, or throws after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>
  stop(): Promise<void>
}

export interface GatewayHooks {
  onDelivered?: (batch: OutboxBatch) => void
  /** Another outbox than SQLite: benchmarks measure the pipeline with the outbox bypassed. */
  outbox?: Outbox
}
