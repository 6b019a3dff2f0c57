// neva model train|eval|keygen|sign: the triage model pipeline (keygen/sign: model/sign.ts). `train` builds a seeded cohort, trains a
// logistic regression and writes DIR/<id>-<version>.onnx and .json; `eval` scores a held-out
// cohort with the ONNX file through onnxruntime, next to NEWS2 alone.
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { TriageEvaluation } from '@neva/contracts'
import { numberOption, parse, UsageError } from '../args.js'
import { DX_USAGE, evalDxCommand, trainDxCommand } from '../model/dx.js'
import { SIGN_USAGE, keygenCommand, signCommand } from '../model/sign.js'
import { DETERIORATION_USAGE, evalPhysionetCommand, trainPhysionetCommand } from '../model/deterioration-command.js'
import { SNAPSHOT_USAGE, evalSnapshotCommand, snapshotsCommand } from '../model/snapshot-command.js'

const USAGE = `usage: neva model train [--seed S] [--patients N] [--out DIR] [--id ID] [--version V] [--iterations N]
       neva model eval [--model PATH.json] [--seed S] [--patients N] [--json] [--report FILE.html]
${DX_USAGE}
${SIGN_USAGE}
${DETERIORATION_USAGE}
${SNAPSHOT_USAGE}`

const MODELS_DIR = fileURLToPath(new URL('../../../edge/models/', import.meta.url))
const DEFAULT_SEED = 'neva-1'

async function trainCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    seed: { type: 'string', default: DEFAULT_SEED },
    patients: { type: 'string' },
    out: { type: 'string', default: MODELS_DIR },
    id: { type: 'string', default: 'triage-lr' },
    version: { type: 'string', default: '1' },
    iterations: { type: 'string' },
  })
  const { trainPipeline } = await import('../model/train.js')
  const result = await trainPipeline({
    seed: values.seed,
    patients: numberOption(values.patients, 'patients', 3000, { min: 10, integer: true }),
    outDir: values.out,
    id: values.id,
    version: values.version,
    iterations: numberOption(values.iterations, 'iterations', 600, { min: 1, integer: true }),
    log: (line) => process.stdout.write(`${line}\n`),
  })
  const { evaluation } = result.manifest
  process.stdout.write(`held-out (${evaluation.n} samples):\n${table(evaluation.model, evaluation.news2)}`)
  process.stdout.write(`wrote ${result.onnxPath}\n      ${result.manifestPath}\n      sha256 ${result.manifest.sha256}\n`)
  return 0
}

async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    model: { type: 'string', default: `${MODELS_DIR}triage-lr-1.json` },
    seed: { type: 'string' },
    patients: { type: 'string' },
    json: { type: 'boolean', default: false },
    report: { type: 'string' },
  })
  const [{ loadModel, normalizeRows, runOnnx, compare }, { buildDataset }, { heldOutSeed }] = await Promise.all([
    import('../model/heldout.js'), import('../model/dataset.js'), import('../model/train.js'),
  ])
  const { manifest, session } = await loadModel(values.model)
  // By default the same held-out cohort as the manifest's figures (when the patient count matches).
  const seed = values.seed ?? heldOutSeed(manifest.training.seed)
  const patients = numberOption(values.patients, 'patients', Math.max(50, Math.round(manifest.training.patients / 3)), { min: 1, integer: true })
  const data = buildDataset({ seed, patients })
  const { probabilities } = await runOnnx(session, normalizeRows(data, manifest.features), manifest.features.length)
  await session.release()
  const result = compare(data, probabilities, manifest.thresholds)
  if (values.report) {
    const { renderReport } = await import('../model/report.js')
    await writeFile(values.report, renderReport({
      title: `${manifest.id} ${manifest.version}: held-out evaluation`,
      data, probabilities: result.probabilities, model: result.model, news2: result.news2,
      notes: [`Cohort seed ${seed}, ${patients} patients. Thresholds: red ≥ ${manifest.thresholds.red}, yellow ≥ ${manifest.thresholds.yellow}.`, manifest.training.description],
    }))
  }
  const brief = (e: TriageEvaluation) => ({ under_triage: e.under_triage, over_triage: e.over_triage, red_sensitivity: e.red_sensitivity, auroc: e.auroc, confusion: e.confusion })
  if (!values.json) {
    process.stdout.write(`${manifest.id} ${manifest.version} on ${result.n} held-out samples (${patients} patients, seed ${seed}):\n${table(result.model, result.news2)}`)
    if (values.report) process.stdout.write(`report: ${values.report}\n`)
  } else {
    process.stdout.write(`${JSON.stringify({ model: brief(result.model), news2: brief(result.news2), n: result.n })}\n`)
  }
  return 0
}

function table(model: TriageEvaluation, news2: TriageEvaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`.padStart(14)
  const num = (x: number) => x.toFixed(3).padStart(14)
  const line = (name: string, f: (e: TriageEvaluation) => string) => `  ${name.padEnd(18)}${f(model)}${f(news2)}\n`
  const confusion = (e: TriageEvaluation) => e.confusion.map((r) => r.map((v) => String(v).padStart(6)).join('')).join('\n')
  return `  ${''.padEnd(18)}${'model + floor'.padStart(14)}${'NEWS2 alone'.padStart(14)}\n` +
    line('under-triage', (e) => pct(e.under_triage)) + line('over-triage', (e) => pct(e.over_triage)) +
    line('red sensitivity', (e) => pct(e.red_sensitivity)) + line('AUROC green', (e) => num(e.auroc.green)) +
    line('AUROC yellow', (e) => num(e.auroc.yellow)) + line('AUROC red', (e) => num(e.auroc.red)) +
    `  confusion (rows true green/yellow/red, columns assessed), model + floor:\n${confusion(model)}\n  NEWS2 alone:\n${confusion(news2)}\n`
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const physionet = rest.some((a) => a === '--physionet2012' || a.startsWith('--physionet2012='))
  if (sub === 'train') return physionet ? trainPhysionetCommand(rest) : trainCommand(rest)
  if (sub === 'eval' && rest.some((a) => a === '--snapshot' || a.startsWith('--snapshot='))) return evalSnapshotCommand(rest)
  if (sub === 'snapshots') return snapshotsCommand(rest)
  if (sub === 'eval') return physionet ? evalPhysionetCommand(rest) : evalCommand(rest)
  if (sub === 'train-dx') return trainDxCommand(rest)
  if (sub === 'eval-dx') return evalDxCommand(rest)
  if (sub === 'keygen') return keygenCommand(rest)
  if (sub === 'sign') return signCommand(rest)
  throw new UsageError(USAGE)
}
