// A model published to the core's registry reaches a running gateway, which scores with it
// without a restart; a model that does not fit the gateway is refused there and the running one
// stays; `neva triage --core` scores with the published model too. Real core on embedded
// ClickHouse, real gateway, real MQTT, the repository's bin/neva.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { vitalsTopic } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { generateModelKeyPair, parseGatewayConfig, signManifest, startGateway } from '@neva/edge'
import { packaged, randomModel } from '@neva/cli/model-fixtures'

const dir = (p: string) => mkdtempSync(join(tmpdir(), `neva-${p}-`))
const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: dir('ch') }, logLevel: 'silent', bodyLimit: 32 * 1024 * 1024,
  gateways: { 'gw-models': hashToken('tok-gw') },
  admins: { ops: hashToken('tok-admin') },
})
after(() => core.close())

// Models are signed offline; the gateway pins the public key (models.trusted_keys).
const SIGNING = generateModelKeyPair()
const upload = (m: ReturnType<typeof packaged>) =>
  fetch(`${core.url}/v1/models/triage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer tok-admin' },
    body: JSON.stringify({ manifest: m.manifest, onnx_base64: Buffer.from(m.bytes).toString('base64'), signature: signManifest(m.manifest, SIGNING.privateKeyPem) }),
  })

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('a gateway hot-swaps to the model the core publishes and refuses one that does not fit', async () => {
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-models', data_dir: dir('edge'), mqtt: { port: 0 }, api: { port: 0 },
    core: { url: core.url, token: 'tok-gw', linger_ms: 5 },
    triage: { sync_interval_ms: 100 },
    models: { trusted_keys: [SIGNING.publicKey] },
    log_level: 'silent',
  }), () => {})
  const status = async () => (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { triage: { model: string | null; refused: number } }
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'mon-models', reconnectPeriod: 0 })
  try {
    const shipped = (await status()).triage.model
    assert.match(shipped ?? '', /^triage-lr@/, 'the gateway starts with the model it ships with')

    const v2 = packaged(randomModel(11), '2')
    assert.equal((await upload(v2)).status, 201)
    await until('test-lr@2 in service', async () => ((await status()).triage.model === 'test-lr@2' ? true : undefined))

    // neva triage --core scores with the core's current model too.
    const cli = await new Promise<string>((resolve, reject) => {
      const child = execFile(fileURLToPath(new URL('../../bin/neva', import.meta.url)), ['triage', '--core', core.url], { env: { ...process.env, NEVA_CORE_TOKEN: 'tok-gw', NEVA_MODEL_TRUSTED_KEYS: SIGNING.publicKey } }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)))
      child.stdin!.end(JSON.stringify({ pulse: 120, spo2: 93 }) + '\n')
    })
    assert.equal((JSON.parse(cli) as { model_version: string }).model_version, 'test-lr@2')

    // Readings scored from now on name the new model.
    const t = Date.now()
    await client.publishAsync(vitalsTopic('mon-models'), JSON.stringify({ patient_id: 'pm-1', time: t, readings: [{ vital: 'heart_rate', value: 120 }, { vital: 'spo2', value: 93 }] }), { qos: 1 })
    await gateway.drain(10_000)
    const rows = await (await core.clickhouse.client.query({ query: "SELECT model_version, model_level FROM triage_results WHERE patient_id = 'pm-1'", format: 'JSONEachRow' })).json<{ model_version: string; model_level: string }>()
    assert.ok(rows.length >= 1)
    assert.ok(rows.every((r) => r.model_version === 'test-lr@2' && r.model_level !== ''))

    // Valid manifest and hash, but trained on other inputs: the gateway refuses it and stays on v2.
    const v3 = packaged(randomModel(12), '3')
    v3.manifest.features = v3.manifest.features.map((f, i) => (i === 0 ? { ...f, name: 'lactate' } : f))
    assert.equal((await upload(v3)).status, 201)
    await until('v3 refused', async () => ((await status()).triage.refused >= 1 ? true : undefined))
    assert.equal((await status()).triage.model, 'test-lr@2')
  } finally {
    await client.endAsync()
    await gateway.stop()
  }
})
