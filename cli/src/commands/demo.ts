// neva demo: the whole system on one machine with the embedded defaults — the core on embedded
// ClickHouse, one gateway, an ambulance with its patients — then a summary counted in ClickHouse.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { coreConfigFromEnv, hashToken, startCore } from '@neva/core'
import { parseGatewayConfig, startGateway } from '@neva/edge'
import { runAmbulance } from '@neva/simulators'
import { numberOption, parse, untilInterrupted } from '../args.js'
import { demoPatients } from './sim.js'

const GATEWAY_ID = 'demo-gw'

const MARKER = '.neva-demo'

/**
 * Each demo starts from empty storage, so that what it counts is what this run stored. Only a
 * directory the demo made itself (it leaves a marker) is ever cleared.
 */
function freshDemoDirectory(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(join(dir, MARKER))) {
      throw new Error(`${dir} holds data that neva demo did not create; choose another directory with --data`)
    }
    for (const part of ['clickhouse', 'edge']) rmSync(join(dir, part), { recursive: true, force: true })
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, MARKER), 'created by neva demo; cleared at the start of each demo\n')
}

/** The preferred port when it is free, else 0 (any free port). */
async function pickPort(host: string, preferred: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(0))
    probe.listen(preferred, host, () => probe.close(() => resolve(preferred)))
  })
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    seconds: { type: 'string' },
    json: { type: 'boolean', default: false },
    patients: { type: 'string' },
    'time-scale': { type: 'string' },
    data: { type: 'string', default: './data' },
    verbose: { type: 'boolean', default: false },
    // Any free ports instead of 8080, 1883 and 8081 (tests, or a machine where those are taken).
    'ephemeral-ports': { type: 'boolean', default: false },
  })
  const seconds = values.seconds === undefined ? undefined : numberOption(values.seconds, 'seconds', 0, { min: 1 })
  const patientCount = numberOption(values.patients, 'patients', 3, { min: 1, integer: true })
  const timeScale = numberOption(values['time-scale'], 'time-scale', 20, { min: 0.01 })
  const say = (line: string) => { if (!values.json) process.stdout.write(`${line}\n`) }
  const logLevel = values.verbose ? 'info' : 'warn'
  const host = '127.0.0.1'
  const port = (preferred: number) => (values['ephemeral-ports'] ? Promise.resolve(0) : pickPort(host, preferred))
  const run = randomBytes(2).toString('hex')
  const token = randomBytes(24).toString('base64url')

  freshDemoDirectory(values.data)
  const core = await startCore(coreConfigFromEnv(process.env, {
    host,
    port: await port(8080),
    clickhouse: { ...coreConfigFromEnv().clickhouse, path: `${values.data}/clickhouse` },
    gateways: { [GATEWAY_ID]: hashToken(token) },
    logLevel,
  }))
  let gateway
  try {
    gateway = await startGateway(parseGatewayConfig({
      gateway_id: GATEWAY_ID,
      data_dir: `${values.data}/edge`,
      mqtt: { host, port: await port(1883) },
      api: { host, port: await port(8081) },
      core: { url: core.url, token },
      log_level: logLevel,
    }))
  } catch (err) {
    await core.close()
    throw err
  }
  const patients = demoPatients(`amb-${run}`, patientCount, run)
  say(`Neva demo (run ${run}) — ${seconds ? `${seconds} s` : 'Ctrl-C to stop'}`)
  say(`  core           ${core.url}   (ClickHouse ${core.clickhouse.kind}: ${core.clickhouse.location})`)
  say(`  gateway        ${gateway.apiUrl}/status   ${gateway.apiUrl}/patients   ${gateway.apiUrl}/metrics`)
  say(`  MQTT broker    mqtt://${host}:${gateway.mqttPort}   (topic neva/v1/devices/{device}/vitals)`)
  for (const p of patients) say(`  patient        ${core.url}/v1/patients/${p.id}/latest   (${p.scenario})`)

  const stop = new AbortController()
  const ambulance = runAmbulance({
    brokerUrl: `mqtt://${host}:${gateway.mqttPort}`,
    ambulanceId: `amb-${run}`,
    patients,
    timeScale,
    signal: stop.signal,
  })
  const progress = setInterval(() => {
    const levels = gateway.triage.snapshot().map((p) => `${p.patient_id.split('.').pop()} ${p.level.toUpperCase()} (NEWS2 ${p.news2.score})`).join(' · ')
    say(`  … outbox ${gateway.outbox.stats().depth} waiting · ${levels}`)
  }, 5000)
  const timer = seconds ? setTimeout(() => stop.abort(), seconds * 1000) : undefined
  const why = await Promise.race([untilInterrupted(stop.signal), ambulance.then(() => 'ambulance stopped')])
  stop.abort()
  clearTimeout(timer)
  clearInterval(progress)

  let report
  try {
    report = await ambulance
    say(`  stopping (${why}); draining the outbox…`)
    await gateway.drain(30_000)
  } finally {
    await gateway.stop()
  }
  const ids = patients.map((p) => p.id)
  let stored: number
  const triage = { green: 0, yellow: 0, red: 0 }
  try {
    stored = await core.store.count('observations', 'gateway_id = {g:String} AND has({ids:Array(String)}, patient_id)', { g: GATEWAY_ID, ids })
    const rs = await core.clickhouse.client.query({
      query: 'SELECT level, count() AS n FROM triage_results WHERE has({ids:Array(String)}, patient_id) GROUP BY level',
      query_params: { ids },
      format: 'JSONEachRow',
    })
    for (const row of await rs.json<{ level: keyof typeof triage; n: string }>()) triage[row.level] = Number(row.n)
  } finally {
    await core.close()
  }
  const finals = gateway.triage.snapshot()
  say('')
  say(`  readings published (acknowledged by the gateway)  ${report.published}`)
  say(`  readings stored in ClickHouse                      ${stored}${stored === report.published ? '  ✓' : '  ✗ MISMATCH'}`)
  say(`  triage results stored                              ${triage.green} green · ${triage.yellow} yellow · ${triage.red} red`)
  for (const p of report.patients) {
    const f = finals.find((x) => x.patient_id === p.id)
    say(`    ${p.id.padEnd(16)} ${p.scenario.padEnd(12)} NEWS2 ${String(f?.news2.score ?? '-').padStart(2)}${f?.news2.partial ? ' (partial)' : ''}  → ${(f?.level ?? '-').padEnd(6)}  ground truth ${p.acuity}`)
  }
  say(`  query it:  ./bin/neva sql "SELECT name, count(), round(avg(value), 1) FROM observations WHERE patient_id LIKE 'amb-${run}.%' GROUP BY name"`)
  if (values.json) process.stdout.write(`${JSON.stringify({ published: report.published, stored, triage })}\n`)
  return stored === report.published ? 0 : 1
}
