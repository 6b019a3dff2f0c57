// Prometheus metrics of one gateway (own registry).
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { DecodedKindName, SourceProtocol } from '@neva/contracts'
import type { Outbox } from './outbox/types.js'
import { registerWorkerHeaps } from './worker-heaps.js'

export function createEdgeMetrics(outbox: Outbox) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'neva_edge_' })
  registerWorkerHeaps(registry)
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] })
  new Gauge({
    name: 'neva_edge_outbox_depth',
    help: 'Entries in the outbox not yet acknowledged by the core',
    registers: [registry],
    collect() {
      this.set(outbox.stats().depth)
    },
  })
  new Gauge({
    name: 'neva_edge_outbox_oldest_age_seconds',
    help: 'Age of the oldest entry not yet acknowledged by the core',
    registers: [registry],
    collect() {
      this.set(outbox.stats().oldestAgeMs / 1000)
    },
  })
  new Gauge({
    name: 'neva_edge_outbox_bytes',
    help: 'Bytes the outbox database uses',
    registers: [registry],
    collect() {
      this.set(outbox.stats().bytes)
    },
  })
  new Gauge({
    name: 'neva_edge_outbox_full',
    help: '1 while the outbox is at its disk budget and devices are not acknowledged',
    registers: [registry],
    collect() {
      this.set(outbox.stats().full ? 1 : 0)
    },
  })
  new Gauge({
    name: 'neva_edge_outbox_rejected_dropped',
    help: 'Refusals not kept because refused input was at its own budget (outbox.rejected_max_bytes), since start',
    registers: [registry],
    collect() {
      this.set(outbox.stats().rejectedDropped ?? 0)
    },
  })
  const readings = counter('neva_edge_readings_total', 'Readings made durable, by source', ['source'])
  const labResults = counter('neva_edge_lab_results_total', 'Lab results made durable, by source', ['source'])
  const alarms = counter('neva_edge_alarms_total', 'Alarm updates made durable, by source', ['source'])
  const transports = counter('neva_edge_transports_total', 'Transport states from crew tablets made durable')
  const infusionEvents = counter('neva_edge_infusion_events_total', 'Infusion pump events made durable, by source', ['source'])
  const waveforms = counter('neva_edge_waveform_chunks_total', 'Waveform chunks (one lead each) made durable')
  /** Records of each decoded kind made durable: every kind a decoder produces must have its counter. */
  const durable: Record<DecodedKindName, (source: SourceProtocol, n: number) => void> = {
    observation: (source, n) => readings.inc({ source }, n),
    lab_result: (source, n) => labResults.inc({ source }, n),
    waveform: (_source, n) => waveforms.inc(n),
    alarm: (source, n) => alarms.inc({ source }, n),
    transport: (_source, n) => transports.inc(n),
    infusion_event: (source, n) => infusionEvents.inc({ source }, n),
  }
  return {
    registry,
    readings,
    rejected: counter('neva_edge_rejected_total', 'Readings or messages refused, by error code', ['code']),
    labResults,
    alarms,
    transports,
    infusionEvents,
    waveforms,
    durable,
    ignored: counter('neva_edge_ignored_total', 'Parts of device messages deliberately not stored (codes Neva does not store), by source and reason', ['source', 'code']),
    duplicates: counter('neva_edge_duplicates_dropped_total', 'Messages a device resent that were already stored'),
    unacknowledged: counter('neva_edge_unacknowledged_total', 'Messages not acknowledged to the device because they could not be made durable (outbox at its budget, or a write failure)'),
    mqttRefused: counter('neva_edge_mqtt_connections_refused_total', 'MQTT connections refused at login, by code (NEVA_EDGE_MQTT_*)', ['code']),
    mqttDenied: counter('neva_edge_mqtt_denied_total', 'MQTT publishes and subscriptions a login may not make, by login ("(none)" without one) and code', ['username', 'code']),
    mllpRefused: counter('neva_edge_mllp_connections_refused_total', 'MLLP connections refused by the allowlist or a connection cap, by code (NEVA_EDGE_CONN_*)', ['code']),
    apiDenied: counter('neva_edge_api_denied_total', 'Local API requests refused, by code (missing or wrong token, rate limit)', ['code']),
    triage: counter('neva_edge_triage_results_total', 'Triage results by level', ['level']),
    uplinkBatches: counter('neva_edge_uplink_batches_total', 'Batches sent to the core, by outcome', ['outcome']),
    uplinkRows: counter('neva_edge_uplink_rows_total', 'Rows the core committed (its rate is the send rate)'),
    uplinkRetries: counter('neva_edge_uplink_retries_total', 'Batch sends that failed and will be retried'),
    deadLetters: counter('neva_edge_dead_letters_total', 'Entries the core refused permanently'),
  }
}
export type EdgeMetrics = ReturnType<typeof createEdgeMetrics>
