// The deterioration model on real stays (../shared/data/physionet-2012): the trainer on a small
// subset (onnxruntime equals the booster on every row, same bytes twice), the committed model in
// the triage pool (equal to onnxruntime outside the pool), the NEWS2 floor in `neva triage`, and
// `neva model eval --physionet2012 --json` on 300 stays.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { DEFAULT_RISK_MANIFEST, FEATURES, FEATURE_SET, ModelRefusedError, TriagePool, calibrate, readModelFiles, type RiskManifest } from '@neva/edge'
import { Triage } from '../src/commands/triage.js'
import { DEFAULT_PYTHON, loadDeterioration, scoreOnnx, trainDeterioration } from '../src/model/deterioration.js'
import { readStays, stayRows } from '../src/model/physionet2012.js'
import { DEFAULT_MODEL_MANIFEST } from '@neva/edge'

const DATA = fileURLToPath(new URL('../../../shared/data/physionet-2012/', import.meta.url))
const TAR = join(DATA, 'set-a.tar.gz')
const OUTCOMES = join(DATA, 'Outcomes-a.txt')
const noData = existsSync(TAR) ? false : 'no ../shared/data/physionet-2012'
let hasLibs = false
try {
  execFileSync(DEFAULT_PYTHON, ['-c', 'import xgboost, sklearn, onnx'], { stdio: 'ignore' })
  hasLibs = true
} catch {}
const noTrainer = noData || (hasLibs ? false : 'python3-xgboost/-sklearn/-onnx not installed (scripts/setup.sh)')
const root = join(import.meta.dirname, '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'neva-deterioration-test-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

test('the trainer on 150 stays: onnxruntime equals the booster on every row, and the bytes are reproducible', { skip: noTrainer }, async () => {
  const train = (out: string) => trainDeterioration({ data: TAR, outcomes: OUTCOMES, outDir: join(dir, out), seed: 7, rounds: 15, patients: 150, log: () => {} })
  execFileSync('mkdir', ['-p', join(dir, 'a'), join(dir, 'b')])
  const a = await train('a')
  const b = await train('b')
  assert.ok((a.manifest.training.onnxruntime_max_abs_diff as number) <= 1e-5)
  assert.equal(a.manifest.sha256, b.manifest.sha256)
  assert.deepEqual(readFileSync(join(dir, 'a', a.manifest.file)), readFileSync(join(dir, 'b', b.manifest.file)))
  const cv = a.manifest.training.cv as Record<string, { auroc_mean: number }>
  assert.ok(cv['48h']!.auroc_mean > 0.5 && cv['24h']!.auroc_mean > 0.5)
  assert.ok(a.manifest.calibration.x.length > 0)
  // The escalation was chosen on out-of-fold snapshots: it adds no more false flags than its budget allows.
  const snap = a.manifest.training.snapshot_cv as { n: number; extra_false_flags: number }
  assert.equal(snap.n, 150)
  assert.ok(snap.extra_false_flags <= Math.floor((2 * snap.n) / 1300))
  assert.ok(a.manifest.escalation && 'yellow' in a.manifest.escalation)
  assert.match(a.manifest.data.citation, /Silva I/)
})

test('the committed model in the triage pool equals onnxruntime outside it; bad ones are refused', { skip: noData }, async () => {
  const { manifest, bytes } = await loadDeterioration(DEFAULT_RISK_MANIFEST)
  const stays = await readStays(TAR, 40)
  const rows = stayRows(stays, 48)
  const F = manifest.features.length
  const direct = await scoreOnnx(bytes, Float32Array.from(rows.x), F)
  const pool = new TriagePool({ threads: 1, spec: { featureSet: FEATURE_SET, features: FEATURES } })
  try {
    await assert.rejects(pool.installRisk({ ...manifest, sha256: '0'.repeat(64) }, bytes), ModelRefusedError)
    await assert.rejects(pool.installRisk({ ...manifest, feature_set: 'v1' }, bytes), /feature set/)
    assert.equal(await pool.risk(new Float32Array(F), 1), null, 'nothing installed: no risk')
    await pool.installRisk(manifest, bytes)
    const out = await pool.risk(Float32Array.from(rows.x), stays.length)
    assert.ok(out)
    assert.equal(out.manifest.id, manifest.id)
    for (let i = 0; i < stays.length; i++) {
      assert.ok(Math.abs(out.risk[i]! - calibrate(direct[i]!, manifest.calibration)) < 1e-9, `stay ${stays[i]!.recordId}`)
      assert.ok(out.risk[i]! >= 0 && out.risk[i]! <= 1)
    }
  } finally {
    await pool.close()
  }
})

const RANK = { green: 0, yellow: 1, red: 2 } as const
const vitalLine = fc.record({
  pulse: fc.option(fc.integer({ min: 30, max: 180 }), { nil: undefined }),
  respiratory_rate: fc.option(fc.integer({ min: 5, max: 45 }), { nil: undefined }),
  systolic_bp: fc.option(fc.integer({ min: 60, max: 220 }), { nil: undefined }),
  temperature: fc.option(fc.double({ min: 34, max: 41, noNaN: true }), { nil: undefined }),
  spo2: fc.option(fc.integer({ min: 75, max: 100 }), { nil: undefined }),
  consciousness: fc.option(fc.constantFrom('A', 'C', 'V', 'P', 'U'), { nil: undefined }),
  on_oxygen: fc.option(fc.boolean(), { nil: undefined }),
  age: fc.option(fc.integer({ min: 16, max: 100 }), { nil: undefined }),
})

test('neva triage: any subset of vitals gets model.risk and a level never below NEWS2; sparse inputs leave NEWS2 its level', async () => {
  const pool = new TriagePool({ threads: 1, spec: { featureSet: FEATURE_SET, features: FEATURES } })
  try {
    const m = await readModelFiles(DEFAULT_MODEL_MANIFEST)
    await pool.install(m.manifest, m.bytes)
    const r = await readModelFiles(DEFAULT_RISK_MANIFEST)
    const risk = await pool.installRisk(r.manifest, r.bytes) as RiskManifest
    const triage = new Triage(pool)
    await fc.assert(fc.asyncProperty(vitalLine, async (line) => {
      const out = await triage.score(JSON.stringify(line), 1) as { news2: { level: keyof typeof RANK }; level: keyof typeof RANK; model: { level?: keyof typeof RANK; risk: number; risk_model: string; risk_inputs: string[]; sparse?: string } }
      assert.ok(out.model.risk >= 0 && out.model.risk <= 1)
      assert.equal(out.model.risk_model, `${risk.id}@${risk.version}`)
      assert.ok(RANK[out.level] >= RANK[out.news2.level], 'never below NEWS2')
      if (out.level !== out.news2.level) assert.ok(out.model.risk >= risk.escalation!.yellow!, 'above NEWS2 only from a risk at the escalation threshold')
      const vitals = (['pulse', 'respiratory_rate', 'systolic_bp', 'temperature', 'spo2', 'consciousness'] as const).filter((k) => line[k] !== undefined).length
      if (vitals < risk.min_vitals) {
        assert.match(out.model.sparse ?? '', /NEWS2/)
        assert.equal(out.level, out.news2.level)
      } else assert.equal(out.model.sparse, undefined)
      if (line.age !== undefined) assert.ok(out.model.risk_inputs.includes('age'))
    }), { numRuns: 60, seed: 15 })
  } finally {
    await pool.close()
  }
})

test('neva model eval --physionet2012 on 300 stays prints the JSON line and writes the report', { skip: noData }, async () => {
  const report = join(dir, 'eval.html')
  const { stdout } = await promisify(execFile)(join(root, 'bin', 'neva'), ['model', 'eval', '--physionet2012', TAR, '--outcomes', OUTCOMES, '--hours', '24', '--patients', '300', '--json', '--report', report])
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!)
  assert.equal(last.n, 300)
  assert.equal(last.hours, 24)
  assert.ok(last.deaths > 0 && last.deaths < 300)
  for (const k of ['model', 'news2', 'saps1']) assert.ok(last[k].auroc > 0.4 && last[k].auroc <= 1, k)
  assert.ok(typeof last.model.auprc === 'number')
  const html = readFileSync(report, 'utf8')
  assert.match(html, /<svg/)
  assert.match(html, /Calibration/)
  await assert.rejects(promisify(execFile)(join(root, 'bin', 'neva'), ['model', 'eval', '--physionet2012', TAR, '--outcomes', OUTCOMES, '--hours', '12']), /--hours: expected 24 or 48/)
})
