// neva sim replay --physionet2012 DIR [--patients N] [--time-scale X] [--data DIR] [--admission ISO] [--json]
import { numberOption, parse, UsageError } from '../args.js'

export const REPLAY_USAGE = 'neva sim replay --physionet2012 DIR|set-a.tar.gz [--patients 3] [--time-scale 3600] [--data DIR] [--admission 2026-01-01T00:00:00Z] [--json]'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    physionet2012: { type: 'string' },
    patients: { type: 'string' },
    'time-scale': { type: 'string' },
    data: { type: 'string' },
    admission: { type: 'string' },
    json: { type: 'boolean', default: false },
  })
  if (!values.physionet2012) throw new UsageError(`usage: ${REPLAY_USAGE}`)
  const admission = values.admission === undefined ? undefined : Date.parse(values.admission)
  if (admission !== undefined && !(Number.isFinite(admission) && admission >= Date.UTC(2000, 0, 1))) throw new UsageError(`--admission: expected an ISO time after 2000, got ${JSON.stringify(values.admission)}`)
  const { replay } = await import('../replay/run.js')
  const { printSummary } = await import('../replay/summary.js')
  const summary = await replay({
    source: values.physionet2012,
    patients: numberOption(values.patients, 'patients', 3, { min: 1, integer: true }),
    timeScale: numberOption(values['time-scale'], 'time-scale', 3600, { min: 1 }),
    ...(values.data ? { dataDir: values.data } : {}),
    ...(admission !== undefined ? { admission } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  })
  printSummary(summary, (line) => process.stdout.write(`${line}\n`))
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`)
  return summary.missing === 0 && summary.unexpected === 0 && !summary.devices.aborted ? 0 : 1
}
