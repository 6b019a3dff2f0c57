// The triage model pipeline end to end on a small cohort: train twice (same bytes), check the
// manifest, compare onnxruntime with the TypeScript model, and run `neva model eval --json`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { buildDataset } from '../src/model/dataset.js'
import { levelFromProbabilities, withFloor } from '../src/model/evaluate.js'
import { checkManifest, compare, createSession, normalizeRows, runOnnx } from '../src/model/heldout.js'
import { logits, predict } from '../src/model/logistic.js'
import { trainPipeline } from '../src/model/train.js'

const root = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'neva-model-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

const small = (out: string) => trainPipeline({ seed: 'test-seed', patients: 60, evalPatients: 30, iterations: 150, outDir: join(dir, out) })

test('training is reproducible from its seed, and the manifest validates', async () => {
  const a = await small('a')
  const b = await small('b')
  assert.equal(a.manifest.sha256, b.manifest.sha256)
  assert.deepEqual(readFileSync(a.onnxPath), readFileSync(b.onnxPath))
  const manifest: unknown = JSON.parse(readFileSync(a.manifestPath, 'utf8'))
  assert.equal(checkManifest.explain(manifest), undefined)
  assert.equal(a.manifest.file, 'triage-lr-1.onnx')
})

test('onnxruntime agrees with the TypeScript model; contributions sum to the logits', async () => {
  const { manifest, model, onnxPath } = await small('c')
  const data = buildDataset({ seed: 'test-other', patients: 15 })
  const F = manifest.features.length
  const z = normalizeRows(data, manifest.features)
  const session = await createSession(readFileSync(onnxPath))
  const out = await runOnnx(session, z, F)
  await session.release()
  for (let i = 0; i < data.n; i++) {
    const row = z.subarray(i * F, (i + 1) * F)
    const p = predict(model, row)
    const l = logits(model, row)
    for (let c = 0; c < 3; c++) {
      assert.ok(Math.abs(out.probabilities[i * 3 + c]! - p[c]!) < 1e-5, `sample ${i} label ${c}`)
      let sum = model.bias[c]!
      for (let f = 0; f < F; f++) sum += out.contributions[(i * F + f) * 3 + c]!
      assert.ok(Math.abs(sum - l[c]!) < 1e-4, `logit ${i} ${c}: ${sum} vs ${l[c]}`)
    }
  }
  // The floor holds on real samples too.
  const result = compare(data, out.probabilities, manifest.thresholds)
  for (let i = 0; i < data.n; i++) assert.ok(result.levels[i]! >= data.news2Level[i]!)
})

test('the NEWS2 floor never lowers a level', () => {
  fc.assert(fc.property(
    fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
    fc.record({ red: fc.double({ min: 0, max: 1, noNaN: true }), yellow: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.integer({ min: 0, max: 2 }),
    ([a, b], thresholds, news2) => {
      const red = Math.min(a, b), yellow = Math.abs(a - b)
      const model = levelFromProbabilities([1 - red - yellow, yellow, red], thresholds)
      const level = withFloor(model, news2)
      assert.ok(level >= news2 && level >= model)
      assert.ok(level === news2 || level === model)
    },
  ))
})

test('neva model eval --json ends with the figures line', async () => {
  const { manifestPath } = await small('d')
  const { stdout } = await promisify(execFile)(join(root, 'bin', 'neva'), ['model', 'eval', '--model', manifestPath, '--patients', '20', '--json', '--report', join(dir, 'r.html')])
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!)
  for (const who of ['model', 'news2']) {
    for (const key of ['under_triage', 'over_triage']) assert.equal(typeof last[who][key], 'number', `${who}.${key}`)
    assert.deepEqual(Object.keys(last[who].auroc).sort(), ['green', 'red', 'yellow'])
  }
  assert.equal(last.n, 20 * 12)
  const html = readFileSync(join(dir, 'r.html'), 'utf8')
  assert.match(html, /<svg/)
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org)/)
})
