// The fault-injection harness: devices (MQTT QoS 1 clients, HL7 monitors over MLLP) stream
// through a real gateway and core while the gateway is killed with SIGKILL, the uplink is cut, the
// core is stopped and killed and restarted, the gateway's disk fills up and its clock jumps an
// hour; at the end every acknowledged reading is looked for in ClickHouse.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse } from '@neva/analytics'
import { Hl7Monitor, seededRandom, type PatientSpec } from '@neva/simulators'
import { gatewayClock } from './clock.js'
import { mountSmallDisk } from './disk.js'
import { startDevices } from './devices.js'
import { freePort, startNeva, stop, type Managed } from './processes.js'
import { startUplinkProxy } from './proxy.js'
import { diskMbFor, OUTAGE_END, OUTAGE_START } from './schedule.js'

export interface FaultsOptions {
  seconds: number
  kills: number
  outageS: number
  coreRestarts: number
  /** Of the core restarts, how many are SIGKILLs (the others SIGTERM). */
  coreKills: number
  /** Seconds the gateway's disk stays full (0: no disk fault). */
  diskFullS: number
  /** The gateway's clock jumps this many hours ahead mid-run (0: no jump). */
  clockJumpH: number
  /** ICU beds on HL7 monitors over MLLP. */
  beds: number
  devices: number
  /** Messages per second per device (four readings each). */
  rateHz: number
  seed: string
  dir?: string
  /** Keep the data directory (logs, outbox, ClickHouse) even when the run passed. */
  keep?: boolean
  log: (line: string) => void
}

export interface FaultsReport {
  acked: number
  stored: number
  duplicates: number
  lost: number
  kills: number
  outage_s: number
  core_restarts: number
  unacknowledged: number
  hl7: { acked: number; stored: number; duplicates: number; lost: number; ae: number }
  /** What devices saw while the disk was full: MQTT connections closed, HL7 AE answers. */
  disk_full: { mode: 'tmpfs' | 'skipped'; note: string; mqtt_closes: number; hl7_ae: number; logged: string | null }
  clock_jump: string
  /** Where the logs and data are; removed at the end of a run that passed, unless `keep`. */
  dir: string
  kept: boolean
}

const GATEWAY = 'faults-gw'
const TOKEN = 'faults-token'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Fault times in the middle of the run, in order, at least `gap` apart. */
function schedule(random: () => number, n: number, start: number, end: number, gap: number): number[] {
  const slot = (end - start) / Math.max(n, 1)
  return Array.from({ length: n }, (_, i) => start + i * slot + random() * Math.max(0, slot - gap))
}

export async function runFaults(o: FaultsOptions): Promise<FaultsReport> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'neva-faults-'))
  const random = seededRandom(o.seed)
  const mqttPort = await freePort()
  let corePort = 0
  const mllpPort = await freePort()
  const proxy = await startUplinkProxy(() => corePort)
  const disk = o.diskFullS > 0 ? mountSmallDisk(dir, diskMbFor(o)) : { skipped: 'not asked for' }
  const clock = o.clockJumpH > 0 ? gatewayClock(dir) : { skipped: 'not asked for' }
  const edgeData = 'path' in disk ? join(disk.path, 'edge') : join(dir, 'edge')
  let report: FaultsReport | undefined
  try {
    report = await faultsRun(o, { dir, random, mqttPort, mllpPort, proxy, disk, clock, edgeData, setCorePort: (p) => { corePort = p } })
    return report
  } finally {
    await proxy.close()
    if ('unmount' in disk) disk.unmount()
    // A run that passed leaves nothing behind; a failed one (or a throw) keeps its logs to look at.
    const passed = report !== undefined && report.lost === 0 && report.duplicates === 0 && report.hl7.lost === 0 && report.hl7.duplicates === 0
    if (report) report.kept = !passed || o.keep === true
    if (passed && !o.keep && o.dir === undefined) rmSync(dir, { recursive: true, force: true })
  }
}

interface Setup {
  dir: string
  random: () => number
  mqttPort: number
  mllpPort: number
  proxy: Awaited<ReturnType<typeof startUplinkProxy>>
  disk: ReturnType<typeof mountSmallDisk>
  clock: ReturnType<typeof gatewayClock>
  edgeData: string
  setCorePort(port: number): void
}

async function faultsRun(o: FaultsOptions, { dir, random, mqttPort, mllpPort, proxy, disk, clock, edgeData, setCorePort }: Setup): Promise<FaultsReport> {

  const startCoreProcess = async (): Promise<Managed> => {
    const m = await startNeva(['core', '--port', '0', '--data', join(dir, 'core')], { NEVA_GATEWAY_TOKENS: `${GATEWAY}=${TOKEN}`, NEVA_LOG_LEVEL: 'warn', CLICKHOUSE_URL: '' }, join(dir, 'core.log'), /listening on http:\/\/127\.0\.0\.1:(\d+)/, 120_000)
    setCorePort(Number(m.ready[1]))
    return m
  }
  const edgeConfig = join(dir, 'edge.json')
  writeFileSync(edgeConfig, JSON.stringify({
    gateway_id: GATEWAY,
    data_dir: edgeData,
    mqtt: { port: mqttPort },
    mllp: { host: '127.0.0.1', port: mllpPort },
    api: { port: 0 },
    core: { url: proxy.url, token: TOKEN, linger_ms: 20, backoff_base_ms: 100, backoff_max_ms: 1000, timeout_ms: 5000 },
    log_level: 'warn',
  }))
  let apiUrl = ''
  const startEdgeProcess = async (): Promise<Managed> => {
    const m = await startNeva(['edge', '--config', edgeConfig], 'env' in clock ? clock.env : {}, join(dir, 'edge.log'), /API on (http:\/\/127\.0\.0\.1:\d+)/, 120_000)
    apiUrl = m.ready[1]!
    return m
  }

  let core = await startCoreProcess()
  let edge = await startEdgeProcess()
  o.log(`faults: core behind the uplink proxy ${proxy.url}, gateway MQTT :${mqttPort} MLLP :${mllpPort}, data on ${'path' in disk ? `a ${diskMbFor(o)} MB tmpfs` : 'the ordinary disk'}; logs in ${dir}`)
  if ('skipped' in disk && o.diskFullS > 0) o.log(`faults: disk fill skipped: ${disk.skipped}`)
  if ('skipped' in clock && o.clockJumpH > 0) o.log(`faults: clock jump skipped: ${clock.skipped}`)
  const fleet = await startDevices(`mqtt://127.0.0.1:${mqttPort}`, o.devices, o.rateHz)
  const beds: PatientSpec[] = Array.from({ length: o.beds }, (_, i) => ({ id: `faults.icu${i + 1}`, scenario: 'stable', seed: o.seed }))
  // Alarm limits off: each message is one report, counted by its time. Quick to resend after a kill.
  const monitors = new Hl7Monitor({ host: '127.0.0.1', port: mllpPort, monitorId: 'faults-icu', ward: 'ICU', beds: beds.map((patient, i) => ({ bed: String(i + 1), patient })),
    alarmLimits: [], intervalMs: 500, ackTimeoutMs: 3000, reconnectMaxMs: 1000, maxErrorResends: 1_000_000, maxQueue: 100_000 })
  if (o.beds > 0) await monitors.start()
  const diskFull = { mode: ('path' in disk ? 'tmpfs' : 'skipped') as 'tmpfs' | 'skipped', note: 'skipped' in disk ? disk.skipped : '', mqtt_closes: 0, hl7_ae: 0, logged: null as string | null }
  let clockJump = 'skipped' in clock ? `skipped: ${clock.skipped}` : 'none'

  const t0 = Date.now()
  const ms = o.seconds * 1000
  type Fault = { at: number; run: () => Promise<void> }
  const faults: Fault[] = [
    ...schedule(random, o.kills, 0.1 * ms, 0.75 * ms, 1500).map((at, i): Fault => ({
      at,
      run: async () => {
        o.log(`faults: +${((Date.now() - t0) / 1000).toFixed(1)}s SIGKILL the gateway (${i + 1}/${o.kills})`)
        await stop(edge.child, 'SIGKILL')
        await sleep(200 + random() * 800)
        edge = await startEdgeProcess()
      },
    })),
    ...schedule(random, o.coreRestarts, 0.2 * ms, 0.7 * ms, 1500).map((at, i): Fault => ({
      at,
      run: async () => {
        // The first ones killed, the others stopped as an operator would (SIGTERM).
        const signal = i < o.coreKills ? 'SIGKILL' : 'SIGTERM'
        o.log(`faults: +${((Date.now() - t0) / 1000).toFixed(1)}s ${signal} the core, then restart it (${i + 1}/${o.coreRestarts})`)
        await stop(core.child, signal)
        await sleep(300)
        core = await startCoreProcess()
      },
    })),
  ]
  if (o.outageS > 0) {
    const at = OUTAGE_START * ms + random() * Math.max(0, (OUTAGE_END - OUTAGE_START) * ms - o.outageS * 1000)
    faults.push({
      at,
      run: async () => {
        o.log(`faults: +${((Date.now() - t0) / 1000).toFixed(1)}s cut the uplink for ${o.outageS} s`)
        proxy.setCut(true)
        setTimeout(() => {
          proxy.setCut(false)
          o.log(`faults: +${((Date.now() - t0) / 1000).toFixed(1)}s uplink restored`)
        }, o.outageS * 1000)
      },
    })
  }
  if ('set' in clock) {
    // Mid-run, between kills: the restarted gateways keep the jumped clock (the file is read again).
    faults.push({
      at: 0.45 * ms,
      run: async () => {
        clock.set(`+${o.clockJumpH}h`)
        clockJump = `+${o.clockJumpH} h (libfaketime) at +${((Date.now() - t0) / 1000).toFixed(1)}s`
        o.log(`faults: +${((Date.now() - t0) / 1000).toFixed(1)}s the gateway's clock jumps ${o.clockJumpH} h ahead`)
      },
    })
  }
  if ('fill' in disk) {
    // After the kills and the outage (0.1–0.75 of the run), so that no gateway starts on a full disk.
    faults.push({
      at: 0.78 * ms,
      run: async () => {
        const closes = fleet.closes
        const ae = monitors.stats().errors
        // The uplink is down too, so that the outbox must grow: SQLite first reuses the pages
        // the uplink freed, and a full disk bites only once those are gone.
        proxy.setCut(true)
        const bytes = disk.fill()
        o.log(`faults: +${((Date.now() - t0) / 1000).toFixed(1)}s the gateway's disk is full (${(bytes / 2 ** 20).toFixed(1)} MB of ballast) and the uplink down, until devices are refused, then ${o.diskFullS} s more`)
        const refused = () => fleet.closes > closes || monitors.stats().errors > ae
        const giveUp = Date.now() + 120_000
        while (!refused() && Date.now() < giveUp) await sleep(100)
        await sleep(o.diskFullS * 1000)
        disk.release()
        proxy.setCut(false)
        diskFull.mqtt_closes = fleet.closes - closes
        diskFull.hl7_ae = monitors.stats().errors - ae
        o.log(`faults: +${((Date.now() - t0) / 1000).toFixed(1)}s disk space back, uplink up; devices saw ${diskFull.mqtt_closes} MQTT connections closed and ${diskFull.hl7_ae} HL7 AE`)
      },
    })
  }
  faults.sort((a, b) => a.at - b.at)
  for (const f of faults) {
    await sleep(Math.max(0, t0 + f.at - Date.now()))
    await f.run()
  }
  await sleep(Math.max(0, t0 + ms - Date.now()))
  proxy.setCut(false)

  o.log(`faults: stopping the devices (${fleet.published} readings published)`)
  const { unacknowledged } = await fleet.stop()
  await monitors.stop(60_000)
  o.log('faults: waiting for the gateway to drain its outbox')
  const deadline = Date.now() + 120_000
  for (;;) {
    const status = await fetch(`${apiUrl}/status`).then((r) => r.json() as Promise<{ outbox: { depth: number } }>).catch(() => null)
    if (status?.outbox.depth === 0) break
    if (Date.now() > deadline) throw new Error(`the gateway did not drain within 120 s (logs in ${dir})`)
    await sleep(200)
  }
  await stop(edge.child, 'SIGTERM')
  await stop(core.child, 'SIGTERM')
  // What the gateway said when its disk filled.
  diskFull.logged = /"msg":"([^"]*durable[^"]*)"[^\n]*?"err":"([^"]*full[^"]*)"/.exec(readFileSync(join(dir, 'edge.log'), 'utf8'))?.slice(1).join(': ') ?? null

  // Count in ClickHouse itself, with the core stopped so that this process may open its data.
  const ch = await connectClickHouse({ path: join(dir, 'core', 'clickhouse') })
  let rows: Array<{ k: string; c: string | number }>
  let hl7Rows: Array<{ stored: string; dup: string }>
  try {
    const hl7 = await ch.client.query({
      query: `SELECT uniqExact(device_id, device_time) AS stored, count() - uniqExact(device_id, device_time, name) AS dup
              FROM observations WHERE gateway_id = {g:String} AND source = 'hl7v2'`,
      query_params: { g: GATEWAY },
      format: 'JSONEachRow',
    })
    hl7Rows = await hl7.json()
    const rs = await ch.client.query({
      query: `SELECT concat(device_id, '|', toString(toUnixTimestamp64Milli(device_time)), '|', name) AS k, count() AS c
              FROM observations WHERE gateway_id = {g:String} GROUP BY k`,
      query_params: { g: GATEWAY },
      format: 'JSONEachRow',
    })
    rows = await rs.json()
  } finally {
    await ch.close()
  }
  const stored = new Map(rows.map((r) => [r.k, Number(r.c)]))
  let duplicates = 0
  let total = 0
  for (const c of stored.values()) {
    total += c
    duplicates += c - 1
  }
  let lost = 0
  for (const key of fleet.acked) if (!stored.has(key)) lost++
  const hl7Acked = monitors.stats().acked
  const hl7Stored = Number(hl7Rows[0]?.stored ?? 0)
  const hl7 = { acked: hl7Acked, stored: hl7Stored, duplicates: Number(hl7Rows[0]?.dup ?? 0), lost: Math.max(0, hl7Acked - hl7Stored), ae: monitors.stats().errors }
  return { acked: fleet.acked.size, stored: total, duplicates, lost, kills: o.kills, outage_s: o.outageS, core_restarts: o.coreRestarts, unacknowledged, hl7, disk_full: diskFull, clock_jump: clockJump, dir, kept: true }
}
