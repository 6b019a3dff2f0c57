// neva sim soak: an hour (or N minutes) of a city's load through a real gateway and core, with a
// sample every minute and a verdict at the end (cli/src/soak/).
import { numberOption, parse, UsageError } from '../args.js'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    json: { type: 'boolean', default: false },
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    'interval-s': { type: 'string' },
    'warmup-min': { type: 'string' },
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
  // Warm-up: a quarter of the run, at most 5 minutes (ClickHouse's pool threads had all started
  // within 4 minutes in the runs in docs/benchmarks.md#soak-neva-sim-soak).
  const warmupS = numberOption(values['warmup-min'], 'warmup-min', Math.min(5, seconds / 240), { min: 0 }) * 60
  const { runSoak } = await import('../soak/run.js')
  // Interrupted, it stops its gateway, core and ptys rather than leave them running.
  ;(await import('@neva/simulators')).exitOnSignals()
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
    warmupS,
    keep: values.keep,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  const v = report.verdict
  if (!values.json) {
    process.stdout.write(`after ${v.warmup_s} s of warm-up, ${v.samples_used} samples; median of the first third → the last third, slope over them:\n`)
    for (const c of v.checks) {
      const rule = c.rule === 'steady' ? 'within ±10 %' : c.rule === 'bounded' ? 'rise ≤ 10 %' : '≤ 3 a thread'
      process.stdout.write(`${c.ok ? 'ok  ' : c.rule === 'steady' ? 'MOVED' : 'GREW'} ${c.name.padEnd(22)} ${c.first ?? '?'} → ${c.last ?? '?'} (${c.change_pct ?? '?'} %${c.slope_per_min === null ? '' : `, ${c.slope_per_min}/min`}; ${rule})\n`)
    }
    process.stdout.write(`acknowledged ${JSON.stringify(report.acknowledged)} · stored ${JSON.stringify(report.stored)} · duplicates ${report.duplicates} · lost ${report.lost}\n`)
    process.stdout.write(`${v.flat ? 'flat within 10 %' : 'NOT flat within 10 %'} · ${report.stored_equals_acknowledged ? 'stored == acknowledged' : `stored != acknowledged (logs in ${report.dir})`}\n`)
    // The verdict per figure as one JSON line, last.
    const figures = Object.fromEntries(v.checks.map((c) => [c.name, { first: c.first, last: c.last, change_pct: c.change_pct, slope_per_min: c.slope_per_min, ok: c.ok }]))
    process.stdout.write(`${JSON.stringify({ flat: v.flat, warmup_s: v.warmup_s, samples_used: v.samples_used, figures, stored_equals_acknowledged: report.stored_equals_acknowledged, lost: report.lost, duplicates: report.duplicates })}\n`)
  } else {
    process.stdout.write(`${JSON.stringify(report)}\n`)
  }
  return v.flat && report.stored_equals_acknowledged ? 0 : 1
}
