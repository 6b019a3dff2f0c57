// Model sync against a real core on embedded ClickHouse: first install, no reinstall, switching,
// refused models, tampered downloads, a core that is down, and the on-disk cache.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { ModelManifest } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { ModelSync, verifyModel, type ModelSyncOptions } from '@neva/edge'
import { generateModelKeyPair, parsePublicKey, signManifest } from '@neva/edge'
import { tempDir } from './helpers.js'

const ADMIN = 'tok-admin'
const GW = 'tok-gw'
const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: tempDir('ch') },
  gateways: { 'gw-sync': hashToken(GW) },
  admins: { ops: hashToken(ADMIN) },
  logLevel: 'silent',
  bodyLimit: 8 * 1024 * 1024,
})
after(() => core.close())

const rate = { under_triage: 0, over_triage: 0, red_sensitivity: 1, auroc: { green: 1, yellow: 1, red: 1 }, confusion: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }
function model(id: string, version: string): { manifest: ModelManifest; bytes: Buffer } {
  const bytes = randomBytes(512)
  const manifest: ModelManifest = {
    id, version, created: '2026-11-25T10:00:00.000Z', kind: 'logistic_regression', file: `${id}-${version}.onnx`,
    sha256: createHash('sha256').update(bytes).digest('hex'), feature_set: 'fs-1',
    features: [{ name: 'spo2', unit: '%', description: 'SpO2', mean: 96, std: 2, impute: 97 }],
    labels: ['green', 'yellow', 'red'], thresholds: { red: 0.5, yellow: 0.4 },
    training: { description: 'test', seed: '1', patients: 1, samples: 1 },
    evaluation: { n: 3, model: rate, news2: rate },
  }
  return { manifest, bytes }
}

async function admin(path: string, body?: unknown) {
  const res = await fetch(`${core.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  assert.ok(res.status < 300, `${path}: ${res.status} ${await res.text()}`)
}
/** The offline signing key the gateways pin, and one they do not. */
const SIGNING = generateModelKeyPair()
const ROGUE = generateModelKeyPair()
const upload = (m: { manifest: ModelManifest; bytes: Buffer }, activate = true, key: string | null = SIGNING.privateKeyPem) =>
  admin(`/v1/models/triage${activate ? '' : '?activate=false'}`, { manifest: m.manifest, onnx_base64: m.bytes.toString('base64'), ...(key ? { signature: signManifest(m.manifest, key) } : {}) })

/** A runtime that records what it is given and refuses the ids in `refuse`. */
function fakeRuntime(refuse: string[] = []) {
  const installs: Array<{ manifest: ModelManifest; bytes: Buffer }> = []
  const logs: Array<{ level: string; message: string }> = []
  return {
    installs,
    logs,
    options(url: string, dataDir: string, trustedKeys = [parsePublicKey(SIGNING.publicKey)]): ModelSyncOptions {
      return {
        url, token: GW, dataDir, trustedKeys, intervalMs: 30, timeoutMs: 2000,
        install: async (manifest, bytes) => {
          if (refuse.includes(manifest.id)) throw new Error(`inputs of ${manifest.id} do not match`)
          installs.push({ manifest, bytes: Buffer.from(bytes) })
        },
        log: (level, message) => { logs.push({ level, message }) },
      }
    },
  }
}

async function until(cond: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const a1 = model('triage-lr', '1')
const a2 = model('triage-lr', '2')
const gatewayDir = tempDir('edge-models')

test('installs the current model on the first poll, not again, and the next one once activated', async () => {
  const runtime = fakeRuntime()
  const sync = new ModelSync(runtime.options(core.url, gatewayDir))
  assert.equal(await sync.syncOnce(), 'none')
  await upload(a1)
  sync.start()
  try {
    await until(() => runtime.installs.length === 1)
    assert.deepEqual(runtime.installs[0]!.manifest, a1.manifest)
    assert.deepEqual(runtime.installs[0]!.bytes, a1.bytes)
    await sync.syncOnce() // joins the loop's poll, which may still be finishing the install
    assert.equal(await sync.syncOnce(), 'unchanged')

    await upload(a2, false)
    assert.equal(await sync.syncOnce(), 'unchanged')
    await admin('/v1/models/triage/triage-lr/2/activate')
    await until(() => runtime.installs.length === 2)
    assert.equal(runtime.installs[1]!.manifest.version, '2')
    await new Promise((r) => setTimeout(r, 150)) // several polls
    assert.equal(runtime.installs.length, 2)
    assert.equal(sync.status().installed, 'triage-lr@2')
    assert.equal(sync.status().last_error, null)
  } finally {
    await sync.stop()
  }
  // The installed model is cached under the data directory; the replaced one is gone.
  assert.ok(existsSync(join(gatewayDir, 'models', 'triage-lr-2.onnx')))
  assert.ok(!existsSync(join(gatewayDir, 'models', 'triage-lr-1.onnx')))
  const cached = await new ModelSync(runtime.options(core.url, gatewayDir)).loadCached()
  assert.deepEqual(cached?.manifest, a2.manifest)
  assert.deepEqual(Buffer.from(cached!.bytes), a2.bytes)
})

test('a model the runtime refuses is logged once, not retried, and the old one stays', async () => {
  const runtime = fakeRuntime(['triage-bad'])
  const sync = new ModelSync(runtime.options(core.url, tempDir('edge-refuse')))
  assert.equal(await sync.syncOnce(), 'installed')
  await upload(model('triage-bad', '1'))
  assert.equal(await sync.syncOnce(), 'refused')
  assert.equal(await sync.syncOnce(), 'unchanged') // 304 from the etag: not even the manifest again
  assert.equal(sync.status().installed, 'triage-lr@2')
  assert.deepEqual(sync.status().refused.map((k) => k.split(':')[0]), ['triage-bad@1'])
  assert.equal(runtime.logs.filter((l) => l.level === 'error').length, 1)
  assert.equal(runtime.installs.length, 1)
  // Rolled back to a model it already runs: nothing to do.
  await admin('/v1/models/triage/rollback')
  assert.equal(await sync.syncOnce(), 'unchanged')
  assert.equal(runtime.installs.length, 1)
  await sync.stop()
})

test('a tampered download is refused before install() and retried on the next poll', async () => {
  let tamper = true
  const proxy = createServer(async (req, res) => {
    const answer = await fetch(`${core.url}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } })
    const body = Buffer.from(await answer.arrayBuffer())
    if (tamper && req.url!.endsWith('/onnx')) body[10] = body[10]! ^ 1
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body)
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
  const runtime = fakeRuntime()
  const sync = new ModelSync(runtime.options(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, tempDir('edge-tamper')))
  try {
    assert.equal(await sync.syncOnce(), 'failed')
    assert.match(sync.lastError!, /triage-lr@2: the ONNX bytes hash to [0-9a-f]{64}, the manifest says/)
    assert.equal(runtime.installs.length, 0)
    tamper = false
    assert.equal(await sync.syncOnce(), 'installed')
    assert.equal(sync.lastError, undefined)
  } finally {
    await sync.stop()
    await new Promise<void>((r) => proxy.close(() => r()))
  }
})

test('verifyModel checks the manifest against the schema and the bytes against its hash', () => {
  assert.deepEqual(verifyModel(a1.manifest, a1.bytes), a1.manifest)
  assert.throws(() => verifyModel(a1.manifest, a2.bytes), /hash to/)
  assert.throws(() => verifyModel({ ...a1.manifest, thresholds: { red: 2, yellow: 0 } }, a1.bytes), /thresholds\/red/)
  assert.throws(() => verifyModel({ ...a1.manifest, created: 'soon' }, a1.bytes), /created/)
  assert.throws(() => verifyModel(null, a1.bytes), /model manifest/)
})

test('with the core down the loop keeps polling without throwing; a restarted gateway runs its cached model', async () => {
  const closed = createServer()
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
  const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
  await new Promise<void>((r) => closed.close(() => r()))

  const runtime = fakeRuntime()
  const sync = new ModelSync(runtime.options(deadUrl, gatewayDir))
  sync.start()
  try {
    await until(() => runtime.installs.length === 1 && sync.lastError !== undefined)
    assert.deepEqual(runtime.installs[0]!.manifest, a2.manifest)
    assert.equal(sync.status().installed, 'triage-lr@2')
    assert.match(sync.lastError!, /ECONNREFUSED|connect/i)
    await new Promise((r) => setTimeout(r, 100))
  } finally {
    await sync.stop()
  }

  // A damaged cache is ignored rather than installed.
  writeFileSync(join(gatewayDir, 'models', 'triage-lr-2.onnx'), 'not the model')
  const fresh = fakeRuntime()
  const again = new ModelSync(fresh.options(deadUrl, gatewayDir))
  assert.equal(await again.loadCached(), null)
  assert.equal(fresh.logs.some((l) => l.level === 'warn'), true)
  await again.stop()
})

test('finding 8: a model not signed by a pinned key is refused before download, counted, named; the current model stays', async () => {
  let alter = false
  // A channel that rewrites the manifest (a looser red threshold) and serves matching bytes.
  const proxy = createServer(async (req, res) => {
    const answer = await fetch(`${core.url}${req.url}`, { headers: { authorization: req.headers.authorization ?? '', ...(req.headers['if-none-match'] ? { 'if-none-match': String(req.headers['if-none-match']) } : {}) } })
    let body = Buffer.from(await answer.arrayBuffer())
    if (alter && req.url === '/v1/models/triage/current' && answer.status === 200) {
      const current = JSON.parse(body.toString()) as { manifest: ModelManifest }
      current.manifest.thresholds.red = 0.99
      body = Buffer.from(JSON.stringify(current))
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body)
  })
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
  const runtime = fakeRuntime()
  const sync = new ModelSync(runtime.options(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, tempDir('edge-signed')))
  try {
    assert.equal(await sync.syncOnce(), 'installed')
    const running = sync.status().installed

    await upload(model('triage-lr', '3'), true, ROGUE.privateKeyPem)
    assert.equal(await sync.syncOnce(), 'refused')
    assert.match(sync.status().last_refusal ?? '', /^NEVA_EDGE_MODEL_UNTRUSTED_KEY: triage-lr@3: signed by key [0-9a-f]{16}, which is not in models.trusted_keys/)

    await upload(model('triage-lr', '4'), true, null)
    assert.equal(await sync.syncOnce(), 'refused')
    assert.match(sync.status().last_refusal ?? '', /^NEVA_EDGE_MODEL_UNSIGNED: triage-lr@4/)

    alter = true
    await upload(model('triage-lr', '5'))
    assert.equal(await sync.syncOnce(), 'refused')
    assert.match(sync.status().last_refusal ?? '', /^NEVA_EDGE_MODEL_BAD_SIGNATURE: triage-lr@5: the signature by key [0-9a-f]{16} does not verify/)
    assert.deepEqual([sync.status().installed, sync.status().signature_refusals, runtime.installs.length], [running, 3, 1])
    assert.equal(runtime.logs.filter((l) => l.level === 'error').length, 3)

    // The untouched model, signed by the pinned key, installs.
    alter = false
    await upload(model('triage-lr', '6'))
    assert.equal(await sync.syncOnce(), 'installed')
    assert.deepEqual([sync.status().installed, sync.status().last_refusal], ['triage-lr@6', null])
  } finally {
    await sync.stop()
    await new Promise<void>((r) => proxy.close(() => r()))
  }
  // No key pinned: nothing from the core is installed.
  const keyless = fakeRuntime()
  const unpinned = new ModelSync(keyless.options(core.url, tempDir('edge-keyless'), []))
  assert.equal(await unpinned.syncOnce(), 'refused')
  assert.match(unpinned.status().last_refusal ?? '', /^NEVA_EDGE_MODEL_NO_TRUSTED_KEYS/)
  assert.equal(keyless.installs.length, 0)
  await unpinned.stop()
})
