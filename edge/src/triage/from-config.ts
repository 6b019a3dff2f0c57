// Triage built from the triage and models sections: the worker pool with the configured model,
// the sync that installs the models the core publishes, and the stage that scores durable
// readings and appends each changed assessment to the outbox.
import { join } from 'node:path'
import { FEATURES, FEATURE_SET, type RiskManifest } from '@neva/triage'
import type { GatewayConfig } from '../config.js'
import type { Log } from '../log.js'
import type { EdgeMetrics } from '../metrics.js'
import type { Outbox } from '../outbox/types.js'
import type { CoreLink } from '../uplink/from-config.js'
import { DEFAULT_MODEL_MANIFEST, readModelFiles } from './model-files.js'
import { parsePublicKey } from './model-signature.js'
import { ModelSync } from './model-sync.js'
import { ModelTriage } from './model-triage.js'
import { LiveRisk } from './live-risk.js'
import { TriagePool } from './pool.js'
import { TriageStage } from './triage-stage.js'

/** A pool with the configured model; a model that cannot be installed leaves NEWS2 alone, loudly. None without a model. */
export async function triagePool(config: GatewayConfig['triage'], log: Log): Promise<TriagePool | undefined> {
  if (config.model === null) return undefined
  const pool = new TriagePool({ threads: config.threads, spec: { featureSet: FEATURE_SET, features: FEATURES } })
  const path = config.model === 'builtin' ? DEFAULT_MODEL_MANIFEST : config.model
  try {
    const { manifest, bytes } = await readModelFiles(path)
    const installed = await pool.install(manifest, bytes)
    log('info', 'triage model installed', { model: `${installed.id}@${installed.version}`, threads: config.threads })
  } catch (err) {
    log('error', 'triage model refused; scoring with NEWS2 alone until a valid model arrives', { path, err: (err as Error).message })
  }
  return pool
}

export interface ModelSyncDeps {
  core: CoreLink
  pool: TriagePool | undefined
  dataDir: string
  log: Log
}

/**
 * A model the core publishes (or the one it published last, cached on disk) replaces the
 * configured one; a model that does not fit is refused and the running one stays. None without
 * a pool or with sync_interval_ms 0.
 */
export function modelSync(config: GatewayConfig['triage'], models: GatewayConfig['models'], { core, pool, dataDir, log }: ModelSyncDeps): ModelSync | undefined {
  return pool && config.sync_interval_ms > 0
    ? new ModelSync({ url: core.url, token: core.token, ca: core.ca, trustedKeys: models.trusted_keys.map(parsePublicKey), dataDir, intervalMs: config.sync_interval_ms, timeoutMs: core.timeoutMs, install: (m, b) => pool.install(m, b), log })
    : undefined
}

/** Where a gateway keeps its patients' hourly histories across a restart. */
export const riskHistoriesPath = (dataDir: string) => join(dataDir, 'triage', 'risk-histories.json')

export function triageStage({ outbox, pool, metrics, log, dataDir }: { outbox: Outbox; pool: TriagePool | undefined; metrics: EdgeMetrics; log: Log; dataDir?: string }): TriageStage {
  return new TriageStage({
    outbox,
    model: pool && new ModelTriage(pool),
    risk: pool && (dataDir ? LiveRisk.restore(pool, riskHistoriesPath(dataDir), log) : new LiveRisk(pool)),
    onResult: (r) => metrics.triage.inc({ level: r.level }),
    log,
  })
}

/**
 * The deterioration model the core publishes (/v1/models/risk), signed like the triage model and
 * checked against the gateway's hourly extractor; cached under <data_dir>/models/risk/. Same
 * conditions as modelSync.
 */
export function riskModelSync(config: GatewayConfig['triage'], models: GatewayConfig['models'], { core, pool, dataDir, log }: ModelSyncDeps): ModelSync<RiskManifest> | undefined {
  return pool && config.sync_interval_ms > 0
    ? new ModelSync<RiskManifest>({ registry: 'risk', url: core.url, token: core.token, ca: core.ca, trustedKeys: models.trusted_keys.map(parsePublicKey), dataDir, intervalMs: config.sync_interval_ms, timeoutMs: core.timeoutMs, install: (m, b) => pool.installRisk(m, b), log })
    : undefined
}
