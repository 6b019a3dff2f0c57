// The fault-injection harness: devices stream QoS 1 readings through a real gateway and core
// while the gateway is killed with SIGKILL, the uplink is cut and the core is killed and
// restarted; at the end every acknowledged reading is looked for in ClickHouse.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse } from '@neva/analytics'
import { seededRandom } from '@neva/simulators'
import { startDevices } from './devices.js'
import { freePort, startNeva, stop, type Managed } from './processes.js'
import { startUplinkProxy } from './proxy.js'

export interface FaultsOptions {
  seconds: number
  kills: number
  outageS: number
  coreRestarts: number
  devices: number
  /** Messages per second per device (four readings each). */
  rateHz: number
  seed: string
  dir?: string
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
  dir: string
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
  const proxy = await startUplinkProxy(() => corePort)

  const startCoreProcess = async (): Promise<Managed> => {
    const m = await startNeva(['core', '--port', '0', '--data', join(dir, 'core')], { NEVA_GATEWAY_TOKENS: `${GATEWAY}=${TOKEN}`, NEVA_LOG_LEVEL: 'warn', CLICKHOUSE_URL: '' }, join(dir, 'core.log'), /listening on http:\/\/127\.0\.0\.1:(\d+)/)
    corePort = Number(m.ready[1])
    return m
  }
  const edgeConfig = join(dir, 'edge.json')
  writeFileSync(edgeConfig, JSON.stringify({
    gateway_id: GATEWAY,
    data_dir: join(dir, 'edge'),
    mqtt: { port: mqttPort },
    api: { port: 0 },
    core: { url: proxy.url, token: TOKEN, linger_ms: 20, backoff_base_ms: 100, backoff_max_ms: 1000, timeout_ms: 5000 },
    log_level: 'warn',
  }))
  let apiUrl = ''
  const startEdgeProcess = async (): Promise<Managed> => {
    const m = await startNeva(['edge', '--config', edgeConfig], {}, join(dir, 'edge.log'), /API on (http:\/\/127\.0\.0\.1:\d+)/)
    apiUrl = m.ready[1]!
    return m
  }

  let core = await startCoreProcess()
  let edge = await startEdgeProcess()
  o.log(`faults: core on :${corePort} behind the uplink proxy ${proxy.url}, gateway MQTT :${mqttPort}; logs in ${dir}`)
  const fleet = await startDevices(`mqtt://127.0.0.1:${mqttPort}`, o.devices, o.rateHz)

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
    ...schedule(random, o.coreRestarts, 0.2 * ms, 0.7 * ms, 1500).map((at): Fault => ({
      at,
      run: async () => {
        o.log(`faults: +${((Date.now() - t0) / 1000).toFixed(1)}s SIGKILL the core, then restart it`)
        await stop(core.child, 'SIGKILL')
        await sleep(300)
        core = await startCoreProcess()
      },
    })),
  ]
  if (o.outageS > 0) {
    const at = 0.3 * ms + random() * Math.max(0, 0.4 * ms - o.outageS * 1000)
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
  faults.sort((a, b) => a.at - b.at)
  for (const f of faults) {
    await sleep(Math.max(0, t0 + f.at - Date.now()))
    await f.run()
  }
  await sleep(Math.max(0, t0 + ms - Date.now()))
  proxy.setCut(false)

  o.log(`faults: stopping the devices (${fleet.published} readings published)`)
  const { unacknowledged } = await fleet.stop()
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
  await proxy.close()

  // Count in ClickHouse itself, with the core stopped so that this process may open its data.
  const ch = await connectClickHouse({ path: join(dir, 'core', 'clickhouse') })
  let rows: Array<{ k: string; c: string | number }>
  try {
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
  return { acked: fleet.acked.size, stored: total, duplicates, lost, kills: o.kills, outage_s: o.outageS, core_restarts: o.coreRestarts, unacknowledged, dir }
}
