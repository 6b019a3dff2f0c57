// The triage pool with real ONNX models (built by the model pipeline's exporter) on real worker
// threads: verdicts equal the model's own arithmetic, bad models are refused while the running
// one keeps scoring, swaps are seamless, a dying worker costs no more than its task, and close()
// drains.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { ModelRefusedError, TriagePool, modelLevel } from '@neva/edge'
import { predict } from '../src/model/logistic.js'
import { F, packaged, randomModel, spec } from './model-fixtures.js'

const row = (i: number) => Float32Array.from({ length: F }, (_, f) => Math.sin(i * 7 + f))

test('pool verdicts equal the model computed in TypeScript, with drivers toward the chosen level', async () => {
  const pool = new TriagePool({ threads: 2, spec })
  const model = randomModel(1)
  const { manifest, bytes } = packaged(model, '1')
  await pool.install(manifest, bytes)
  const rows = Array.from({ length: 300 }, (_, i) => row(i))
  const verdicts = await Promise.all(rows.map((r) => pool.score(r, r)))
  verdicts.forEach((v, i) => {
    const p = predict(model, rows[i]!)
    assert.ok(v)
    assert.equal(v.version, '1')
    assert.ok(Math.abs(v.probabilities.green - p[0]!) < 1e-4 && Math.abs(v.probabilities.red - p[2]!) < 1e-4, `row ${i}`)
    assert.equal(v.level, modelLevel({ green: p[0]!, yellow: p[1]!, red: p[2]! }, manifest.thresholds))
    assert.ok(v.drivers.length <= 5)
    for (let k = 1; k < v.drivers.length; k++) assert.ok(v.drivers[k - 1]!.contribution >= v.drivers[k]!.contribution)
  })
  // Rows of one turn share tasks.
  assert.ok(pool.counters.tasks < 10, `${pool.counters.tasks} tasks for 300 rows`)
  await pool.close()
})

test('a model whose hash, inputs or file do not match is refused and the running model stays', async () => {
  const pool = new TriagePool({ threads: 1, spec })
  const good = packaged(randomModel(2), '1')
  await pool.install(good.manifest, good.bytes)

  const other = packaged(randomModel(3), '2')
  await assert.rejects(pool.install(other.manifest, good.bytes), (e: Error) => e instanceof ModelRefusedError && /sha256/.test(e.message))
  const renamed = { ...other.manifest, features: other.manifest.features.map((f, i) => (i === 3 ? { ...f, name: 'heart_rate' } : f)) }
  await assert.rejects(pool.install(renamed, other.bytes), /feature 3 is heart_rate/)
  await assert.rejects(pool.install({ ...other.manifest, feature_set: 'v0' }, other.bytes), /feature set v0/)
  await assert.rejects(pool.install({ ...other.manifest, sha256: 'nope' }, other.bytes), /manifest/)
  // Bytes that hash right but are no model: caught by the probe on the pool.
  const junk = new TextEncoder().encode('not an onnx model')
  await assert.rejects(pool.install({ ...other.manifest, sha256: createHash('sha256').update(junk).digest('hex') }, junk), ModelRefusedError)

  assert.equal(pool.current()?.version, '1')
  assert.equal((await pool.score(row(1), row(1)))?.version, '1')
  assert.equal(pool.counters.refused, 5)
  await pool.close()
})

test('a new model replaces the old between two tasks, without a lost verdict', async () => {
  const pool = new TriagePool({ threads: 2, spec })
  const a = packaged(randomModel(4), '1')
  const b = packaged(randomModel(5), '2')
  await pool.install(a.manifest, a.bytes)
  const before = Array.from({ length: 200 }, (_, i) => pool.score(row(i), row(i)))
  await pool.install(b.manifest, b.bytes)
  const after = await Promise.all(Array.from({ length: 200 }, (_, i) => pool.score(row(i), row(i))))
  assert.ok((await Promise.all(before)).every((v) => v?.version === '1'))
  assert.ok(after.every((v) => v?.version === '2'))
  await pool.close()
})

test('a worker dying under load fails only its task; the pool replaces it and keeps scoring', async () => {
  const pool = new TriagePool({ threads: 2, maxBatch: 16, spec })
  const { manifest, bytes } = packaged(randomModel(6), '1')
  await pool.install(manifest, bytes)
  const load = Array.from({ length: 2000 }, (_, i) => pool.score(row(i), row(i)).then(() => 'ok', () => 'failed'))
  assert.equal(await pool.killOneWorker(), true)
  const outcomes = await Promise.all(load)
  assert.ok(outcomes.filter((o) => o === 'ok').length > 1900, `${outcomes.filter((o) => o === 'failed').length} failed`)
  const again = await Promise.all(Array.from({ length: 100 }, (_, i) => pool.score(row(i), row(i))))
  assert.ok(again.every((v) => v?.version === '1'))
  assert.equal(pool.threads(), 2)
  await pool.close()
})

test('close() drains what is queued before the workers go', async () => {
  const pool = new TriagePool({ threads: 1, maxBatch: 8, spec })
  const { manifest, bytes } = packaged(randomModel(7), '1')
  await pool.install(manifest, bytes)
  const pending = Array.from({ length: 500 }, (_, i) => pool.score(row(i), row(i)))
  await pool.close()
  const verdicts = await Promise.all(pending)
  assert.equal(verdicts.filter((v) => v !== null).length, 500)
})

test('without a model the pool gives no verdict (NEWS2 scores alone)', async () => {
  const pool = new TriagePool({ threads: 1, spec })
  assert.equal(await pool.score(row(1), row(1)), null)
  await pool.close()
})
