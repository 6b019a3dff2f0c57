// neva ctg classify FILE.hea… [--last M] | --pattern P [--minutes M] [--json]: FIGO 2015 classification of
// CTG recordings (WFDB, e.g. CTU-UHB, with their pH/Apgar outcome when the header has it) or of a
// simulated pattern. Exit 0 when every input was classified.
import { readWfdbRecord } from '@neva/firmware-adapters'
import { classifyCtg, ctgOutcome, ctgTail, ctgTraceFromWfdb, fhrFromBpm, type CtgClassification, type CtgOutcome } from '@neva/edge'
import { slidingVerdicts } from './ctg-sliding.js'
import { CTG_PATTERNS, simulateCtg, type CtgPattern } from '@neva/simulators'
import { numberOption, parse, UsageError } from '../args.js'

interface Row {
  input: string
  outcome?: CtgOutcome
  classification: CtgClassification
}

function line(r: Row): string {
  const c = r.classification
  const o = r.outcome ? ` pH ${r.outcome.ph ?? '?'} Apgar ${r.outcome.apgar1 ?? '?'}/${r.outcome.apgar5 ?? '?'}` : ''
  const decels = (['early', 'variable', 'late', 'prolonged'] as const).map((t) => `${c.decelerations.filter((d) => d.type === t).length} ${t}`).join(', ')
  return `${r.input}:${o} ${c.classification.toUpperCase()} (${c.minutes} min, baseline ${c.baseline_bpm ?? '-'} bpm, variability ${c.variability_bpm ?? '-'} bpm, ${c.accelerations} accelerations, decelerations ${decels}, ${c.contractions} contractions, signal loss ${c.signal_loss_pct}%)\n${c.reasons.map((x) => `  - ${x}\n`).join('')}${c.notes.map((x) => `  note: ${x}\n`).join('')}`
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'classify') throw new UsageError('usage: neva ctg classify FILE.hea… [--last MINUTES | --sliding] | --pattern ' + CTG_PATTERNS.join('|') + ' [--minutes M] [--json]')
  const { values, positionals } = parse(rest, { pattern: { type: 'string' }, minutes: { type: 'string' }, json: { type: 'boolean', default: false }, last: { type: 'string' }, sliding: { type: 'boolean', default: false } }, true)
  const last = values.last === undefined ? undefined : numberOption(values.last, 'last', 30, { min: 10 })
  const rows: Row[] = []
  let failed = 0
  if (values.pattern !== undefined) {
    if (!(CTG_PATTERNS as readonly string[]).includes(values.pattern)) throw new UsageError(`--pattern: one of ${CTG_PATTERNS.join(', ')}`)
    const sim = simulateCtg(values.pattern as CtgPattern, { minutes: numberOption(values.minutes, 'minutes', 60, { min: 10 }) })
    rows.push({ input: `pattern ${values.pattern}`, classification: classifyCtg({ hz: sim.hz, fhr: fhrFromBpm(sim.fhr), uc: Float64Array.from(sim.uc) }) })
  }
  if (positionals.length === 0 && values.pattern === undefined) throw new UsageError('name WFDB header files or --pattern')
  for (const file of positionals) {
    const r = readWfdbRecord(file)
    if (!r.ok) {
      process.stderr.write(`${file}: ${r.problem.code}: ${r.problem.reason}\n`)
      failed++
      continue
    }
    for (const p of r.record.problems) process.stderr.write(`${file}: ${p.code}: ${p.reason}\n`)
    const trace = ctgTraceFromWfdb(r.record)
    if (!trace) {
      process.stderr.write(`${file}: no FHR signal to classify\n`)
      failed++
      continue
    }
    if (values.sliding) {
      // As the gateway does live: the last 60 min every minute of trace, verdicts kept on change.
      const s = await slidingVerdicts(r.record)
      process.stdout.write(values.json ? `${JSON.stringify({ input: r.record.header.record, outcome: ctgOutcome(r.record.header.comments), ...s })}\n` : s.text)
      continue
    }
    rows.push({ input: r.record.header.record, outcome: ctgOutcome(r.record.header.comments), classification: classifyCtg(last === undefined ? trace : ctgTail(trace, last)) })
  }
  for (const r of rows) process.stdout.write(values.json ? `${JSON.stringify(r)}\n` : line(r))
  return failed === 0 ? 0 : 1
}
