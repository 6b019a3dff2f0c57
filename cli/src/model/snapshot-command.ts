// neva model snapshots|eval --snapshot: emergency-like single lines, made from set A or read from
// a file with outcomes, scored with the shipped deterioration model as neva triage scores them.
import { readFile, writeFile } from 'node:fs/promises'
import { numberOption, parse, UsageError } from '../args.js'
import { DETERIORATION_MODEL, loadDeterioration, loadOutcomes, scoreOnnx } from './deterioration.js'
import { readStays } from './physionet2012.js'
import { caseMatrix, parseSnapshots, reportedRisk, staySnapshotLine, summarize, type SnapshotSummary } from './snapshot.js'
import { HOURLY_FEATURES } from '@neva/triage'

export const SNAPSHOT_USAGE = `       neva model snapshots --physionet2012 DIR --outcomes FILE [--keep-spo2] [--patients N] [--out FILE.ndjson]
       neva model eval --snapshot FILE.ndjson [--risk-model PATH.json] [--json]`

/** Each stay's first vitals (no SpO2 unless kept) and age as a neva triage line with `outcome` (in-hospital death). */
export async function snapshotsCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { physionet2012: { type: 'string' }, outcomes: { type: 'string' }, 'keep-spo2': { type: 'boolean', default: false }, out: { type: 'string' }, patients: { type: 'string' } })
  if (!values.physionet2012 || !values.outcomes) throw new UsageError(`--physionet2012 DIR and --outcomes FILE are required\n${SNAPSHOT_USAGE}`)
  const outcomes = await loadOutcomes(values.outcomes)
  const limit = values.patients === undefined ? Infinity : numberOption(values.patients, 'patients', 0, { min: 1, integer: true })
  const lines = (await readStays(values.physionet2012))
    .filter((s) => outcomes.has(s.recordId)).slice(0, limit)
    .map((s) => JSON.stringify(staySnapshotLine(s, outcomes.get(s.recordId)!.inHospitalDeath, values['keep-spo2'])))
  const text = lines.length ? `${lines.join('\n')}\n` : ''
  if (values.out) await writeFile(values.out, text)
  else process.stdout.write(text)
  return 0
}

export async function evalSnapshotCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { snapshot: { type: 'string' }, 'risk-model': { type: 'string', default: DETERIORATION_MODEL }, json: { type: 'boolean', default: false } })
  const { cases, errors } = parseSnapshots(await readFile(values.snapshot!, 'utf8'))
  for (const e of errors) process.stderr.write(`${values.snapshot} line ${e.line}: ${e.error} (left out)\n`)
  if (cases.length === 0) throw new UsageError(`${values.snapshot}: no scorable line`)
  const { manifest, bytes } = await loadDeterioration(values['risk-model'])
  const raw = await scoreOnnx(bytes, caseMatrix(cases), HOURLY_FEATURES.length)
  const risk = Array.from(raw, (p) => reportedRisk(p, manifest.calibration))
  const s = summarize(cases, risk, manifest.escalation, manifest.min_vitals)
  process.stdout.write(renderSummary(s, `${manifest.id}@${manifest.version}`, errors.length))
  if (values.json) process.stdout.write(`${JSON.stringify({ ...round(s), left_out: errors.length, escalation: manifest.escalation ? { yellow: manifest.escalation.yellow, red: manifest.escalation.red } : null })}\n`)
  return 0
}

const round = (s: SnapshotSummary): SnapshotSummary => ({ ...s, risk_auroc: Math.round(s.risk_auroc * 1e4) / 1e4, news2_auroc: Math.round(s.news2_auroc * 1e4) / 1e4, extra_false_flags_per_1300: Math.round(s.extra_false_flags_per_1300 * 10) / 10 })

export function renderSummary(s: SnapshotSummary, model: string, leftOut = 0): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—')
  const row = (name: string, a: { events: number; nonEvents: number }) => `  ${name.padEnd(30)}${`${a.events} of ${s.events}`.padStart(12)}${String(a.nonEvents).padStart(14)}\n`
  return `${s.n} snapshots, ${s.events} with the event${leftOut ? `, ${leftOut} lines left out` : ''}; ${s.sparse} too sparse for the model (level = NEWS2)\n` +
    `  AUROC   model.risk (${model}) ${f(s.risk_auroc)}   NEWS2 score ${f(s.news2_auroc)}\n` +
    `  ${''.padEnd(30)}${'with event'.padStart(12)}${'without event'.padStart(14)}\n` +
    row('NEWS2 yellow or red', s.news2.flagged) + row('final level yellow or red', s.final.flagged) +
    row('NEWS2 red', s.news2.red) + row('final level red', s.final.red) +
    `  false flags beyond NEWS2: ${s.extra_false_flags} (${s.extra_false_flags_per_1300.toFixed(1)} per 1,300 visits)\n`
}
