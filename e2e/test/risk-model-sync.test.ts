// The deterioration (risk) model distributed like the triage model: signed offline, uploaded to
// the core's /v1/models/risk, installed by a gateway's ModelSync (registry 'risk') into the real
// triage pool only when its signature verifies, cached on disk and restored from there.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { hashToken, startCore } from '@neva/core'
import {
  DEFAULT_RISK_MANIFEST, FEATURES, FEATURE_SET, ModelSync, TriagePool, generateModelKeyPair, parsePublicKey, readModelFiles, signManifest, type RiskManifest,
} from '@neva/edge'
import { tempDir } from './helpers.js'

const ADMIN = 'tok-admin'
const GW = 'tok-gw'
const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: tempDir('ch-risk') }, gateways: { 'gw-risk': hashToken(GW) },
  admins: { ops: hashToken(ADMIN) }, logLevel: 'silent', bodyLimit: 8 * 1024 * 1024,
})
const pool = new TriagePool({ threads: 1, spec: { featureSet: FEATURE_SET, features: FEATURES } })
after(async () => {
  await pool.close()
  await core.close()
})

const SIGNING = generateModelKeyPair()
const ROGUE = generateModelKeyPair()
const shipped = await readModelFiles(DEFAULT_RISK_MANIFEST)
const manifest = shipped.manifest as RiskManifest

async function upload(m: RiskManifest, key: string) {
  const res = await fetch(`${core.url}/v1/models/risk`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ manifest: m, onnx_base64: Buffer.from(shipped.bytes).toString('base64'), signature: signManifest(m, key) }),
  })
  assert.equal(res.status, 201, await res.text())
}

const sync = (dataDir: string) => new ModelSync<RiskManifest>({
  registry: 'risk', url: core.url, token: GW, dataDir, trustedKeys: [parsePublicKey(SIGNING.publicKey)], intervalMs: 60_000, timeoutMs: 5000,
  install: (m, b) => pool.installRisk(m, b),
})

test('a risk model signed by a pinned key is installed in the pool and cached; one signed by another key is refused', async () => {
  const dir = tempDir('edge-risk')
  const s = sync(dir)
  try {
    assert.equal(await s.syncOnce(), 'none')
    await upload(manifest, SIGNING.privateKeyPem)
    assert.equal(await s.syncOnce(), 'installed')
    assert.equal(pool.currentRisk()?.sha256, manifest.sha256)
    assert.deepEqual(pool.currentRisk()?.escalation, manifest.escalation)
    assert.ok(existsSync(join(dir, 'models', 'risk', manifest.file)))
    // Signed by a key the gateway does not pin: refused before download, the installed one stays.
    await upload({ ...manifest, version: '2-rogue' }, ROGUE.privateKeyPem)
    assert.equal(await s.syncOnce(), 'refused')
    assert.equal(s.status().signature_refusals, 1)
    assert.equal(pool.currentRisk()?.version, manifest.version)
  } finally {
    await s.stop()
  }
  // A restart without the core: the cached model checks out again.
  const cached = await sync(dir).loadCached()
  assert.deepEqual(cached?.manifest, manifest)
})
