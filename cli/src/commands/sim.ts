// neva sim ambulance: a simulated ambulance streaming its patients to a gateway's broker.
import { SCENARIOS, runAmbulance, type ScenarioName } from '@neva/simulators'
import { numberOption, parse, UsageError } from '../args.js'

export function demoPatients(prefix: string, count: number, seed: number | string) {
  // Stable, then the deteriorating scenarios, so even three patients show the whole range.
  const order: ScenarioName[] = ['stable', 'sepsis', 'haemorrhage', 'respiratory']
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}.p${i + 1}`,
    scenario: order[i % order.length]!,
    seed,
    onsetS: 30 + 30 * i,
    courseS: 400,
  }))
}

export async function run(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv
  if (kind !== 'ambulance') throw new UsageError(`usage: neva sim ambulance --broker mqtt://127.0.0.1:1883 [--id amb-1] [--patients 3] [--seconds N] [--seed S] [--time-scale X]\n  scenarios: ${SCENARIOS.join(', ')}`)
  const { values } = parse(rest, {
    broker: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    id: { type: 'string', default: 'amb-1' },
    patients: { type: 'string' },
    seconds: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'time-scale': { type: 'string' },
  })
  const seconds = values.seconds === undefined ? undefined : numberOption(values.seconds, 'seconds', 0, { min: 1 })
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  process.once('SIGTERM', () => controller.abort())
  if (seconds) setTimeout(() => controller.abort(), seconds * 1000).unref()
  const report = await runAmbulance({
    brokerUrl: values.broker,
    ambulanceId: values.id,
    patients: demoPatients(values.id, numberOption(values.patients, 'patients', 3, { min: 1, integer: true }), values.seed),
    timeScale: numberOption(values['time-scale'], 'time-scale', 1, { min: 0.01 }),
    signal: controller.signal,
  })
  process.stdout.write(`${JSON.stringify(report)}\n`)
  return report.unacknowledged === 0 ? 0 : 1
}
