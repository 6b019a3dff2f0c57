// neva demo: the whole system on one machine with the embedded defaults — the core on embedded
// ClickHouse, one gateway, and every kind of device it hears over its real transport: an
// ambulance (vitals and 12-lead ECG over MQTT), ICU bedside monitors (HL7 over MLLP), a
// ventilator (OPC UA), a ward oximeter and a lab analyzer (serial lines over socat
// pseudo-terminals) — then a summary counted in ClickHouse.
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { execFileSync } from 'node:child_process'
import { coreConfigFromEnv, hashToken, startCore } from '@neva/core'
import { AlarmStore, BoardStore, EmrStore } from '@neva/analytics'
import { hashPassword, parseGatewayConfig, startGateway } from '@neva/edge'
import { AstmAnalyzer, Hl7Monitor, OpcuaVentilator, SimulatedOximeter, runAmbulance, startPtyPair, type PatientSpec, type PtyPair } from '@neva/simulators'
import { numberOption, parse, untilInterrupted } from '../args.js'
import { demoPatients } from './sim.js'
import { DEMO_SITE, seedDemoPeople } from './demo-people.js'
import { DEMO_ANALYZER_INTERVAL_MS, DEMO_MONITOR_INTERVAL_MS, DEMO_SUPERVISION } from './demo-supervision.js'

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
    for (const part of ['clickhouse', 'edge', 'opcua-simulator', 'serial']) rmSync(join(dir, part), { recursive: true, force: true })
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, MARKER), 'created by neva demo; cleared at the start of each demo\n')
}

function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
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
    // Real recorded ICU stays instead of simulated patients: neva sim replay, data in DATA/replay.
    replay: { type: 'string' },
  })
  if (values.replay) {
    const args = ['--physionet2012', values.replay, '--data', join(values.data, 'replay'), ...(values.patients ? ['--patients', values.patients] : []), ...(values['time-scale'] ? ['--time-scale', values['time-scale']] : []), ...(values.json ? ['--json'] : [])]
    return (await import('./replay.js')).run(args)
  }
  const seconds = values.seconds === undefined ? undefined : numberOption(values.seconds, 'seconds', 0, { min: 1 })
  const patientCount = numberOption(values.patients, 'patients', 3, { min: 1, integer: true })
  const timeScale = numberOption(values['time-scale'], 'time-scale', 20, { min: 0.01 })
  const say = (line: string) => { if (!values.json) process.stdout.write(`${line}\n`) }
  const logLevel = values.verbose ? 'info' : 'warn'
  const host = '127.0.0.1'
  const port = (preferred: number) => (values['ephemeral-ports'] ? Promise.resolve(0) : pickPort(host, preferred))
  const run = randomBytes(2).toString('hex')
  const token = randomBytes(24).toString('base64url')
  // The ambulance's tablet logs in to the gateway's broker, which refuses anyone else; patient
  // data on the gateway's API needs a token. Both secrets live only in this process.
  const tablet = { username: `amb-${run}-tablet`, password: randomBytes(18).toString('base64url') }
  const apiToken = randomBytes(24).toString('base64url')

  freshDemoDirectory(values.data)
  const fromEnv = coreConfigFromEnv()
  const core = await startCore({
    ...fromEnv,
    host,
    port: await port(8080),
    clickhouse: { ...fromEnv.clickhouse, path: `${values.data}/clickhouse` },
    gateways: { [GATEWAY_ID]: hashToken(token) },
    // The demo gateway serves the demo hospital: its ambulance's transports reach that ED board.
    gatewaySites: { [GATEWAY_ID]: [DEMO_SITE] },
    logLevel,
  })
  // The ICU: three beds on HL7 monitors, the second also on a ventilator; a ward bed with a
  // serial oximeter; the lab's analyzer runs chemistry for the ICU patients.
  const icu: PatientSpec[] = [
    { id: `icu-${run}.bed1`, scenario: 'sepsis', seed: run, onsetS: 60, courseS: 600 },
    { id: `icu-${run}.bed2`, scenario: 'respiratory', seed: run, onsetS: 30, courseS: 600 },
    { id: `icu-${run}.bed3`, scenario: 'stable', seed: run },
  ]
  const wardBed: PatientSpec = { id: `ward-${run}.bed1`, scenario: 'stable', seed: run }
  const ventilator = new OpcuaVentilator({ pkiDir: join(values.data, 'opcua-simulator'), patient: icu[1]!, host, timeScale })
  const serial = hasSocat()
  const ptys: PtyPair[] = []
  let gateway
  try {
    await ventilator.start()
    if (serial) for (const name of ['analyzer', 'oximeter']) {
      mkdirSync(join(values.data, 'serial', name), { recursive: true })
      ptys.push(await startPtyPair({ dir: join(values.data, 'serial', name) }))
    }
    gateway = await startGateway(parseGatewayConfig({
      gateway_id: GATEWAY_ID,
      data_dir: `${values.data}/edge`,
      mqtt: {
        host,
        port: await port(1883),
        require_credentials: true,
        credentials: [{ username: tablet.username, password_hash: hashPassword(tablet.password), device_ids: [`amb-${run}`, `amb-${run}.*`], patient_ids: [`amb-${run}.*`] }],
      },
      api: { host, port: await port(8081), token_sha256: createHash('sha256').update(apiToken).digest('hex') },
      core: { url: core.url, token },
      mllp: { host, port: await port(2575) },
      serial: serial ? [
        { device_id: `lab-${run}-analyzer`, path: ptys[0]!.b, protocol: 'astm' },
        { device_id: `ward-${run}-oximeter`, path: ptys[1]!.b, protocol: 'oximeter-ascii', patient_id: wardBed.id },
      ] : [],
      // The simulated ventilator offers None only: configured explicitly (the gateway warns at start).
      opcua: [{ device_id: `icu-${run}-ventilator`, endpoint_url: ventilator.endpointUrl, security_mode: 'None', patient_id: icu[1]!.id, sampling_interval_ms: 1000, nodes: ventilator.nodes() }],
      // Silence a monitor or the analyzer (stop its simulator) and the ICU board shows a technical
      // alarm within 5 s: periods just above how often the demo's devices send.
      supervision: DEMO_SUPERVISION,
      log_level: logLevel,
    }))
  } catch (err) {
    await ventilator.stop().catch(() => {})
    for (const p of ptys) await p.stop()
    await core.close()
    throw err
  }
  const patients = demoPatients(`amb-${run}`, patientCount, run)
  const accounts = await seedDemoPeople(core, { ED: patients.map((p) => p.id), ICU: icu.map((p) => p.id), Therapy: [wardBed.id] })
  // The ICU stays again with their beds (a later update of the same encounters), then the boards
  // learn where everyone is: the hospital system's events went straight to ClickHouse.
  const bedsAt = Date.now() + 1
  await new EmrStore(core.clickhouse).store(icu.map((p, i) => ({
    type: 'encounter' as const, encounter_id: `demo-${p.id}`, patient_id: p.id, kind: 'icu_stay' as const, site: DEMO_SITE, ward: 'ICU', bed: `bed ${i + 1}`,
    start_time: bedsAt, end_time: null, updated_time: bedsAt,
  })), 'neva-demo')
  core.live.load(await new BoardStore(core.clickhouse).places())
  say(`Neva demo (run ${run}) — ${seconds ? `${seconds} s` : 'Ctrl-C to stop'}`)
  say(`  core           ${core.url}   (ClickHouse ${core.clickhouse.kind}: ${core.clickhouse.location})`)
  say(`  gateway        ${gateway.apiUrl}/status   ${gateway.apiUrl}/metrics`)
  say(`                 curl -H 'authorization: Bearer ${apiToken}' ${gateway.apiUrl}/patients`)
  say(`  MQTT broker    mqtt://${host}:${gateway.mqttPort}   (neva/v1/devices/{device}/vitals, /ecg, /alarms, neva/v1/ambulances/{unit}/transport; login ${tablet.username} only)`)
  say(`  HL7 / MLLP     ${host}:${gateway.mllpPort}   (ICU monitors)`)
  say(`  OPC UA         ${ventilator.endpointUrl}   (ventilator on ${icu[1]!.id})`)
  if (serial) say(`  serial         ${ptys[0]!.b} (lab analyzer, ASTM)   ${ptys[1]!.b} (ward oximeter)`)
  else say('  serial         left out: socat is not installed (apt-get install socat)')
  say(`  boards         ${core.url}/boards/ed   ${core.url}/boards/icu   ${core.url}/boards/triage`)
  say(`  log in         ${core.url}/login   (patient data is for the nurse or physician of its ward)`)
  for (const a of accounts) say(`    ${a.id.padEnd(10)} ${a.password}   ${a.roles.padEnd(9)} ${a.sees}`)
  for (const p of [...patients, ...icu, wardBed]) say(`  patient        ${core.url}/v1/patients/${p.id}/latest   (${p.scenario})`)

  const stop = new AbortController()
  const ambulance = runAmbulance({
    brokerUrl: `mqtt://${host}:${gateway.mqttPort}`,
    ambulanceId: `amb-${run}`,
    ...tablet,
    patients,
    timeScale,
    ecg: true,
    // Arrives before the demo ends, so the ED board shows the ETA counting down, then the arrival.
    transport: { destinationSite: DEMO_SITE, driveMs: seconds ? Math.max(5_000, seconds * 600) : 15 * 60_000, everyTicks: 5 },
    signal: stop.signal,
  })
  const monitors = new Hl7Monitor({ host, port: gateway.mllpPort!, monitorId: `icu-${run}-monitor`, ward: 'ICU', beds: icu.map((patient, i) => ({
    bed: String(i + 1), patient,
    // Bed 1 has a noradrenaline infusion: its pump's ORU^R42 appear beside the bed's orders.
    ...(i === 0 ? { pump: { drug: 'Noradrenaline', concentration: 0.08, rate: 4.5, volumeToBeInfused: 50 } } : {}),
  })), timeScale, intervalMs: DEMO_MONITOR_INTERVAL_MS })
  await monitors.start()
  const analyzer = serial ? new AstmAnalyzer({ path: ptys[0]!.a, patients: icu, intervalMs: DEMO_ANALYZER_INTERVAL_MS, timeScale, seed: run, name: `lab-${run}` }) : undefined
  const oximeter = serial ? new SimulatedOximeter({ path: ptys[1]!.a, format: 'ascii', patient: wardBed, timeScale }) : undefined
  await analyzer?.start()
  await oximeter?.start()
  const progress = setInterval(() => {
    const levels = gateway.triage.snapshot().map((p) => `${p.patient_id.replace(`-${run}`, '')} ${p.level.toUpperCase()} (NEWS2 ${p.news2.score})`).join(' · ')
    say(`  … outbox ${gateway.outbox.stats().depth} waiting · ${levels}`)
  }, 5000)
  const timer = seconds ? setTimeout(() => stop.abort(), seconds * 1000) : undefined
  const why = await Promise.race([untilInterrupted(stop.signal), ambulance.then(() => 'ambulance stopped')])
  stop.abort()
  clearTimeout(timer)
  clearInterval(progress)

  let report
  const devices: Record<string, number> = {}
  try {
    report = await ambulance
    say(`  stopping (${why}); draining the outbox…`)
    // Each device finishes what it sent before the gateway drains: an unacknowledged message
    // is resent, never counted as lost.
    await monitors.stop(5000)
    const oxi = await oximeter?.stop()
    await analyzer?.stop()
    devices.hl7_messages_acked = monitors.stats().acked
    devices.hl7_alarms_raised = monitors.stats().alarmsRaised
    devices.hl7_alarms_ended = monitors.stats().alarmsEnded
    devices.astm_messages_acked = analyzer?.stats().acked ?? 0
    devices.oximeter_lines_written = oxi?.messages ?? 0
    devices.opcua_updates = ventilator.stats().updates
    await gateway.drain(30_000)
  } finally {
    await gateway.stop()
    // After the gateway: its OPC UA client would otherwise see the server go and reconnect.
    await ventilator.stop()
    for (const p of ptys) await p.stop()
  }
  const ids = patients.map((p) => p.id)
  let stored: number
  const triage = { green: 0, yellow: 0, red: 0 }
  const stored_by_source: Record<string, number> = {}
  try {
    stored = await core.store.count('observations', 'gateway_id = {g:String} AND has({ids:Array(String)}, patient_id)', { g: GATEWAY_ID, ids })
    const rs = await core.clickhouse.client.query({
      query: 'SELECT level, count() AS n FROM triage_results WHERE has({ids:Array(String)}, patient_id) GROUP BY level',
      query_params: { ids },
      format: 'JSONEachRow',
    })
    for (const row of await rs.json<{ level: keyof typeof triage; n: string }>()) triage[row.level] = Number(row.n)
    const bySource = await core.clickhouse.client.query({
      query: 'SELECT source, count() AS n FROM observations WHERE gateway_id = {g:String} GROUP BY source',
      query_params: { g: GATEWAY_ID },
      format: 'JSONEachRow',
    })
    for (const row of await bySource.json<{ source: string; n: string }>()) stored_by_source[row.source] = Number(row.n)
    stored_by_source.lab_results = await core.store.count('lab_results', 'gateway_id = {g:String}', { g: GATEWAY_ID })
    stored_by_source.ecg_rows = await core.store.count('waveforms', 'gateway_id = {g:String}', { g: GATEWAY_ID })
    stored_by_source.alarm_updates = await core.store.count('alarms', 'gateway_id = {g:String}', { g: GATEWAY_ID })
    stored_by_source.alarms_active = (await new AlarmStore(core.clickhouse).active()).length
    // From the ledger: the transports table keeps only each patient's latest state once merged.
    await core.store.settled()
    const ledger = await core.clickhouse.client.query({ query: 'SELECT sum(transports) AS n FROM ingest_batches FINAL WHERE gateway_id = {g:String}', query_params: { g: GATEWAY_ID }, format: 'JSONEachRow' })
    stored_by_source.transports = Number((await ledger.json<{ n: string }>())[0]?.n ?? 0)
  } finally {
    await core.close()
  }
  const finals = gateway.triage.snapshot()
  say('')
  say(`  readings published (acknowledged by the gateway)  ${report.published}`)
  say(`  readings stored in ClickHouse                      ${stored}${stored === report.published ? '  ✓' : '  ✗ MISMATCH'}`)
  say(`  ECG chunks acknowledged (12 leads each)            ${report.ecgChunks}  → ${stored_by_source.ecg_rows ?? 0} waveform rows${stored_by_source.ecg_rows === report.ecgChunks * 12 ? '  ✓' : '  ✗ MISMATCH'}`)
  say(`  ICU monitors (HL7): messages acknowledged          ${devices.hl7_messages_acked}  → ${stored_by_source.hl7v2 ?? 0} readings stored`)
  say(`  ICU monitors (HL7): alarms raised · ended          ${devices.hl7_alarms_raised} · ${devices.hl7_alarms_ended}  → ${stored_by_source.alarm_updates ?? 0} alarm updates stored, ${stored_by_source.alarms_active ?? 0} still active`)
  say(`  ambulance transports acknowledged                 ${report.transports}  → ${stored_by_source.transports ?? 0} stored${stored_by_source.transports === report.transports ? '  ✓' : '  ✗ MISMATCH'}`)
  say(`  ventilator (OPC UA): values written                ${devices.opcua_updates}  → ${stored_by_source.opcua ?? 0} changes stored`)
  if (serial) {
    say(`  ward oximeter (serial): lines written              ${devices.oximeter_lines_written}  → ${stored_by_source.serial ?? 0} readings stored`)
    say(`  lab analyzer (ASTM): messages acknowledged         ${devices.astm_messages_acked}  → ${stored_by_source.lab_results ?? 0} lab results stored`)
  }
  say(`  triage results stored                              ${triage.green} green · ${triage.yellow} yellow · ${triage.red} red`)
  for (const p of report.patients) {
    const f = finals.find((x) => x.patient_id === p.id)
    say(`    ${p.id.padEnd(16)} ${p.scenario.padEnd(12)} NEWS2 ${String(f?.news2.score ?? '-').padStart(2)}${f?.news2.partial ? ' (partial)' : ''}  → ${(f?.level ?? '-').padEnd(6)}  ground truth ${p.acuity}`)
  }
  say(`  query it:  ./bin/neva sql "SELECT name, count(), round(avg(value), 1) FROM observations WHERE patient_id LIKE 'amb-${run}.%' GROUP BY name"`)
  const ok = stored === report.published && stored_by_source.ecg_rows === report.ecgChunks * 12 && stored_by_source.transports === report.transports
  if (values.json) process.stdout.write(`${JSON.stringify({ published: report.published, stored, ecg_chunks: report.ecgChunks, transports: report.transports, triage, devices, stored_by_source })}\n`)
  return ok ? 0 : 1
}
