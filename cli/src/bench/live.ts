// neva bench live: the boards' live stream fanned out to many subscribers. A real core on embedded
// ClickHouse, one logged-in nurse granted the ICU ward, N streams of GET /v1/live?board=icu on
// their own loopback connections, and readings ingested at a steady pace (each batch one heart
// rate per patient). Each phase (1 subscriber first: the baseline) reports the events received per
// second across all streams and the delay from the ingest request to each event's arrival. The
// subscribers run in this process beside the core, so the figures carry their parsing too.
import { Agent, request as httpRequest } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EmrEvent, Observation } from '@neva/contracts'
import { hashToken, startCore, type Core } from '@neva/core'

export interface LiveBenchOptions {
  subscribers: number[]
  /** Ingest batches per second; each holds one reading per patient (one event per patient per stream). */
  batchesPerS: number
  patients: number
  seconds: number
  log: (line: string) => void
}

export interface LivePhase {
  subscribers: number
  expected: number
  received: number
  dropped: number
  events_per_s: number
  p50_ms: number
  p99_ms: number
  ingest_batches_per_s: number
}

export interface LiveBenchResult {
  phases: LivePhase[]
  /** The largest phase against the 1-subscriber baseline. */
  ratio_events_per_s: number
  ratio_p99: number
  load_avg: number[]
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d

export async function runLiveBench(o: LiveBenchOptions): Promise<LiveBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'neva-bench-live-'))
  const most = Math.max(...o.subscribers)
  const core = await startCore({
    host: '127.0.0.1', port: 0, clickhouse: { path: dir }, logLevel: 'warn',
    gateways: { gw: hashToken('gw-token') }, gatewaySites: { gw: ['city-1'] }, emrSystems: { his: hashToken('his-token') },
    live: { maxStreams: most + 10, maxStreamsPerUser: most },
  }, { labMatchEveryMs: 0, surveyRemindEveryMs: 0 })
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity })
  try {
    const patients = Array.from({ length: o.patients }, (_, i) => `bench-p-${i}`)
    const now = Date.now()
    const events: EmrEvent[] = patients.map((p) => ({ type: 'encounter', encounter_id: `e-${p}`, patient_id: p, kind: 'icu_stay', site: 'city-1', ward: 'icu', bed: p, start_time: now - 60_000, end_time: null, updated_time: now - 60_000 }))
    const emr = await fetch(`${core.url}/v1/emr/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer his-token' }, body: JSON.stringify({ events }) })
    if (emr.status !== 200) throw new Error(`placing the patients: ${emr.status} ${await emr.text()}`)
    const password = 'bench-live-password-1'
    await core.people.add({ id: 'bench-nurse', name: 'Bench Nurse', roles: ['nurse'], wards: ['city-1/icu'], sites: [], password }, 'bench')
    const login = await fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-nurse', password }) })
    const cookie = login.headers.getSetCookie().find((c) => /neva_session=/.test(c))?.split(';')[0]
    if (!cookie) throw new Error(`login: ${login.status}`)
    const state = { seq: 1, batch: 0 }
    const phases: LivePhase[] = []
    for (const n of o.subscribers) {
      const phase = await runPhase(core, agent, cookie, n, patients, state, o)
      o.log(`  ${String(n).padStart(4)} subscribers  ${phase.events_per_s} events/s   delay p50 ${phase.p50_ms} ms  p99 ${phase.p99_ms} ms   ${phase.received}/${phase.expected} received, ${phase.dropped} dropped   ingest ${phase.ingest_batches_per_s} batches/s`)
      phases.push(phase)
    }
    const base = phases[0]!
    const top = phases.reduce((a, b) => (b.subscribers > a.subscribers ? b : a))
    return { phases, ratio_events_per_s: round(top.events_per_s / base.events_per_s, 2), ratio_p99: round(top.p99_ms / base.p99_ms, 2), load_avg: loadavg().map((x) => round(x, 2)) }
  } finally {
    agent.destroy()
    await core.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runPhase(core: Core, agent: Agent, cookie: string, n: number, patients: string[], state: { seq: number; batch: number }, o: LiveBenchOptions): Promise<LivePhase> {
  /** batch number → when its ingest request started. */
  const sentAt = new Map<number, number>()
  const delays: number[] = []
  let received = 0
  let lastAt = 0
  const firstBatch = state.batch + 1
  const droppedBefore = core.liveStats.dropped
  const streams = await Promise.all(Array.from({ length: n }, () => new Promise<{ snapshot: Promise<void>; close: () => void }>((resolve, reject) => {
    const req = httpRequest(`${core.url}/v1/live?board=icu`, { agent, headers: { cookie, origin: core.url } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream refused: ${res.statusCode}`))
      let buffer = ''
      let snapshotSeen: () => void = () => {}
      const snapshot = new Promise<void>((r) => (snapshotSeen = r))
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let at
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at)
          buffer = buffer.slice(at + 2)
          if (block.startsWith('event: snapshot')) snapshotSeen()
          if (!block.startsWith('event: vitals')) continue
          const event = JSON.parse(block.slice(block.indexOf('\ndata: ') + 7)) as { readings: Array<{ value: number }> }
          const batch = event.readings[0]!.value
          const t = sentAt.get(batch)
          if (t === undefined || batch < firstBatch) continue
          lastAt = performance.now()
          delays.push(lastAt - t)
          received++
        }
      })
      res.on('error', () => {})
      resolve({ snapshot, close: () => res.destroy() })
    })
    req.on('error', reject)
    req.end()
  })))
  await Promise.all(streams.map((s) => s.snapshot))
  const batches = Math.max(1, Math.round(o.batchesPerS * o.seconds))
  const interval = 1000 / o.batchesPerS
  const start = performance.now()
  for (let i = 0; i < batches; i++) {
    const wait = start + i * interval - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const b = ++state.batch
    // The reading's value is its batch number: each event names the batch it came from.
    const observations: Observation[] = patients.map((patient_id) => ({ gateway_id: 'gw', seq: state.seq++, device_id: 'mon', patient_id, source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: b, unit: '/min', device_time: Date.now(), received_time: Date.now(), flags: [] }))
    sentAt.set(b, performance.now())
    const res = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer gw-token' }, body: JSON.stringify({ gateway_id: 'gw', batch_id: `live-${b}`, sent_time: Date.now(), observations, triage: [], rejected: [] }) })
    if (res.status !== 200) throw new Error(`ingest: ${res.status} ${await res.text()}`)
  }
  const ingestDone = performance.now()
  const expected = n * batches * patients.length
  // Let the last events arrive (at most 30 s).
  for (let i = 0; i < 300 && received < expected; i++) await new Promise((r) => setTimeout(r, 100))
  for (const s of streams) s.close()
  // The next phase opens its streams only once the core has let these go (the per-user cap).
  for (let i = 0; i < 100 && core.liveStats.open > 0; i++) await new Promise((r) => setTimeout(r, 50))
  const span = Math.max(lastAt, ingestDone) - start
  return {
    subscribers: n, expected, received, dropped: core.liveStats.dropped - droppedBefore,
    events_per_s: Math.round(received / (span / 1000)),
    p50_ms: round(quantile(delays, 0.5)), p99_ms: round(quantile(delays, 0.99)),
    ingest_batches_per_s: round(batches / ((ingestDone - start) / 1000)),
  }
}
