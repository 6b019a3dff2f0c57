// The triage model registry through the real embedded ClickHouse: upload, list, current,
// download, refusals, activate/rollback and who may do what.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ModelManifest } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'

const ADMIN = 'secret-admin'
const GATEWAY = 'secret-gw-1'
const core = await startCore({
  host: '127.0.0.1',
  port: 0,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-models-')) },
  gateways: { 'gw-1': hashToken(GATEWAY) },
  admins: { ops: hashToken(ADMIN) },
  logLevel: 'silent',
  bodyLimit: 8 * 1024 * 1024,
})
after(() => core.close())

const rate = { under_triage: 0.1, over_triage: 0.2, red_sensitivity: 0.9, auroc: { green: 0.9, yellow: 0.8, red: 0.95 }, confusion: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }
function model(id: string, version: string, bytes = randomBytes(256)): { manifest: ModelManifest; bytes: Buffer } {
  const manifest: ModelManifest = {
    id, version, created: '2026-11-25T10:00:00Z', kind: 'logistic_regression', file: `${id}-${version}.onnx`,
    sha256: createHash('sha256').update(bytes).digest('hex'), feature_set: 'fs-1',
    features: [{ name: 'spo2', unit: '%', description: 'SpO2', mean: 96, std: 2, impute: 97 }],
    labels: ['green', 'yellow', 'red'], thresholds: { red: 0.5, yellow: 0.4 },
    training: { description: 'test', seed: '1', patients: 10, samples: 100 },
    evaluation: { n: 3, model: rate, news2: rate },
  }
  return { manifest, bytes }
}

async function call(method: string, path: string, token: string | null = ADMIN, body?: unknown) {
  const res = await fetch(`${core.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  let json: Record<string, unknown> = {}
  try { json = JSON.parse(text) as Record<string, unknown> } catch { /* not JSON */ }
  return { status: res.status, body: json, headers: res.headers }
}
const upload = (m: { manifest: unknown; bytes: Buffer }, query = '', token: string | null = ADMIN) =>
  call('POST', `/v1/models/triage${query}`, token, { manifest: m.manifest, onnx_base64: m.bytes.toString('base64') })
const current = async () => {
  const res = await call('GET', '/v1/models/triage/current', GATEWAY)
  return res.status === 200 ? `${(res.body.manifest as ModelManifest).id}@${(res.body.manifest as ModelManifest).version}` : res.status
}

// Tests share one registry and run in order.
test('nothing is current before the first upload', async () => {
  const res = await call('GET', '/v1/models/triage/current', GATEWAY)
  assert.equal(res.status, 404)
  assert.equal(res.body.error, 'NEVA_CORE_MODEL_NO_CURRENT')
  assert.deepEqual((await call('GET', '/v1/models/triage', GATEWAY)).body, { models: [] })
})

const a1 = model('triage-lr', '1.0.0')
test('an upload is stored, listed, current, and its bytes come back unchanged', async () => {
  const res = await upload(a1)
  assert.equal(res.status, 201)
  assert.deepEqual(res.body, { id: 'triage-lr', version: '1.0.0', sha256: a1.manifest.sha256, current: true })

  const list = await call('GET', '/v1/models/triage', GATEWAY)
  assert.equal(list.status, 200)
  const [row, ...rest] = list.body.models as Array<Record<string, unknown>>
  assert.equal(rest.length, 0)
  assert.equal(row!.id, 'triage-lr')
  assert.equal(row!.version, '1.0.0')
  assert.equal(row!.sha256, a1.manifest.sha256)
  assert.equal(row!.current, true)
  assert.equal(row!.uploaded_by, 'admin:ops')
  assert.ok(Math.abs(Number(row!.uploaded_at) - Date.now()) < 60_000)

  const cur = await call('GET', '/v1/models/triage/current', GATEWAY)
  assert.equal(cur.status, 200)
  assert.deepEqual(cur.body.manifest, a1.manifest)
  assert.match(String(cur.body.etag), /^"[0-9a-f]{32}"$/)
  assert.equal(cur.headers.get('etag'), cur.body.etag)
  const unchanged = await fetch(`${core.url}/v1/models/triage/current`, { headers: { authorization: `Bearer ${GATEWAY}`, 'if-none-match': String(cur.body.etag) } })
  assert.equal(unchanged.status, 304)

  const onnx = await fetch(`${core.url}/v1/models/triage/triage-lr/1.0.0/onnx`, { headers: { authorization: `Bearer ${GATEWAY}` } })
  assert.equal(onnx.status, 200)
  assert.equal(onnx.headers.get('content-type'), 'application/octet-stream')
  assert.deepEqual(Buffer.from(await onnx.arrayBuffer()), a1.bytes)
  assert.equal((await call('GET', '/v1/models/triage/triage-lr/9.9.9/onnx', GATEWAY)).status, 404)
})

test('bytes that do not hash to manifest.sha256 are refused, naming both hashes', async () => {
  const m = model('triage-lr', '1.0.1')
  const tampered = Buffer.from(m.bytes)
  tampered[0] = tampered[0]! ^ 0xff
  const res = await upload({ manifest: m.manifest, bytes: tampered })
  assert.equal(res.status, 400)
  assert.equal(res.body.error, 'NEVA_CORE_MODEL_HASH_MISMATCH')
  assert.match(String(res.body.message), new RegExp(`manifest.sha256 is ${m.manifest.sha256}.*hash to ${createHash('sha256').update(tampered).digest('hex')}`))
  assert.equal(await current(), 'triage-lr@1.0.0')
})

test('a manifest that breaks the schema, or bytes that are not base64, are refused with 400', async () => {
  const m = model('triage-lr', '1.0.2')
  const bad = async (manifest: unknown, field: RegExp) => {
    const res = await upload({ manifest, bytes: m.bytes })
    assert.equal(res.status, 400, JSON.stringify(res.body))
    assert.match(String(res.body.message), field)
  }
  await bad({ ...m.manifest, sha256: 'ABC' }, /sha256/)
  await bad({ ...m.manifest, labels: ['red', 'yellow', 'green'] }, /labels/)
  await bad({ ...m.manifest, created: 'yesterday' }, /created/)
  await bad({ ...m.manifest, features: [] }, /features/)
  await bad({ ...m.manifest, extra: 1 }, /additional/)
  const { kind: _kind, ...noKind } = m.manifest
  await bad(noKind, /kind/)
  const notBase64 = await call('POST', '/v1/models/triage', ADMIN, { manifest: m.manifest, onnx_base64: 'not base64!' })
  assert.equal(notBase64.status, 400)
  assert.match(String(notBase64.body.message), /onnx_base64/)
  assert.equal(((await call('GET', '/v1/models/triage', ADMIN)).body.models as unknown[]).length, 1)
})

test('the same id and version twice is refused with 409, even with other bytes', async () => {
  const res = await upload(a1)
  assert.equal(res.status, 409)
  assert.equal(res.body.error, 'NEVA_CORE_MODEL_EXISTS')
  assert.equal((await upload(model('triage-lr', '1.0.0'))).status, 409)
})

const a2 = model('triage-lr', '2.0.0')
const b1 = model('triage-mlp', '1.0.0')
test('activate=false stores without activating; activate and rollback walk the history', async () => {
  assert.equal((await upload(a2, '?activate=false')).status, 201)
  assert.equal(await current(), 'triage-lr@1.0.0')
  assert.equal((await upload(b1)).status, 201)
  assert.equal(await current(), 'triage-mlp@1.0.0')

  const act = await call('POST', '/v1/models/triage/triage-lr/2.0.0/activate')
  assert.equal(act.status, 200)
  assert.equal(act.body.changed, true)
  assert.equal(await current(), 'triage-lr@2.0.0')
  assert.equal((await call('POST', '/v1/models/triage/triage-lr/2.0.0/activate')).body.changed, false)
  assert.equal((await call('POST', '/v1/models/triage/nope/1/activate')).status, 404)

  const list = (await call('GET', '/v1/models/triage')).body.models as Array<{ id: string; version: string; current: boolean }>
  assert.deepEqual(list.filter((m) => m.current).map((m) => `${m.id}@${m.version}`), ['triage-lr@2.0.0'])
  assert.equal(list.length, 3)

  // History: 1.0.0 → mlp 1.0.0 → 2.0.0. Each rollback steps back one activation.
  assert.deepEqual((await call('POST', '/v1/models/triage/rollback')).body, { id: 'triage-mlp', version: '1.0.0', current: true })
  assert.equal(await current(), 'triage-mlp@1.0.0')
  assert.equal((await call('POST', '/v1/models/triage/rollback')).status, 200)
  assert.equal(await current(), 'triage-lr@1.0.0')
  const none = await call('POST', '/v1/models/triage/rollback')
  assert.equal(none.status, 409)
  assert.equal(none.body.error, 'NEVA_CORE_MODEL_NO_PREVIOUS')
  assert.equal(await current(), 'triage-lr@1.0.0')
})

test('concurrent activations are logged one at a time: every event has its own seq', async () => {
  const answers = await Promise.all(['2.0.0', '1.0.0', '2.0.0', '1.0.0'].map((v) => call('POST', `/v1/models/triage/triage-lr/${v}/activate`)))
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200])
  const rs = await core.clickhouse.client.query({ query: 'SELECT count() AS n, uniqExact(seq) AS u, max(seq) AS m FROM triage_model_events', format: 'JSONEachRow' })
  const [row] = await rs.json<{ n: string; u: string; m: string }>()
  assert.equal(Number(row!.u), Number(row!.n))
  assert.equal(Number(row!.m), Number(row!.n))
  await call('POST', '/v1/models/triage/triage-lr/1.0.0/activate')
  assert.equal(await current(), 'triage-lr@1.0.0')
})

test('no token or an unknown one: 401; a gateway token on an admin route: 403', async () => {
  const m = model('triage-lr', '3.0.0')
  for (const token of [null, 'not-a-token']) {
    const res = await upload(m, '', token)
    assert.equal(res.status, 401)
    assert.equal(res.body.error, 'NEVA_CORE_UNAUTHORIZED')
    assert.equal((await call('GET', '/v1/models/triage/current', token)).status, 401)
    assert.equal((await call('GET', '/v1/models/triage', token)).status, 401)
    assert.equal((await call('GET', '/v1/models/triage/triage-lr/1.0.0/onnx', token)).status, 401)
  }
  const forbidden = [
    await upload(m, '', GATEWAY),
    await call('POST', '/v1/models/triage/triage-lr/2.0.0/activate', GATEWAY),
    await call('POST', '/v1/models/triage/rollback', GATEWAY),
  ]
  assert.deepEqual(forbidden.map((f) => f.status), [403, 403, 403])
  assert.equal(forbidden[0]!.body.error, 'NEVA_CORE_FORBIDDEN')
  // An admin may read what gateways read.
  assert.equal((await call('GET', '/v1/models/triage/current', ADMIN)).status, 200)
  assert.equal(await current(), 'triage-lr@1.0.0')
  assert.equal(((await call('GET', '/v1/models/triage')).body.models as unknown[]).length, 3)
})
