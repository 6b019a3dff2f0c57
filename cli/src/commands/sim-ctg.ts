// neva sim ctg: a fetal monitor's central station sending CTG to a gateway's HL7 listener —
// a simulated pattern or a WFDB recording (CTU-UHB), as ORU^R01 NA arrays a minute each.
import { readWfdbRecord } from '@neva/firmware-adapters'
import { CTG_PATTERNS, ctgOruMessages, ctgTraceFromRecord, sendCtgMllp, simulateCtg, type CtgPattern, type CtgTraceInput } from '@neva/simulators'
import { numberOption, parse, UsageError } from '../args.js'

const USAGE = `usage: neva sim ctg --mllp HOST:PORT (--pattern ${CTG_PATTERNS.join('|')} [--minutes 60] [--seed S] | --record FILE.hea)
                   [--patient-id P] [--device-id D] [--ward W] [--bed B] [--time-scale X (1: a message a minute; default as fast as ACKs come)]`

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    mllp: { type: 'string' }, pattern: { type: 'string' }, minutes: { type: 'string' }, seed: { type: 'string', default: '1' }, record: { type: 'string' },
    'patient-id': { type: 'string', default: 'mother-1' }, 'device-id': { type: 'string', default: 'fm-1' }, ward: { type: 'string' }, bed: { type: 'string' }, 'time-scale': { type: 'string' },
  })
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(values.mllp ?? '')
  if (!m) throw new UsageError(`--mllp HOST:PORT is required\n${USAGE}`)
  let trace: CtgTraceInput
  if (values.pattern !== undefined) {
    if (!(CTG_PATTERNS as readonly string[]).includes(values.pattern)) throw new UsageError(`--pattern: one of ${CTG_PATTERNS.join(', ')}`)
    const sim = simulateCtg(values.pattern as CtgPattern, { minutes: numberOption(values.minutes, 'minutes', 60, { min: 1 }), seed: values.seed })
    trace = { hz: sim.hz, signals: { fhr: sim.fhr, uc: sim.uc } }
  } else if (values.record !== undefined) {
    const r = readWfdbRecord(values.record)
    if (!r.ok) throw new UsageError(`${values.record}: ${r.problem.code}: ${r.problem.reason}`)
    trace = ctgTraceFromRecord(r.record)
    if (!trace.signals.fhr) throw new UsageError(`${values.record}: no FHR signal`)
  } else throw new UsageError(USAGE)
  const scale = values['time-scale'] === undefined ? Infinity : numberOption(values['time-scale'], 'time-scale', 1, { min: 0.001 })
  const location = { ...(values.ward ? { pointOfCare: values.ward } : {}), ...(values.bed ? { bed: values.bed } : {}) }
  const { messages, samples } = ctgOruMessages(trace, { patientId: values['patient-id'], deviceId: values['device-id'], location })
  const host = m[1]!.replace(/^\[|\]$/g, '')
  const port = Number(m[2])
  const acks: string[] = []
  for (const msg of messages) {
    acks.push(...(await sendCtgMllp(host, port, [msg])))
    if (Number.isFinite(scale)) await new Promise((r) => setTimeout(r, 60_000 / scale))
  }
  const refused = acks.filter((a) => a !== 'AA').length
  process.stdout.write(`${messages.length} CTG messages (${samples} samples per signal, ${(samples / trace.hz / 60).toFixed(1)} min) sent to ${values.mllp}: ${acks.length - refused} AA, ${refused} not AA\n`)
  return refused === 0 ? 0 : 1
}
