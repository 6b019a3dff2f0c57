// The deterioration (risk) model's registry, /v1/models/risk, beside the triage model's in the
// same tables (0029): the shipped model uploads with its signature and comes back unchanged,
// the two registries do not see each other's models, and a triage manifest is refused there.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hashToken, startCore } from '@neva/core'

const ADMIN = 'secret-admin'
const GATEWAY = 'secret-gw-1'
const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-risk-models-')) },
  gateways: { 'gw-1': hashToken(GATEWAY) }, admins: { ops: hashToken(ADMIN) }, logLevel: 'silent', bodyLimit: 8 * 1024 * 1024,
})
after(() => core.close())

const manifestPath = fileURLToPath(new URL('../../edge/models/deterioration-xgb-1.json', import.meta.url))
const shipped = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown> & { file: string; sha256: string }
const bytes = readFileSync(join(manifestPath, '..', shipped.file))
const signature = { alg: 'ed25519', key_id: '0123456789abcdef', signature: Buffer.alloc(64, 7).toString('base64') }

async function call(method: string, path: string, token: string = ADMIN, body?: unknown) {
  const res = await fetch(`${core.url}${path}`, {
    method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), authorization: `Bearer ${token}` },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> }
}

test('the shipped risk model uploads signed, is current with its signature, and its bytes come back unchanged', async () => {
  assert.equal((await call('GET', '/v1/models/risk/current', GATEWAY)).status, 404)
  const up = await call('POST', '/v1/models/risk', ADMIN, { manifest: shipped, onnx_base64: bytes.toString('base64'), signature })
  assert.equal(up.status, 201, JSON.stringify(up.body))
  const cur = await call('GET', '/v1/models/risk/current', GATEWAY)
  assert.equal(cur.status, 200)
  assert.deepEqual(cur.body.manifest, shipped)
  assert.deepEqual(cur.body.signature, signature)
  const onnx = await fetch(`${core.url}/v1/models/risk/${String(shipped.id)}/${String(shipped.version)}/onnx`, { headers: { authorization: `Bearer ${GATEWAY}` } })
  assert.equal(createHash('sha256').update(Buffer.from(await onnx.arrayBuffer())).digest('hex'), shipped.sha256)
  // The triage registry does not see it.
  assert.deepEqual((await call('GET', '/v1/models/triage', GATEWAY)).body, { models: [] })
  assert.equal((await call('GET', '/v1/models/triage/current', GATEWAY)).status, 404)
})

test('refusals: a triage-shaped manifest, bytes of another hash, a gateway uploading', async () => {
  const triageLike = JSON.parse(readFileSync(fileURLToPath(new URL('../../edge/models/triage-lr-1.json', import.meta.url)), 'utf8')) as unknown
  assert.equal((await call('POST', '/v1/models/risk', ADMIN, { manifest: triageLike, onnx_base64: bytes.toString('base64') })).status, 400)
  const other = await call('POST', '/v1/models/risk', ADMIN, { manifest: { ...shipped, version: '2' }, onnx_base64: Buffer.from('not the model').toString('base64') })
  assert.equal(other.body.error, 'NEVA_CORE_MODEL_HASH_MISMATCH')
  assert.equal((await call('POST', '/v1/models/risk', GATEWAY, { manifest: shipped, onnx_base64: bytes.toString('base64') })).status, 403)
})

test('activate and rollback walk the risk registry alone', async () => {
  const v2 = { ...shipped, version: '2' }
  assert.equal((await call('POST', '/v1/models/risk', ADMIN, { manifest: v2, onnx_base64: bytes.toString('base64'), signature })).status, 201)
  assert.equal(((await call('GET', '/v1/models/risk/current', GATEWAY)).body.manifest as { version: string }).version, '2')
  const back = await call('POST', '/v1/models/risk/rollback', ADMIN)
  assert.equal(back.status, 200)
  assert.equal(back.body.version, shipped.version)
  assert.equal((await call('POST', '/v1/models/triage/rollback', ADMIN)).body.error, 'NEVA_CORE_MODEL_NO_PREVIOUS')
})
