// neva model train|eval --physionet2012: the command-line side of model/deterioration.ts.
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { numberOption, parse, UsageError } from '../args.js'
import { DETERIORATION_MODEL, evalDeterioration, trainDeterioration } from './deterioration.js'

export const DETERIORATION_USAGE = `       neva model train --physionet2012 DIR [--outcomes FILE] [--out DIR] [--seed N] [--rounds N] [--patients N]
       neva model eval --physionet2012 DIR --outcomes FILE [--hours 24|48] [--model PATH.json] [--patients N] [--json] [--report FILE.html]`

/** Outcomes-a.txt beside set-a.tar.gz (or in DIR) when not given. */
function defaultOutcomes(data: string): string | undefined {
  for (const p of [join(data, 'Outcomes-a.txt'), join(dirname(data), 'Outcomes-a.txt')]) if (existsSync(p)) return p
  return undefined
}

export async function trainPhysionetCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    physionet2012: { type: 'string' }, outcomes: { type: 'string' }, out: { type: 'string', default: dirname(DETERIORATION_MODEL) },
    seed: { type: 'string' }, rounds: { type: 'string' }, patients: { type: 'string' }, version: { type: 'string' },
  })
  const data = values.physionet2012!
  const outcomes = values.outcomes ?? defaultOutcomes(data)
  if (!outcomes) throw new UsageError(`--outcomes FILE is required (no Outcomes-a.txt beside ${data})\n${DETERIORATION_USAGE}`)
  const { manifestPath, manifest } = await trainDeterioration({
    data, outcomes, outDir: values.out,
    seed: numberOption(values.seed, 'seed', 2012, { integer: true }),
    rounds: numberOption(values.rounds, 'rounds', 600, { min: 1, integer: true }),
    patients: values.patients === undefined ? undefined : numberOption(values.patients, 'patients', 0, { min: 10, integer: true }),
    ...(values.version ? { version: values.version } : {}),
    log: (line) => process.stdout.write(`${line}\n`),
  })
  const cv = manifest.training.cv as Record<string, { auroc_mean: number; auroc_sd: number; auprc_mean: number; auprc_sd: number }>
  for (const h of ['24h', '48h']) {
    const c = cv[h]
    if (c) process.stdout.write(`5-fold CV at ${h}: AUROC ${c.auroc_mean.toFixed(3)} ± ${c.auroc_sd.toFixed(3)}, AUPRC ${c.auprc_mean.toFixed(3)} ± ${c.auprc_sd.toFixed(3)}\n`)
  }
  process.stdout.write(`wrote ${manifestPath}\n      ${join(values.out, manifest.file)}\n      sha256 ${manifest.sha256}\n`)
  return 0
}

export async function evalPhysionetCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    physionet2012: { type: 'string' }, outcomes: { type: 'string' }, hours: { type: 'string', default: '48' },
    model: { type: 'string', default: DETERIORATION_MODEL }, patients: { type: 'string' },
    json: { type: 'boolean', default: false }, report: { type: 'string' },
  })
  const data = values.physionet2012!
  const outcomes = values.outcomes ?? defaultOutcomes(data)
  if (!outcomes) throw new UsageError(`--outcomes FILE is required\n${DETERIORATION_USAGE}`)
  if (values.hours !== '24' && values.hours !== '48') throw new UsageError(`--hours: expected 24 or 48, got ${JSON.stringify(values.hours)}`)
  const hours = Number(values.hours)
  const r = await evalDeterioration({
    data, outcomes, hours, model: values.model,
    patients: values.patients === undefined ? undefined : numberOption(values.patients, 'patients', 0, { min: 1, integer: true }),
  })
  if (values.report) {
    const { renderDeteriorationReport } = await import('./deterioration-report.js')
    await writeFile(values.report, renderDeteriorationReport(r, `${data} (${outcomes})`))
  }
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  —  ').padStart(8)
  const out = process.stdout
  out.write(`${r.n} stays, ${r.deaths} in-hospital deaths, data up to ${hours} h\n`)
  out.write(`  ${''.padEnd(22)}${'AUROC'.padStart(8)}${'AUPRC'.padStart(8)}\n`)
  out.write(`  ${'model'.padEnd(22)}${f(r.model.auroc)}${f(r.model.auprc)}\n`)
  out.write(`  ${`worst NEWS2 ≤ ${hours} h`.padEnd(22)}${f(r.news2.auroc)}${f(r.news2.auprc)}${r.news2.missing ? `  (${r.news2.missing} stays without vitals left out)` : ''}\n`)
  out.write(`  ${'SAPS-I'.padEnd(22)}${f(r.saps1.auroc)}${f(r.saps1.auprc)}${r.saps1.missing ? `  (${r.saps1.missing} stays without SAPS-I left out)` : ''}\n`)
  if (values.report) out.write(`report: ${values.report}\n`)
  if (values.json) {
    const n4 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null)
    out.write(`${JSON.stringify({
      n: r.n, deaths: r.deaths, hours,
      model: { auroc: n4(r.model.auroc), auprc: n4(r.model.auprc) },
      news2: { auroc: n4(r.news2.auroc), auprc: n4(r.news2.auprc) },
      saps1: { auroc: n4(r.saps1.auroc), auprc: n4(r.saps1.auprc) },
    })}\n`)
  }
  return 0
}
