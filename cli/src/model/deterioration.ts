// The deterioration model on PhysioNet 2012 set A: `neva model train --physionet2012 DIR` extracts
// the hourly features in TypeScript (the code the gateway runs), hands them to
// cli/train/deterioration_xgb.py (XGBoost, 5-fold CV, isotonic calibration, ONNX export) and
// checks the ONNX file in onnxruntime-node against the booster on every row; `neva model eval
// --physionet2012` scores stays from what was recorded up to an hour, next to worst NEWS2 and SAPS-I.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import ort from 'onnxruntime-node'
import { calibrate, checkRiskManifest, HOURLY_FEATURE_SET, HOURLY_FEATURES, type Calibration, type RiskManifest } from '@neva/triage'
import { auprc, auroc } from './binary-metrics.js'
import { parseOutcomes, readStays, stayRows, type Outcome, type Stay } from './physionet2012.js'
import { chooseEscalation, parseSnapshots, reportedRisk, staySnapshotLine, summarize } from './snapshot.js'

const run = promisify(execFile)
export const TRAIN_SCRIPT = fileURLToPath(new URL('../../train/deterioration_xgb.py', import.meta.url))
export const DETERIORATION_MODEL = fileURLToPath(new URL('../../../edge/models/deterioration-xgb-1.json', import.meta.url))
/** Rows per stay: its features at 24 h and 48 h, and as a triage snapshot (0: first vitals only). */
export const TRAIN_HOURS = [0, 24, 48] as const
/** Debian's interpreter, where apt's python3-xgboost/-sklearn/-onnx live (a pyenv shim on PATH may not see them). */
export const DEFAULT_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'

export const PHYSIONET_CITATION = 'Silva I, Moody G, Scott DJ, Celi LA, Mark RG. Predicting In-Hospital Mortality of ICU Patients: ' +
  'The PhysioNet/Computing in Cardiology Challenge 2012. Computing in Cardiology 2012;39:245-248. Goldberger AL et al. ' +
  'PhysioBank, PhysioToolkit, and PhysioNet. Circulation 2000;101(23):e215-e220.'

export type DeteriorationManifest = RiskManifest
/** False flags the risk may add, per 1,300 snapshot visits, on cross-validated set A (issue 15 allows 5; margin for a different population). */
export const ESCALATION_BUDGET = 2
const MIN_VITALS = 3

export async function loadOutcomes(path: string): Promise<Map<string, Outcome>> {
  return parseOutcomes(await readFile(path, 'utf8'), path)
}

/** Stays that have an outcome, in RecordID order. */
function withOutcome(stays: Stay[], outcomes: Map<string, Outcome>): Stay[] {
  return stays.filter((s) => outcomes.has(s.recordId))
}

const csvValue = (v: number) => (Number.isFinite(v) ? String(v) : '')

export interface TrainOptions {
  data: string
  outcomes: string
  outDir: string
  seed: number
  rounds: number
  patients?: number
  id?: string
  version?: string
  python?: string
  log: (line: string) => void
}

export async function trainDeterioration(o: TrainOptions): Promise<{ manifestPath: string; manifest: DeteriorationManifest }> {
  const outcomes = await loadOutcomes(o.outcomes)
  const stays = withOutcome(await readStays(o.data), outcomes).slice(0, o.patients ?? Infinity)
  o.log(`${stays.length} stays with an outcome; features at ${TRAIN_HOURS.join(' and ')} h (${HOURLY_FEATURES.length} per row)`)
  const F = HOURLY_FEATURES.length
  const lines = [['record_id', 'label', ...HOURLY_FEATURES.map((f) => f.name)].join(',')]
  for (const h of TRAIN_HOURS) {
    const rows = stayRows(stays, h)
    rows.recordIds.forEach((id, i) => {
      const x = Array.from(rows.x.subarray(i * F, (i + 1) * F), csvValue)
      lines.push([id, String(outcomes.get(id)!.inHospitalDeath), ...x].join(','))
    })
  }
  // Emergency-like snapshots (first vitals, no SpO2) as neva triage reads them: scored out of fold, never trained on.
  const snap = parseSnapshots(stays.map((st) => JSON.stringify(staySnapshotLine(st, outcomes.get(st.recordId)!.inHospitalDeath))).join('\n'))
  if (snap.errors.length) throw new Error(`snapshot line ${snap.errors[0]!.line}: ${snap.errors[0]!.error}`)
  const extraLines = [lines[0]!, ...snap.cases.map((c, i) => [stays[i]!.recordId, String(c.outcome), ...Array.from(c.features, csvValue)].join(','))]
  const tmp = await mkdtemp(join(tmpdir(), 'neva-deterioration-'))
  try {
    const csv = join(tmp, 'features.csv')
    await writeFile(csv, `${lines.join('\n')}\n`)
    const extraCsv = join(tmp, 'snapshots.csv')
    const extraOof = join(tmp, 'snapshots-oof.txt')
    await writeFile(extraCsv, `${extraLines.join('\n')}\n`)
    const id = o.id ?? 'deterioration-xgb'
    const version = o.version ?? '1'
    const file = `${id}-${version}.onnx`
    const onnxPath = join(o.outDir, file)
    const trainingPath = join(tmp, 'training.json')
    const predPath = join(tmp, 'predictions.txt')
    o.log(`training with ${basename(TRAIN_SCRIPT)} (seed ${o.seed}, ${o.rounds} rounds)…`)
    const { stdout } = await run(o.python ?? DEFAULT_PYTHON, [TRAIN_SCRIPT, csv, onnxPath, trainingPath, predPath, String(o.seed), String(o.rounds), extraCsv, extraOof], { maxBuffer: 64 << 20 })
    o.log(stdout.trim().split('\n').at(-1) ?? '')
    const training = JSON.parse(await readFile(trainingPath, 'utf8')) as Record<string, unknown> & { calibration: Calibration }
    const bytes = await readFile(onnxPath)
    // The booster's own predictions against onnxruntime-node's, on every training row.
    const expected = (await readFile(predPath, 'utf8')).trim().split('\n').map(Number)
    const x = new Float32Array(lines.length - 1 === expected.length ? expected.length * F : 0)
    lines.slice(1).forEach((line, r) => line.split(',').slice(2).forEach((v, c) => { x[r * F + c] = v === '' ? NaN : Number(v) }))
    const got = await scoreOnnx(bytes, x, F)
    let worst = 0
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!))
    if (!(worst <= 1e-5) || got.length !== expected.length) throw new Error(`onnxruntime differs from the booster by ${worst} on the training rows`)
    o.log(`onnxruntime-node equals the booster on all ${expected.length} rows (max |diff| ${worst.toExponential(2)})`)
    const { calibration, ...rest } = training
    const oofRisk = (await readFile(extraOof, 'utf8')).trim().split('\n').map((v) => reportedRisk(Number(v), calibration))
    const escalation = chooseEscalation(snap.cases, oofRisk, MIN_VITALS, ESCALATION_BUDGET)
    const snapshotCv = summarize(snap.cases, oofRisk, escalation, MIN_VITALS)
    o.log(`snapshots (first vitals, no SpO2), out of fold: risk AUROC ${snapshotCv.risk_auroc.toFixed(3)}, NEWS2 ${snapshotCv.news2_auroc.toFixed(3)}; escalation yellow ≥ ${escalation.yellow}, red ≥ ${escalation.red}; ${snapshotCv.extra_false_flags} more false flags than NEWS2 in ${snapshotCv.n}`)
    const manifest: DeteriorationManifest = {
      id, version, kind: 'gradient_boosted_trees', outcome: 'in-hospital death (PhysioNet 2012 set A)', file,
      sha256: createHash('sha256').update(bytes).digest('hex'), feature_set: HOURLY_FEATURE_SET,
      features: HOURLY_FEATURES.map((f) => ({ name: f.name, unit: f.unit })), min_vitals: MIN_VITALS, calibration,
      escalation: { ...escalation, chosen_on: 'set A first-vitals snapshots without SpO2, 5-fold out-of-fold risks', false_flags_per_1300: ESCALATION_BUDGET },
      training: { ...rest, snapshot_cv: snapshotCv, onnxruntime_max_abs_diff: worst, hours: [...TRAIN_HOURS], command: `neva model train --physionet2012 DIR --seed ${o.seed} --rounds ${o.rounds}` },
      data: { source: 'PhysioNet/CinC Challenge 2012, training set A', licence: 'Open Data Commons Attribution License v1.0', citation: PHYSIONET_CITATION },
    }
    const manifestPath = join(o.outDir, `${id}-${version}.json`)
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`)
    return { manifestPath, manifest }
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

export async function scoreOnnx(bytes: Uint8Array, x: Float32Array, width: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 })
  try {
    const out = await session.run({ features: new ort.Tensor('float32', x, [x.length / width, width]) })
    return out.risk!.data as Float32Array
  } finally {
    await session.release()
  }
}

export async function loadDeterioration(manifestPath: string): Promise<{ manifest: DeteriorationManifest; bytes: Uint8Array }> {
  const manifest = checkRiskManifest(JSON.parse(await readFile(manifestPath, 'utf8')))
  const bytes = new Uint8Array(await readFile(join(dirname(manifestPath), manifest.file)))
  const actual = createHash('sha256').update(bytes).digest('hex')
  if (actual !== manifest.sha256) throw new Error(`${manifest.file}: hashes to ${actual}, the manifest says ${manifest.sha256}`)
  return { manifest, bytes }
}

export interface EvalResult {
  n: number
  deaths: number
  hours: number
  model: { auroc: number; auprc: number }
  news2: { auroc: number; auprc: number; missing: number }
  saps1: { auroc: number; auprc: number; missing: number }
  risk: Float64Array
  news2Scores: Float64Array
  saps1Scores: Float64Array
  label: Uint8Array
}

export async function evalDeterioration(o: { data: string; outcomes: string; hours: number; model: string; patients?: number }): Promise<EvalResult> {
  const outcomes = await loadOutcomes(o.outcomes)
  const stays = withOutcome(await readStays(o.data), outcomes).slice(0, o.patients ?? Infinity)
  if (stays.length === 0) throw new Error(`${o.data}: no stay has an outcome in ${o.outcomes}`)
  const { manifest, bytes } = await loadDeterioration(o.model)
  const rows = stayRows(stays, o.hours)
  const raw = await scoreOnnx(bytes, Float32Array.from(rows.x), HOURLY_FEATURES.length)
  const risk = Float64Array.from(raw, (p) => calibrate(p, manifest.calibration))
  const label = Uint8Array.from(stays, (s) => outcomes.get(s.recordId)!.inHospitalDeath)
  const saps = Float64Array.from(stays, (s) => outcomes.get(s.recordId)!.saps1 ?? NaN)
  const metric = (score: Float64Array) => ({ auroc: auroc({ score, positive: label }), auprc: auprc({ score, positive: label }) })
  const missing = (a: Float64Array) => a.filter((v) => !Number.isFinite(v)).length
  // The model ranks by its raw output: isotonic steps tie neighbours, which would cost AUROC for nothing.
  return {
    n: stays.length, deaths: label.reduce((a, b) => a + b, 0), hours: o.hours,
    model: metric(Float64Array.from(raw)), news2: { ...metric(rows.news2), missing: missing(rows.news2) },
    saps1: { ...metric(saps), missing: missing(saps) }, risk, news2Scores: rows.news2, saps1Scores: saps, label,
  }
}
