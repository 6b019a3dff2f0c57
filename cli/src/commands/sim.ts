// neva sim ambulance: a simulated ambulance streaming its patients to a gateway's broker.
import { SCENARIOS, exitOnSignals, runAmbulance, type ScenarioName } from '@neva/simulators'
import { readFileSync } from 'node:fs'
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

async function faults(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    kills: { type: 'string' },
    'outage-s': { type: 'string' },
    'core-restarts': { type: 'string' },
    'core-kills': { type: 'string' },
    'disk-full-s': { type: 'string' },
    'clock-jump-h': { type: 'string' },
    beds: { type: 'string' },
    devices: { type: 'string' },
    rate: { type: 'string' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  })
  const { runFaults } = await import('../faults/harness.js')
  const { faultsSecondsFor } = await import('../faults/schedule.js')
  // Interrupted, it stops its gateway, core and ptys rather than leave them running.
  exitOnSignals()
  // The default is the harsh run (docs/store-and-forward.md#fault-injection): 20 kills, 3 core
  // restarts, a 10-minute outage, a full disk and a clock an hour ahead, in a run long enough to
  // hold the outage (970 s for 10 minutes).
  const outageS = numberOption(values['outage-s'], 'outage-s', 600)
  const report = await runFaults({
    seconds: numberOption(values.seconds, 'seconds', faultsSecondsFor(outageS), { min: 5 }),
    kills: numberOption(values.kills, 'kills', 20, { integer: true }),
    outageS,
    coreRestarts: numberOption(values['core-restarts'], 'core-restarts', 3, { integer: true }),
    coreKills: numberOption(values['core-kills'], 'core-kills', 1, { integer: true }),
    diskFullS: numberOption(values['disk-full-s'], 'disk-full-s', 5),
    clockJumpH: numberOption(values['clock-jump-h'], 'clock-jump-h', 1),
    beds: numberOption(values.beds, 'beds', 2, { integer: true }),
    devices: numberOption(values.devices, 'devices', 5, { min: 1, integer: true }),
    rateHz: numberOption(values.rate, 'rate', 10, { min: 0.1 }),
    seed: values.seed,
    keep: values.keep,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  const ok = report.lost === 0 && report.duplicates === 0 && report.hl7.lost === 0 && report.hl7.duplicates === 0
  const d = report.disk_full
  if (!values.json) {
    process.stdout.write(`MQTT readings acknowledged to devices ${report.acked} · stored ${report.stored} · duplicates ${report.duplicates} · lost ${report.lost}\n` +
      `HL7 messages acknowledged ${report.hl7.acked} · stored ${report.hl7.stored} · duplicates ${report.hl7.duplicates} · lost ${report.hl7.lost} · AE answers ${report.hl7.ae}\n` +
      `gateway kills ${report.kills} · uplink outage ${report.outage_s} s · core restarts ${report.core_restarts} · clock jump ${report.clock_jump}\n` +
      `disk full: ${d.mode === 'tmpfs' ? `devices saw ${d.mqtt_closes} MQTT connections closed and ${d.hl7_ae} HL7 AE; the gateway logged "${d.logged}"` : d.note}\n` +
      `${ok ? 'nothing lost, nothing duplicated' : `FAILED (logs in ${report.dir})`}${ok && report.kept ? ` (kept: ${report.dir})` : ''}\n`)
  }
  const { acked, stored, duplicates, lost, kills, outage_s, core_restarts, hl7, disk_full, clock_jump } = report
  if (values.json) process.stdout.write(`${JSON.stringify({ acked, stored, duplicates, lost, kills, outage_s, core_restarts, hl7, disk_full, clock_jump, ...(report.kept ? { dir: report.dir } : {}) })}\n`)
  return ok ? 0 : 1
}

async function emr(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    patients: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'telemetry-rows': { type: 'string' },
    data: { type: 'string' },
    end: { type: 'string' },
    generator: { type: 'string', default: 'clickhouse' },
    json: { type: 'boolean', default: false },
  })
  if (values.generator !== 'clickhouse' && values.generator !== 'js') throw new UsageError(`--generator: clickhouse (the default) or js, not ${JSON.stringify(values.generator)}`)
  const generator: 'clickhouse' | 'js' = values.generator
  const { clickhouseConfigFromEnv, connectClickHouse } = await import('@neva/analytics')
  const { writeEmr } = await import('../emr/write.js')
  const config = clickhouseConfigFromEnv()
  if (values.data) config.path = `${values.data}/clickhouse`
  const ch = await connectClickHouse(config)
  const tty = process.stderr.isTTY
  try {
    const report = await writeEmr(ch, {
      patients: numberOption(values.patients, 'patients', 10_000, { min: 1, integer: true }),
      seed: values.seed,
      end: values.end === undefined ? Date.now() : numberOption(values.end, 'end', 0, { integer: true }),
      telemetryRows: numberOption(values['telemetry-rows'], 'telemetry-rows', 0, { integer: true }),
      generator,
      // A bar redrawn in place on a terminal; whole lines now and then otherwise.
      progress: (line, done) => {
        if (tty) process.stderr.write(`\r${line}${done ? '\n' : ''}`)
        else if (done) process.stderr.write(`${line}\n`)
      },
    })
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n`
      : `${report.patients.toLocaleString('en')} patients · ${report.encounters.toLocaleString('en')} encounters · ${report.complaints.toLocaleString('en')} complaints · ${report.diagnoses.toLocaleString('en')} diagnoses · ${report.lab_results.toLocaleString('en')} lab results · ${report.telemetry_rows.toLocaleString('en')} telemetry rows in ${report.seconds} s (${ch.location})\n`)
  } finally {
    await ch.close()
  }
  return 0
}

async function lab(argv: string[]): Promise<number> {
  const { values } = parse(argv, { orders: { type: 'string' }, seed: { type: 'string', default: '1' }, json: { type: 'boolean', default: false }, hl7: { type: 'boolean', default: false } })
  const { runLabDay } = await import('./sim-lab.js')
  const r = await runLabDay(numberOption(values.orders, 'orders', 50, { min: 1, integer: true }), Number(values.seed) || 1, 600_000, (line) => process.stderr.write(`${line}\n`), { hl7: values.hl7 })
  const ok = r.reached_analyzer === r.orders && r.matched === r.tests && r.unmatched === 0 && r.doubled === 0 && r.lost === 0
  if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`)
  else {
    process.stdout.write(`orders ${r.orders} (${r.tests} tests) · reached their analyzers ${r.reached_analyzer} · results matched ${r.matched} · unmatched ${r.unmatched} · doubled ${r.doubled} · lost ${r.lost} · ${r.seconds} s\n`)
    for (const [p, b] of Object.entries(r.by_protocol)) if (b.reached > 0) process.stdout.write(`${p}: ${b.reached} orders reached, ${b.result_messages} result messages acknowledged\n`)
    for (const [p, t] of Object.entries(r.turnaround_ms)) process.stdout.write(`turnaround ${p}: ${t.n} orders, p50 ${t.p50 ?? '-'} ms, p95 ${t.p95 ?? '-'} ms\n`)
    process.stdout.write(ok ? 'every order reached its analyzer, every result found its order\n' : 'FAILED\n')
  }
  return ok ? 0 : 1
}

export async function run(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv
  if (kind === 'faults') return faults(rest)
  if (kind === 'emr') return emr(rest)
  if (kind === 'soak') return (await import('./sim-soak.js')).run(rest)
  if (kind === 'replay') return (await import('./replay.js')).run(rest)
  if (kind === 'lab') return lab(rest)
  if (kind === 'ctg') return (await import('./sim-ctg.js')).run(rest)
  if (kind !== 'ambulance') throw new UsageError(`usage: neva sim faults [--json] [--seconds 970] [--kills 20] [--outage-s 600] [--core-restarts 3] [--core-kills 1] [--disk-full-s 5] [--clock-jump-h 1] [--beds 2] [--devices 5] [--rate 10] [--keep]\n       neva sim soak [--minutes 60 | --seconds N] [--interval-s 60] [--warmup-min 5] [--ambulances 3] [--beds 12] [--analyzers 2] [--boards 8] [--analysts 2] [--json]\n       neva sim ambulance --broker mqtt://127.0.0.1:1883 [--id amb-1] [--patients 3] [--seconds N] [--seed S] [--time-scale X]\n       neva sim ambulance --ecg-record FILE.hea [--patient-id P] [--seconds N (of the record)] [--time-scale X|max]\n                  [--username U (password in --password-file F or NEVA_MQTT_PASSWORD)] [--ca FILE] [--cert FILE --key FILE]\n       neva sim emr [--patients 10000] [--seed S] [--telemetry-rows N] [--data DIR] [--generator clickhouse|js] [--json]\n       neva sim replay --physionet2012 DIR [--patients 3] [--time-scale 3600] [--data DIR] [--json]\n       neva sim ctg --mllp HOST:PORT (--pattern P | --record FILE.hea) [...]\n       neva sim lab [--orders 50] [--seed S] [--hl7] [--json]\n  scenarios: ${SCENARIOS.join(', ')}`)
  const { values } = parse(rest, {
    broker: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
    id: { type: 'string', default: 'amb-1' },
    patients: { type: 'string' },
    seconds: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'time-scale': { type: 'string' },
    username: { type: 'string' },
    'password-file': { type: 'string' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'ecg-record': { type: 'string' },
    'patient-id': { type: 'string' },
  })
  const seconds = values.seconds === undefined ? undefined : numberOption(values.seconds, 'seconds', 0, { min: 1 })
  // The password from a file or NEVA_MQTT_PASSWORD, never from the command line (ps shows it).
  const password = values['password-file'] ? readFileSync(values['password-file'], 'utf8').split(/\r?\n/)[0] : process.env.NEVA_MQTT_PASSWORD
  if (values.username && !password) throw new UsageError('--username needs its password in --password-file FILE or NEVA_MQTT_PASSWORD')
  const tls = {
    ...(values.ca ? { ca: readFileSync(values.ca) } : {}),
    ...(values.cert ? { cert: readFileSync(values.cert) } : {}),
    ...(values.key ? { key: readFileSync(values.key) } : {}),
  }
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  process.once('SIGTERM', () => controller.abort())
  if (values['ecg-record'] !== undefined) {
    // A real recording through the ECG path: --seconds is how much of it, not how long to run.
    const { ecgRecordCommand } = await import('./sim-ecg-record.js')
    return ecgRecordCommand({
      file: values['ecg-record'], broker: values.broker, ambulanceId: values.id, patientId: values['patient-id'], seconds,
      timeScale: values['time-scale'] === undefined ? 1 : values['time-scale'] === 'max' ? Infinity : numberOption(values['time-scale'], 'time-scale', 1, { min: 0.01 }),
      signal: controller.signal, ...(values.username ? { username: values.username, password } : {}), tls,
    })
  }
  if (seconds) setTimeout(() => controller.abort(), seconds * 1000).unref()
  const report = await runAmbulance({
    brokerUrl: values.broker,
    ambulanceId: values.id,
    patients: demoPatients(values.id, numberOption(values.patients, 'patients', 3, { min: 1, integer: true }), values.seed),
    timeScale: numberOption(values['time-scale'], 'time-scale', 1, { min: 0.01 }),
    signal: controller.signal,
    ...(values.username ? { username: values.username, password } : {}),
    tls,
  })
  process.stdout.write(`${JSON.stringify(report)}\n`)
  return report.unacknowledged === 0 ? 0 : 1
}
