// Shared set-up for the edge's component tests: a real core on embedded ClickHouse and gateways
// on fresh directories and ephemeral ports.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashToken, startCore, type Core } from '@neva/core'
import { parseGatewayConfig, startGateway, type Gateway } from '../src/index.js'

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `neva-${prefix}-`))

export async function startTestCore(gateways: Record<string, string>): Promise<Core> {
  return startCore({
    host: '127.0.0.1',
    port: 0,
    clickhouse: { path: tempDir('ch') },
    gateways: Object.fromEntries(Object.entries(gateways).map(([id, token]) => [id, hashToken(token)])),
    logLevel: 'silent',
    bodyLimit: 32 * 1024 * 1024,
  })
}

/** `extra`: more gateway config (e.g. `{ mllp: { port: 0 } }` for an HL7 listener). */
export async function startTestGateway(gatewayId: string, coreUrl: string, token: string, dataDir = tempDir('edge'), extra: Record<string, unknown> = {}): Promise<Gateway & { dataDir: string }> {
  const gateway = await startGateway(
    parseGatewayConfig({
      gateway_id: gatewayId,
      data_dir: dataDir,
      mqtt: { port: 0 },
      api: { port: 0 },
      core: { url: coreUrl, token, linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000 },
      // These tests count the requests the core gets; model distribution has its own tests.
      triage: { sync_interval_ms: 0 },
      log_level: 'silent',
      ...extra,
    }),
    () => {},
  )
  return Object.assign(gateway, { dataDir })
}
