// The SQLite outbox built from the outbox section, in the gateway's data folder.
import { join } from 'node:path'
import type { GatewayConfig } from '../config.js'
import { SqliteOutbox } from './sqlite-outbox.js'

export function sqliteOutbox(config: GatewayConfig['outbox'], { dataDir, gatewayId }: { dataDir: string; gatewayId: string }): SqliteOutbox {
  return new SqliteOutbox({
    path: join(dataDir, 'outbox.db'),
    gatewayId,
    maxBytes: config.max_bytes,
    ...(config.rejected_max_bytes !== null ? { rejectedMaxBytes: config.rejected_max_bytes } : {}),
    dedupWindowMs: config.dedup_window_ms,
    liveWindowMs: config.live_window_ms,
  })
}
