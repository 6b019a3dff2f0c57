// neva sim soak: an hour (or N minutes) of a city's load through a real gateway and core, with a
// sample every minute and a verdict at the end (cli/src/soak/).
import { numberOption, parse, UsageError } from '../args.js'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    json: { type: 'boolean', default: false },
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    'interval-s': { type: 'string' },
    ambulances: { type: 'string' },
    beds: { type: 'string' },
    analyzers: { type: 'string' },
    boards: { type: 'string' },
    analysts: { type: 'string' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  })
  if (values.minutes !== undefined && values.seconds !== undefined) throw new UsageError('neva sim soak: give --minutes or --seconds, not both')
  const seconds = values.seconds !== undefined
    ? numberOption(values.seconds, 'seconds', 60, { min: 10 })
    : numberOption(values.minutes, 'minutes', 60, { min: 0.2 }) * 60
  // A minute between samples, or a tenth of a short run.
  const intervalS = numberOption(values['interval-s'], 'interval-s', Math.min(60, Math.max(5, seconds / 10)), { min: 1 })
  const { runSoak } = await import('../soak/run.js')
  const report = await runSoak({
    seconds,
    intervalS,
    ambulances: numberOption(values.ambulances, 'ambulances', 3, { min: 0, integer: true }),
    beds: numberOption(values.beds, 'beds', 12, { min: 1, integer: true }),
    analyzers: numberOption(values.analyzers, 'analyzers', 2, { min: 0, integer: true }),
    labIntervalS: 15,
    boards: numberOption(values.boards, 'boards', 8, { min: 0, integer: true }),
    analysts: numberOption(values.analysts, 'analysts', 2, { min: 0, integer: true }),
    analystIntervalS: 10,
    seed: values.seed,
    keep: values.keep,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  if (!values.json) {
    for (const c of report.verdict.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'GREW'} ${c.name.padEnd(22)} first third ${c.first} · last third ${c.last} (${c.change_pct ?? '?'} %)\n`)
    const s = report.verdict.rss_slope_mb_per_min
    process.stdout.write(`RSS slope MB/min: core ${s.core} · gateway ${s.gateway} · soak ${s.soak}\n`)
    process.stdout.write(`acknowledged ${JSON.stringify(report.acknowledged)} · stored ${JSON.stringify(report.stored)} · duplicates ${report.duplicates} · lost ${report.lost}\n`)
    process.stdout.write(`${report.verdict.flat ? 'flat within 10 %' : 'NOT flat within 10 %'} · ${report.stored_equals_acknowledged ? 'stored == acknowledged' : `stored != acknowledged (logs in ${report.dir})`}\n`)
  } else {
    process.stdout.write(`${JSON.stringify(report)}\n`)
  }
  return report.verdict.flat && report.stored_equals_acknowledged ? 0 : 1
}
