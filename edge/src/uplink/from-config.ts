// The uplink built from the core section: where the core is, how batches are cut and retried.
// The core's address, token and CA are read once (`coreLink`): model sync reaches the core too.
import type { GatewayConfig } from '../config.js'
import type { Log } from '../log.js'
import type { EdgeMetrics } from '../metrics.js'
import type { Outbox, OutboxBatch } from '../outbox/types.js'
import { readPem } from '../security/start-up.js'
import { Uplink } from './uplink.js'

export interface CoreLink {
  url: string
  token: string
  ca: Buffer | undefined
  timeoutMs: number
}

export function coreLink(config: GatewayConfig['core'], log: Log): CoreLink {
  const ca = config.ca_file ? readPem(config.ca_file, '/core/ca_file') : undefined
  if (config.url.startsWith('http:') && config.allow_insecure_http) {
    log('warn', 'the core is reached over plain http (core.allow_insecure_http): readings, the core token and models travel in clear text', { url: config.url })
  }
  return { url: config.url, token: config.token, ca, timeoutMs: config.timeout_ms }
}

export interface UplinkDeps {
  core: CoreLink
  outbox: Outbox
  metrics: EdgeMetrics
  log: Log
  /** outbox.live_window_ms: what was appended this recently still goes out first. */
  liveWindowMs: number
  onDelivered?: ((batch: OutboxBatch) => void) | undefined
}

export function uplinkStage(config: GatewayConfig['core'], { core, outbox, metrics, log, liveWindowMs, onDelivered }: UplinkDeps): Uplink {
  return new Uplink(outbox, {
    url: core.url,
    token: core.token,
    ca: core.ca,
    batchMax: config.batch_max,
    batchMaxBytes: config.batch_max_bytes,
    lingerMs: config.linger_ms,
    timeoutMs: core.timeoutMs,
    backoffBaseMs: config.backoff_base_ms,
    backoffMaxMs: config.backoff_max_ms,
    liveWindowMs,
    log,
    onDelivered,
  }, metrics)
}
