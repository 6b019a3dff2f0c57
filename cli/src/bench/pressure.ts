// neva bench pressure: one busy connection, many connections, and a backlog flushed while others
// stream live, against a gateway whose uplink is down (every reading stays in its outbox to count).
//
//   bare broker   a plain aedes broker on this machine, one connection offered 2× the paced rate
//                 with a window of 10,000 unacknowledged: what the connection itself can carry
//   paced         the gateway, one connection at the paced rate
//   overload      the gateway, one connection offered 2× the paced rate, window 10,000
//   many          the gateway, 100 connections sharing the paced rate
//   backlog       one device sends its backlog (window 10,000) while 20 devices stream live:
//                 how long the flush takes and the live devices' PUBACK p99 meanwhile
//   mllp          one HL7 connection sending without waiting for ACKs, against a bare MLLP sink,
//                 and a sender waiting for each ACK (bench/pressure-mllp.ts)
// Publishers run in a child process (mqtt.js); the gateway runs in this process and its RSS is
// sampled throughout. At the end, rows in each gateway's outbox are counted against readings
// acknowledged: every acknowledged reading stored exactly once.
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { Aedes } from 'aedes'
import { parseGatewayConfig, startGateway, type Gateway } from '@neva/edge'
import type { WindowJob, WindowResult } from './window-publisher.js'
import { bareMllpSink, mllpAgainstGateway, mllpFigures, type MllpFigures } from './pressure-mllp.js'

export interface PressureBenchOptions {
  /** The paced rate, readings/s on one connection; overload offers twice this. */
  rate: number
  seconds: number
  window: number
  connections: number
  /** Backlog: this many seconds of a device's data at `backlogRate` readings/s. */
  backlogS: number
  backlogRate: number
  liveDevices: number
  /** HL7 messages the no-wait MLLP sender sends (0: no MLLP phase); the waiting one sends a fifth. */
  mllpMessages?: number
  log: (line: string) => void
}

const GATEWAY = 'bench-pressure'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function publisher(job: WindowJob) {
  const child = fork(new URL('./window-publisher.ts', import.meta.url), ['child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const result = new Promise<WindowResult>((resolve, reject) => {
    child.on('message', (m: { ready?: boolean; result?: WindowResult; error?: string }) => {
      if (m.ready) child.send({ job })
      if (m.result) resolve(m.result)
      if (m.error) reject(new Error(`publisher: ${m.error}`))
    })
    child.once('exit', (code) => reject(new Error(`publisher exited with ${code}`)))
  })
  return { result, stop: () => child.connected && child.send({ stop: true }) }
}

async function bareBroker() {
  const broker = await Aedes.createBroker()
  const server = createServer((socket) => broker.handle(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Readings (kind observation) in a gateway's outbox, counted from its file once it is stopped. */
function storedReadings(dataDir: string): number {
  const db = new DatabaseSync(join(dataDir, 'outbox.db'), { readOnly: true })
  try {
    const row = db.prepare("SELECT coalesce(sum(n), 0) AS n FROM items WHERE kind = 'observation'").get() as { n: number }
    return Number(row.n)
  } finally {
    db.close()
  }
}

const perS = (r: WindowResult) => r.acknowledged / (r.elapsedMs / 1000)

/**
 * CPU time of this process (every thread: broker or gateway, its outbox writer and triage pool)
 * per acknowledged message since `since`. Unlike a rate it hardly moves with other work on the
 * machine, so before/after comparisons hold on a loaded machine.
 */
function cpuUsPer(since: NodeJS.CpuUsage, messages: number): number {
  const used = process.cpuUsage(since)
  return messages > 0 ? Math.round((used.user + used.system) / messages) : 0
}

export async function runPressureBench(o: PressureBenchOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'neva-bench-pressure-'))
  let rssMax = 0
  const sampler = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage().rss) }, 100)
  let round = 0
  const checks: string[] = []
  const withGateway = async <T>(name: string, run: (g: Gateway) => Promise<{ acknowledged: number; out: T }>): Promise<T> => {
    const dataDir = join(dir, `edge-${round++}`)
    const g = await startGateway(parseGatewayConfig({
      gateway_id: GATEWAY,
      data_dir: dataDir,
      // All the bench's connections come from loopback.
      mqtt: { port: 0, max_connections_per_address: 1000, max_pending_logins_per_address: 1000, max_pending_logins: 1000 },
      mllp: { port: 0 },
      api: { port: 0 },
      // Nothing listens there: readings stay in the outbox, to be counted.
      core: { url: 'http://127.0.0.1:9', token: 'bench', backoff_base_ms: 1000, backoff_max_ms: 5000 },
      log_level: 'error',
    }))
    let acknowledged = 0
    try {
      const r = await run(g)
      acknowledged = r.acknowledged
      return r.out
    } finally {
      await g.stop()
      const stored = storedReadings(dataDir)
      if (stored !== acknowledged) checks.push(`${name}: ${acknowledged} acknowledged, ${stored} stored`)
      o.log(`    ${name}: ${acknowledged.toLocaleString('en')} acknowledged, ${stored.toLocaleString('en')} stored`)
    }
  }
  const base = Date.now() - 24 * 3600_000
  const one = (url: string, rate: number, prefix: string): WindowJob => ({ brokerUrl: url, connections: 1, rate, window: o.window, seconds: o.seconds, prefix, firstTime: base })

  try {
    const bare = await bareBroker()
    let cpu = process.cpuUsage()
    const bareResult = await publisher(one(bare.url, o.rate * 2, 'bare')).result
    const bareCpu = cpuUsPer(cpu, bareResult.acknowledged)
    await bare.close()
    const barePerS = perS(bareResult)
    o.log(`  bare broker  ${Math.round(barePerS).toLocaleString('en')}/s acknowledged of ${(o.rate * 2).toLocaleString('en')}/s offered (PUBACK p99 ${bareResult.p99.toFixed(0)} ms)`)

    const paced = await withGateway('paced', async (g) => {
      const r = await publisher(one(`mqtt://127.0.0.1:${g.mqttPort}`, o.rate, 'paced')).result
      return { acknowledged: r.acknowledged, out: r }
    })
    o.log(`  paced        ${Math.round(perS(paced)).toLocaleString('en')}/s of ${o.rate.toLocaleString('en')}/s offered (PUBACK p99 ${paced.p99.toFixed(0)} ms)`)

    let overloadCpu = 0
    const overload = await withGateway('overload', async (g) => {
      cpu = process.cpuUsage()
      const r = await publisher(one(`mqtt://127.0.0.1:${g.mqttPort}`, o.rate * 2, 'over')).result
      overloadCpu = cpuUsPer(cpu, r.acknowledged)
      return { acknowledged: r.acknowledged, out: r }
    })
    o.log(`  overload     ${Math.round(perS(overload)).toLocaleString('en')}/s of ${(o.rate * 2).toLocaleString('en')}/s offered, window ${o.window} (PUBACK p99 ${overload.p99.toFixed(0)} ms)`)

    const many = await withGateway('many', async (g) => {
      const r = await publisher({ brokerUrl: `mqtt://127.0.0.1:${g.mqttPort}`, connections: o.connections, rate: o.rate, window: 100, seconds: o.seconds, prefix: 'many', firstTime: base }).result
      return { acknowledged: r.acknowledged, out: r }
    })
    o.log(`  ${o.connections} conns    ${Math.round(perS(many)).toLocaleString('en')}/s of ${o.rate.toLocaleString('en')}/s offered (PUBACK p99 ${many.p99.toFixed(0)} ms)`)

    const backlogMessages = Math.round(o.backlogS * o.backlogRate)
    const flush = await withGateway('backlog', async (g) => {
      const url = `mqtt://127.0.0.1:${g.mqttPort}`
      // Live devices at 1 reading/s each, for as long as the flush takes.
      const live = publisher({ brokerUrl: url, connections: o.liveDevices, rate: o.liveDevices, window: 10, prefix: 'live', firstTime: base })
      await sleep(1000)
      const backlog = await publisher({ brokerUrl: url, connections: 1, rate: 1e9, window: o.window, messages: backlogMessages, prefix: 'backlog', firstTime: base }).result
      live.stop()
      const liveResult = await live.result
      return { acknowledged: backlog.acknowledged + liveResult.acknowledged, out: { backlog, live: liveResult } }
    })
    o.log(`  backlog      ${backlogMessages.toLocaleString('en')} readings (${o.backlogS} s at ${o.backlogRate}/s) flushed in ${(flush.backlog.elapsedMs / 1000).toFixed(1)} s; ${o.liveDevices} live devices' PUBACK p99 ${flush.live.p99.toFixed(0)} ms meanwhile`)
    let mllp: MllpFigures | undefined
    if ((o.mllpMessages ?? 0) > 0) {
      const n = o.mllpMessages!
      const bareMllp = await bareMllpSink(n, base)
      const r = await withGateway('mllp', async (g) => {
        const out = await mllpAgainstGateway(g, n, base)
        return { acknowledged: out.pipelined.accepted + out.waiting.accepted, out }
      })
      mllp = mllpFigures(bareMllp, r)
      if (mllp.mllp_out_of_order > 0) checks.push(`mllp: ${mllp.mllp_out_of_order} ACKs out of order`)
      o.log(`  mllp         one connection, no waiting: ${mllp.mllp_one_conn_per_s.toLocaleString('en')}/s against a bare MLLP sink's ${mllp.mllp_bare_sink_per_s.toLocaleString('en')}/s (ratio ${mllp.mllp_ratio}); waiting for each ACK ${mllp.mllp_stop_and_wait_per_s.toLocaleString('en')}/s; at most ${mllp.mllp_pending_max} frames waiting, ${mllp.mllp_pauses} pauses; ACKs in order`)
    }
    for (const c of checks) o.log(`  NOT STORED ONCE: ${c}`)

    const ratio = perS(overload) / barePerS
    return {
      one_conn_per_s: Math.round(perS(overload)),
      bare_broker_per_s: Math.round(barePerS),
      ratio: Number(ratio.toFixed(3)),
      overload_per_s: Math.round(perS(overload)),
      overload_ratio: Number((perS(overload) / perS(paced)).toFixed(3)),
      backlog_flush_s: Number((flush.backlog.elapsedMs / 1000).toFixed(3)), // ms precision: a short run flushes in well under 0.1 s
      live_p99_ms_during_flush: Math.round(flush.live.p99),
      rss_mb_max: Math.round(rssMax / 1048576),
      paced_per_s: Math.round(perS(paced)),
      overload_ack_p99_ms: Math.round(overload.p99),
      many_per_s: Math.round(perS(many)),
      bare_broker_cpu_us_per_msg: bareCpu,
      overload_cpu_us_per_msg: overloadCpu,
      cpu_ratio: Number((bareCpu / overloadCpu).toFixed(3)),
      stored_once: checks.length === 0,
      ...mllp,
    }
  } finally {
    clearInterval(sampler)
    rmSync(dir, { recursive: true, force: true })
  }
}
