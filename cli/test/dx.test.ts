// neva model train-dx / eval-dx as a user runs them, on a synthetic city's record in the real
// embedded ClickHouse; then, in process, the split (held-out patients never trained on) and the
// final-diagnosis check on held-out encounters.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkFinalDiagnosis, connectClickHouse, DxModelStore, loadDxEncounters, parseDxModel } from '@neva/analytics'
import { writeEmr } from '../src/emr/write.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const NEVA = join(ROOT, 'bin/neva')

function neva(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(NEVA, args, { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

const data = mkdtempSync(join(tmpdir(), 'neva-cli-dx-'))
{
  const ch = await connectClickHouse({ path: join(data, 'clickhouse') })
  await writeEmr(ch, { patients: 3000, seed: 'dx-test', end: Date.UTC(2026, 5, 1), telemetryRows: 0, progress: () => {} })
  await ch.close()
}

test('train-dx learns from the record and stores a version; eval-dx reports held-out top-1/top-3 above chance', async () => {
  const out = join(data, 'dx.json')
  const trained = await neva(['model', 'train-dx', '--data', data, '--out', out])
  assert.equal(trained.code, 0, trained.stderr)
  assert.match(trained.stdout, /dx-nb version 1: \d+ diagnoses, trained on/)
  assert.match(trained.stdout, /clinicians' preliminary diagnosis/)
  assert.equal(parseDxModel(JSON.parse(readFileSync(out, 'utf8'))).version, 1)

  const human = await neva(['model', 'eval-dx', '--data', data])
  assert.equal(human.code, 0, human.stderr)
  assert.match(human.stdout, /per final diagnosis/)
  assert.match(human.stdout, /J06\.9\s+\d+\.\d %/)

  const res = await neva(['model', 'eval-dx', '--data', data, '--json'])
  assert.equal(res.code, 0, res.stderr)
  const last = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { top1: number; top3: number; n: number; clinicians_top1: number }
  assert.ok(last.n > 500, `n ${last.n}`)
  assert.ok(last.top3 > last.top1 + 0.03, JSON.stringify(last))
  // 20 diagnoses: a constant guess of the three most frequent is right about half the time.
  assert.ok(last.top1 > 0.6 && last.top3 > 0.85, JSON.stringify(last))
  assert.ok(last.clinicians_top1 > 0.5 && last.clinicians_top1 < 0.85, JSON.stringify(last))

  // Retraining adds a version; the newest is what the core uses.
  assert.equal((await neva(['model', 'train-dx', '--data', data])).code, 0)
  assert.equal((await neva(['model', 'eval-dx', '--data', data, '--model', join(data, 'missing.json')])).code, 2)
})

test('held-out patients never appear in training; the final check flags wrong diagnoses and passes typical ones', async () => {
  const ch = await connectClickHouse({ path: join(data, 'clickhouse') })
  try {
    const train = await loadDxEncounters(ch, 'train')
    const heldOut = await loadDxEncounters(ch, 'held-out')
    const trainPatients = new Set(train.map((e) => e.patient_id))
    const heldOutPatients = new Set(heldOut.map((e) => e.patient_id))
    assert.ok(heldOutPatients.size > 150 && heldOutPatients.size < 450, `held out ${heldOutPatients.size} of 3000`)
    for (const p of heldOutPatients) assert.ok(!trainPatients.has(p), `${p} is in both splits`)
    const model = (await new DxModelStore(ch).latest())!
    assert.equal(model.version, 2)
    assert.deepEqual(model.trained_on, { patients: trainPatients.size, encounters: train.length })

    let typical = 0, flagged = 0
    const sample = heldOut.slice(0, 80)
    for (const e of sample) {
      const ok = await checkFinalDiagnosis(ch, model, { patient_id: e.patient_id, encounter_id: e.encounter_id, icd10: e.final })
      if (ok!.verdict.verdict === 'consistent') typical++
      // Deliberately wrong: urticaria for everything (low back pain for urticaria).
      const wrong = e.final === 'L50.9' ? 'M54.5' : 'L50.9'
      const bad = await checkFinalDiagnosis(ch, model, { patient_id: e.patient_id, encounter_id: e.encounter_id, icd10: wrong })
      if (bad!.verdict.verdict === 'alternative') flagged++
    }
    assert.ok(typical / sample.length > 0.9, `consistent for ${typical} of ${sample.length} clinicians' final diagnoses`)
    assert.ok(flagged / sample.length > 0.7, `alternative for ${flagged} of ${sample.length} wrong diagnoses`)
  } finally {
    await ch.close()
  }
})
