// neva model train-dx | eval-dx: the diagnosis model, learned from the record in ClickHouse
// (embedded under --data DIR, or CLICKHOUSE_URL). train-dx stores a new version in dx_models (the
// core uses the newest) and, with --out, writes the artifact to a file; eval-dx scores the
// held-out patients, never trained on, next to the clinicians' own preliminary diagnoses.
import { readFile, writeFile } from 'node:fs/promises'
import type { ClickHouse, DxEvaluation, DxModel } from '@neva/analytics'
import { parse, UsageError } from '../args.js'

export const DX_USAGE = `       neva model train-dx [--data DIR] [--out FILE.json]
       neva model eval-dx [--data DIR] [--model FILE.json] [--json]`

async function withRecord<T>(data: string | undefined, fn: (ch: ClickHouse) => Promise<T>): Promise<T> {
  const { clickhouseConfigFromEnv, connectClickHouse, migrate } = await import('@neva/analytics')
  const config = clickhouseConfigFromEnv()
  if (data) config.path = `${data}/clickhouse`
  const ch = await connectClickHouse(config)
  try {
    await migrate(ch)
    return await fn(ch)
  } finally {
    await ch.close()
  }
}

export async function trainDxCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, out: { type: 'string' } })
  const { trainDx } = await import('@neva/analytics')
  return withRecord(values.data, async (ch) => {
    const t0 = performance.now()
    const { model, evaluation } = await trainDx(ch)
    if (values.out) await writeFile(values.out, `${JSON.stringify(model)}\n`)
    process.stdout.write(`${model.id} version ${model.version}: ${model.classes.length} diagnoses, trained on ${model.trained_on.encounters.toLocaleString('en')} encounters of ` +
      `${model.trained_on.patients.toLocaleString('en')} patients in ${((performance.now() - t0) / 1000).toFixed(1)} s (temperature ${model.temperature})\n`)
    process.stdout.write(report(evaluation))
    process.stdout.write(`stored in dx_models (${ch.location})${values.out ? `\nwrote ${values.out}` : ''}\n`)
    return 0
  })
}

export async function evalDxCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { data: { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean', default: false } })
  const { evaluateDx, parseDxModel } = await import('@neva/analytics')
  let file: DxModel | undefined
  if (values.model) {
    try {
      file = parseDxModel(JSON.parse(await readFile(values.model, 'utf8')))
    } catch (err) {
      throw new UsageError(`--model ${values.model}: ${(err as Error).message}`)
    }
  }
  return withRecord(values.data, async (ch) => {
    const { model, evaluation: e } = await evaluateDx(ch, file)
    if (!values.json) {
      process.stdout.write(`${model.id} version ${model.version} on held-out patients (never trained on):\n${report(e)}`)
      process.stdout.write(`  per final diagnosis (top-1 recall, top-3 recall, encounters):\n`)
      for (const d of e.perDiagnosis) process.stdout.write(`    ${d.icd10.padEnd(8)}${pct(d.recall)}${pct(d.top3)}${String(d.n).padStart(8)}\n`)
    } else process.stdout.write(`${JSON.stringify({ top1: e.top1, top3: e.top3, n: e.n, clinicians_top1: e.clinicians.top1, with_record: e.withRecord })}\n`)
    return 0
  })
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`.padStart(10)

function report(e: DxEvaluation): string {
  return `  held-out encounters ${e.n.toLocaleString('en')}\n` +
    `  ${''.padEnd(36)}${'top-1'.padStart(10)}${'top-3'.padStart(10)}\n` +
    `  ${'model: complaint, age, sex'.padEnd(36)}${pct(e.top1)}${pct(e.top3)}\n` +
    `  ${'model: + earlier diagnoses, labs'.padEnd(36)}${pct(e.withRecord.top1)}${pct(e.withRecord.top3)}\n` +
    `  ${'clinicians\' preliminary diagnosis'.padEnd(36)}${pct(e.clinicians.top1)}${'—'.padStart(10)}\n` +
    `  ${'chance (most frequent diagnoses)'.padEnd(36)}${pct(e.chance.top1)}${pct(e.chance.top3)}\n`
}
