// neva sim soak: a city's mix at a steady rate through a real gateway and a real core (processes
// started through bin/neva, the core on embedded ClickHouse) — ambulances over MQTT (vitals, 12-lead
// ECG, transports), ICU monitors over HL7/MLLP, lab analyzers over serial (ASTM on socat
// pseudo-terminals), boards held open on the live stream and analysts querying — measured every
// interval, judged flat or not at the end, and every acknowledged reading looked for in ClickHouse.
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse, EmrStore, migrate, PeopleStore } from '@neva/analytics'
import { People, PEOPLE_DEFAULTS } from '@neva/core'
import { AstmAnalyzer, Hl7Monitor, runAmbulance, startPtyPair, type AmbulanceReport, type PatientSpec, type PtyPair } from '@neva/simulators'
import { demoPatients } from '../commands/sim.js'
import { freePort, startNeva, stop, type Managed } from '../faults/processes.js'
import { login, watchBoard, type BoardWatch } from './board-watch.js'
import { sampleProcess, type ProcessSample } from './probe.js'
import { soakVerdict, type SoakSample, type SoakVerdict } from './verdict.js'

export interface SoakOptions {
  seconds: number
  /** Seconds between two samples (60 for the per-minute report). */
  intervalS: number
  /** Ambulances of three patients each, streaming vitals at 1 Hz and a 12-lead ECG. */
  ambulances: number
  /** ICU beds on HL7 monitors, one report a second each. */
  beds: number
  /** Lab analyzers on serial lines, a panel for a few ICU patients every `labIntervalS`. */
  analyzers: number
  labIntervalS: number
  /** Board streams held open, half ICU, half ED. */
  boards: number
  /** Analysts each sending a query every `analystIntervalS`. */
  analysts: number
  analystIntervalS: number
  seed: string
  /** Seconds at the start whose samples are warm-up, not judged (cli/src/soak/verdict.ts). */
  warmupS?: number
  /** Keep the data directory (logs, ClickHouse) even when the run passed. */
  keep?: boolean
  log: (line: string) => void
}

export interface SoakCounts {
  ambulance_readings: number
  hl7_messages: number
  astm_specimens: number
}

export interface SoakReport {
  seconds: number
  interval_s: number
  mix: Omit<SoakOptions, 'log' | 'seconds' | 'intervalS' | 'seed' | 'warmupS' | 'keep'>
  series: SoakSample[]
  verdict: SoakVerdict
  acknowledged: SoakCounts
  stored: SoakCounts
  duplicates: number
  lost: number
  stored_equals_acknowledged: boolean
  board_reconnects: number
  analyst_errors: number
  dir: string
}

const withHeap = (p: ProcessSample | null, heap: number | null): ProcessSample | null => (p && heap !== null ? { ...p, heap_mb: heap } : p)

const GATEWAY = 'soak-gw'
const SITE = 'Soak Hospital'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const quantile = (xs: number[], q: number): number | null => {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

/** Bytes as MB, one decimal. */
const mb = (bytes: number) => Math.round(bytes / 104_857.6) / 10

/** V8's heap in use or committed (total), MB, from a process's prom-client default metrics (null: not there). */
function heapMb(metrics: string, prefix: string, of: 'used' | 'total'): number | null {
  const m = new RegExp(`^${prefix}nodejs_heap_size_${of}_bytes\\s+(\\S+)`, 'm').exec(metrics)
  return m ? mb(Number(m[1])) : null
}

/** Memory of JS objects held outside V8's heaps (Buffers, ArrayBuffers), MB (null: not there). */
function externalMb(metrics: string, prefix: string): number | null {
  const m = new RegExp(`^${prefix}nodejs_external_memory_bytes\\s+(\\S+)`, 'm').exec(metrics)
  return m ? mb(Number(m[1])) : null
}

/** Committed heaps of the gateway's worker threads, MB by worker name (threads of one name summed). */
function workerHeapsMb(metrics: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of metrics.matchAll(/^neva_edge_worker_heap_bytes\{worker="([\w-]+)",thread="\d+",of="total"\}\s+(\S+)/gm)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2])
  for (const k of Object.keys(out)) out[k] = mb(out[k]!)
  return out
}

/** The core's neva_core_clickhouse_memory_bytes by metric, MB. */
function clickhouseMb(metrics: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of metrics.matchAll(/^neva_core_clickhouse_memory_bytes\{metric="(\w+)"\}\s+(\S+)/gm)) out[m[1]!] = mb(Number(m[2]))
  return out
}

async function gatewayFigures(apiUrl: string): Promise<{ rows: number | null; depth: number | null; heapMb: number | null; heapTotalMb: number | null; externalMb: number | null; workersMb: Record<string, number> }> {
  const metrics = await fetch(`${apiUrl}/metrics`).then((r) => r.text()).catch(() => '')
  const rows = /^neva_edge_uplink_rows_total(?:\{[^}]*\})?\s+(\d+(?:\.\d+)?)/m.exec(metrics)
  const status = await fetch(`${apiUrl}/status`).then((r) => r.json() as Promise<{ outbox: { depth: number } }>).catch(() => null)
  return { rows: rows ? Number(rows[1]) : null, depth: status?.outbox.depth ?? null, heapMb: heapMb(metrics, 'neva_edge_', 'used'), heapTotalMb: heapMb(metrics, 'neva_edge_', 'total'), externalMb: externalMb(metrics, 'neva_edge_'), workersMb: workerHeapsMb(metrics) }
}

/** The core's ingest time so far: seconds summed over the batches it stored, and their count. */
async function coreIngest(coreUrl: string, token: string): Promise<{ sum: number; count: number; heapMb: number | null; heapTotalMb: number | null; clickhouseMb: Record<string, number> } | null> {
  const metrics = await fetch(`${coreUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then((r) => (r.ok ? r.text() : '')).catch(() => '')
  const sum = /^neva_core_ingest_duration_seconds_sum(?:\{[^}]*\})?\s+(\S+)/m.exec(metrics)
  const count = /^neva_core_ingest_duration_seconds_count(?:\{[^}]*\})?\s+(\S+)/m.exec(metrics)
  return sum && count ? { sum: Number(sum[1]), count: Number(count[1]), heapMb: heapMb(metrics, 'neva_core_', 'used'), heapTotalMb: heapMb(metrics, 'neva_core_', 'total'), clickhouseMb: clickhouseMb(metrics) } : null
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const dir = mkdtempSync(join(tmpdir(), 'neva-soak-'))
  const token = randomBytes(18).toString('base64url')
  const analystToken = randomBytes(18).toString('base64url')
  const metricsToken = randomBytes(18).toString('base64url')
  const [mqttPort, mllpPort] = [await freePort(), await freePort()]
  const icu: PatientSpec[] = Array.from({ length: o.beds }, (_, i) => ({
    id: `soak.icu${i + 1}`, scenario: (['stable', 'sepsis', 'respiratory', 'haemorrhage'] as const)[i % 4]!, seed: o.seed, onsetS: 120 + 60 * i, courseS: 3600,
  }))
  const crews = Array.from({ length: o.ambulances }, (_, i) => `soak-amb${i + 1}`)

  // People and places before the core starts: the embedded data belongs to one process at a time.
  const passwords = new Map<string, string>()
  {
    const ch = await connectClickHouse({ path: join(dir, 'core', 'clickhouse') })
    try {
      await migrate(ch)
      const people = new People(new PeopleStore(ch), PEOPLE_DEFAULTS)
      for (let i = 0; i < o.boards; i++) {
        const ward = i % 2 === 0 ? 'ICU' : 'ED'
        const id = `soak-${ward.toLowerCase()}-${i + 1}`
        const password = randomBytes(12).toString('base64url')
        await people.add({ id, name: `Soak ${ward} ${i + 1}`, password, roles: [ward === 'ICU' ? 'nurse' : 'clinician'], wards: [`${SITE}/${ward}`] }, 'neva-soak')
        passwords.set(id, password)
      }
      const now = Date.now()
      await new EmrStore(ch).store(icu.map((p, i) => ({
        type: 'encounter' as const, encounter_id: `soak-${p.id}`, patient_id: p.id, kind: 'icu_stay' as const, site: SITE, ward: 'ICU', bed: `bed ${i + 1}`,
        start_time: now, end_time: null, updated_time: now,
      })), 'neva-soak')
    } finally {
      await ch.close()
    }
  }

  const core: Managed = await startNeva(['core', '--port', '0', '--data', join(dir, 'core')], {
    NEVA_GATEWAY_TOKENS: `${GATEWAY}=${token}`, NEVA_GATEWAY_SITES: `${GATEWAY}=${SITE}`, NEVA_ANALYST_TOKENS: `soak-analyst=${analystToken}`, NEVA_METRICS_TOKENS: `soak-metrics=${metricsToken}`,
    NEVA_LOG_LEVEL: 'warn', CLICKHOUSE_URL: '',
  }, join(dir, 'core.log'), /listening on (http:\/\/127\.0\.0\.1:\d+)/, 120_000)
  const coreUrl = core.ready[1]!
  const ptys: PtyPair[] = []
  for (let i = 0; i < o.analyzers; i++) {
    mkdirSync(join(dir, 'serial', `lab${i + 1}`), { recursive: true })
    ptys.push(await startPtyPair({ dir: join(dir, 'serial', `lab${i + 1}`) }))
  }
  const edgeConfig = join(dir, 'edge.json')
  writeFileSync(edgeConfig, JSON.stringify({
    gateway_id: GATEWAY,
    data_dir: join(dir, 'edge'),
    mqtt: { port: mqttPort },
    mllp: { host: '127.0.0.1', port: mllpPort },
    serial: ptys.map((p, i) => ({ device_id: `soak-lab${i + 1}`, path: p.b, protocol: 'astm' })),
    api: { port: 0 },
    core: { url: coreUrl, token },
    log_level: 'warn',
  }))
  const edge: Managed = await startNeva(['edge', '--config', edgeConfig], {}, join(dir, 'edge.log'), /API on (http:\/\/127\.0\.0\.1:\d+)/, 120_000)
  const apiUrl = edge.ready[1]!
  o.log(`soak: core ${coreUrl} (pid ${core.child.pid}), gateway MQTT :${mqttPort} MLLP :${mllpPort} API ${apiUrl} (pid ${edge.child.pid}); logs in ${dir}`)

  // The boards first, so that they see the ambulances set off.
  const latencies: number[] = []
  const watches: BoardWatch[] = []
  for (const [id, password] of passwords) {
    const cookie = await login(coreUrl, id, password)
    watches.push(watchBoard(coreUrl, cookie, id.startsWith('soak-icu') ? 'icu' : 'ed', { add: (ms) => latencies.push(ms) }))
  }

  const stopDevices = new AbortController()
  const ambulances: Array<Promise<AmbulanceReport>> = crews.map((crew) => runAmbulance({
    brokerUrl: `mqtt://127.0.0.1:${mqttPort}`, ambulanceId: crew, patients: demoPatients(crew, 3, o.seed), ecg: true,
    // Still driving when the soak ends: the ED board keeps them for the whole run.
    transport: { destinationSite: SITE, driveMs: o.seconds * 1000 + 600_000, everyTicks: 10 },
    signal: stopDevices.signal,
  }))
  // Alarm limits off: every message a monitor sends is then one report, counted by its time.
  const monitors = new Hl7Monitor({ host: '127.0.0.1', port: mllpPort, monitorId: 'soak-icu', ward: 'ICU', beds: icu.map((patient, i) => ({ bed: String(i + 1), patient })), alarmLimits: [] })
  await monitors.start()
  const specimens = new Set<string>()
  const analyzers = ptys.map((p, i) => new AstmAnalyzer({
    path: p.a, patients: icu.filter((_, k) => k % o.analyzers === i).slice(0, 4), intervalMs: o.labIntervalS * 1000, seed: `${o.seed}-${i}`,
    name: `soak-lab${i + 1}`, specimenPrefix: `S${i + 1}-`, onDelivered: (id) => specimens.add(id),
  }))
  for (const a of analyzers) await a.start()

  const analystTimes: number[] = []
  let analystErrors = 0
  const analystTimers = Array.from({ length: o.analysts }, (_, i) => setInterval(() => {
    const t = Date.now()
    const sql = i % 2 === 0
      ? 'SELECT name, count() AS n, avg(value) AS mean FROM observations GROUP BY name ORDER BY name'
      : 'SELECT toStartOfMinute(device_time) AS minute, count() AS n FROM observations GROUP BY minute ORDER BY minute DESC LIMIT 10'
    fetch(`${coreUrl}/v1/analytics/sql`, { method: 'POST', headers: { authorization: `Bearer ${analystToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql }) })
      .then(async (r) => {
        await r.arrayBuffer()
        if (r.ok) analystTimes.push(Date.now() - t)
        else analystErrors++
      })
      .catch(() => { analystErrors++ })
  }, o.analystIntervalS * 1000))

  const series: SoakSample[] = []
  const t0 = Date.now()
  let lastRows = (await gatewayFigures(apiUrl)).rows ?? 0
  let lastIngest = await coreIngest(coreUrl, metricsToken)
  let lastAt = t0
  for (let k = 1; k * o.intervalS * 1000 <= o.seconds * 1000 + 1; k++) {
    await sleep(Math.max(0, t0 + k * o.intervalS * 1000 - Date.now()))
    const now = Date.now()
    const figures = await gatewayFigures(apiUrl)
    const ingest = await coreIngest(coreUrl, metricsToken)
    const lat = latencies.splice(0)
    const queries = analystTimes.splice(0)
    const dt = (now - lastAt) / 1000
    const sample: SoakSample = {
      t_s: Math.round((now - t0) / 100) / 10,
      stored_per_s: figures.rows === null ? 0 : Math.round(((figures.rows - lastRows) / dt) * 10) / 10,
      board_readings_per_s: Math.round((lat.length / dt) * 10) / 10,
      p50_ms: quantile(lat, 0.5),
      p99_ms: quantile(lat, 0.99),
      analyst_queries: queries.length,
      analyst_p99_ms: quantile(queries, 0.99),
      outbox_depth: figures.depth,
      core_ingest_ms: ingest && lastIngest && ingest.count > lastIngest.count ? Math.round(((ingest.sum - lastIngest.sum) / (ingest.count - lastIngest.count)) * 10_000) / 10 : null,
      core: withHeap(sampleProcess(core.child.pid), ingest?.heapMb ?? null),
      gateway: withHeap(sampleProcess(edge.child.pid), figures.heapMb),
      soak: sampleProcess(process.pid),
      memory: { core_clickhouse_mb: ingest?.clickhouseMb ?? {}, core_heap_total_mb: ingest?.heapTotalMb ?? null, gateway_heap_total_mb: figures.heapTotalMb, gateway_worker_heaps_mb: figures.workersMb, gateway_external_mb: figures.externalMb },
    }
    if (figures.rows !== null) lastRows = figures.rows
    if (ingest) lastIngest = ingest
    lastAt = now
    series.push(sample)
    o.log(`soak: +${sample.t_s}s stored ${sample.stored_per_s}/s · board ${sample.board_readings_per_s} readings/s p50 ${sample.p50_ms} ms p99 ${sample.p99_ms} ms · analyst ${queries.length} queries p99 ${sample.analyst_p99_ms} ms · outbox ${sample.outbox_depth} · core ingest ${sample.core_ingest_ms} ms/batch` +
      ` · RSS core ${sample.core?.rss_mb} MB (heap ${sample.core?.heap_mb}) gateway ${sample.gateway?.rss_mb} MB (heap ${sample.gateway?.heap_mb}) soak ${sample.soak?.rss_mb} MB · fds ${sample.core?.fds}/${sample.gateway?.fds}/${sample.soak?.fds}` +
      ` · threads ${sample.core?.threads}/${sample.gateway?.threads}/${sample.soak?.threads} · core fds ${JSON.stringify(sample.core?.fd_kinds ?? null)}` +
      ` · heaps committed core ${sample.memory?.core_heap_total_mb} gateway ${sample.memory?.gateway_heap_total_mb} MB, its workers ${JSON.stringify(sample.memory?.gateway_worker_heaps_mb ?? null)}, external ${sample.memory?.gateway_external_mb} MB · ClickHouse MB ${JSON.stringify(sample.memory?.core_clickhouse_mb ?? null)}`)
  }

  o.log('soak: stopping the devices and waiting for what they sent to be acknowledged')
  for (const t of analystTimers) clearInterval(t)
  stopDevices.abort()
  const reports = await Promise.all(ambulances)
  await monitors.stop(15_000)
  const labDeadline = Date.now() + 30_000
  while (analyzers.some((a) => a.stats().queued > 0) && Date.now() < labDeadline) await sleep(100)
  for (const a of analyzers) await a.stop()
  const drained = Date.now() + 120_000
  while ((await gatewayFigures(apiUrl)).depth !== 0) {
    if (Date.now() > drained) throw new Error(`soak: the gateway did not drain within 120 s (logs in ${dir})`)
    await sleep(200)
  }
  const boardReconnects = watches.reduce((n, w) => n + w.opens - 1, 0)
  await Promise.all(watches.map((w) => w.stop()))
  await stop(edge.child, 'SIGTERM')
  await stop(core.child, 'SIGTERM')
  for (const p of ptys) await p.stop()

  const acknowledged: SoakCounts = {
    ambulance_readings: reports.reduce((n, r) => n + r.published, 0),
    hl7_messages: monitors.stats().acked,
    astm_specimens: specimens.size,
  }
  const ch = await connectClickHouse({ path: join(dir, 'core', 'clickhouse') })
  const one = async (query: string, params: Record<string, unknown>) => {
    const rs = await ch.client.query({ query, query_params: params, format: 'JSONEachRow' })
    const [row] = await rs.json<{ stored: string; dup: string }>()
    return { stored: Number(row?.stored ?? 0), dup: Number(row?.dup ?? 0) }
  }
  let amb, hl7, lab
  try {
    const ids = reports.flatMap((r) => r.patients.map((p) => p.id))
    amb = await one(`SELECT count() AS stored, count() - uniqExact(device_id, device_time, name) AS dup FROM observations WHERE gateway_id = {g:String} AND has({ids:Array(String)}, patient_id)`, { g: GATEWAY, ids })
    hl7 = await one(`SELECT uniqExact(device_id, device_time) AS stored, count() - uniqExact(device_id, device_time, name) AS dup FROM observations WHERE gateway_id = {g:String} AND source = 'hl7v2'`, { g: GATEWAY })
    lab = await one(`SELECT uniqExact(order_id) AS stored, count() - uniqExact(order_id, test_code) AS dup FROM lab_results WHERE gateway_id = {g:String}`, { g: GATEWAY })
  } finally {
    await ch.close()
  }
  const stored: SoakCounts = { ambulance_readings: amb.stored - amb.dup, hl7_messages: hl7.stored, astm_specimens: lab.stored }
  const duplicates = amb.dup + hl7.dup + lab.dup
  const lost = Math.max(0, acknowledged.ambulance_readings - stored.ambulance_readings) + Math.max(0, acknowledged.hl7_messages - stored.hl7_messages) + Math.max(0, acknowledged.astm_specimens - stored.astm_specimens)
  const { log: _log, seconds: _s, intervalS: _i, seed: _seed, keep: _keep, warmupS, ...mix } = o
  const ok = duplicates === 0 && acknowledged.ambulance_readings === stored.ambulance_readings && acknowledged.hl7_messages === stored.hl7_messages && acknowledged.astm_specimens === stored.astm_specimens
  // An hour of ClickHouse data is kept only when something is to be looked at.
  if (ok && !o.keep) rmSync(dir, { recursive: true, force: true })
  return {
    seconds: o.seconds, interval_s: o.intervalS, mix, series, verdict: soakVerdict(series, warmupS), acknowledged, stored, duplicates, lost,
    stored_equals_acknowledged: ok,
    board_reconnects: boardReconnects, analyst_errors: analystErrors, dir,
  }
}
