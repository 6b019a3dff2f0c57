// Hundreds of board streams on one real core (embedded ClickHouse, logged-in users, real HTTP on
// loopback) while readings are ingested: the fast ones hear every event of their board in order,
// the ones that do not read are dropped with a reason and hold no more than the buffer bound, and
// the streams one user (and the core) may open are capped. Counters, never timings.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest, Agent, type IncomingMessage } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EmrEvent, IngestBatch, Observation, WaveformChunk } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { userClient, type Client } from './people-helpers.js'

const FAST_USERS = 60
const PER_USER = 5
const SLOW = 5
const BATCHES = 30
const MAX_BUFFERED = 64 * 1024
const MAX_STREAMS = FAST_USERS * PER_USER + SLOW + 15
const PATIENTS = ['p-1', 'p-2', 'p-3']

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-live-many-')) }, logLevel: 'silent', bodyLimit: 64 * 1024 * 1024,
  gateways: { gw: hashToken('gw-token') }, gatewaySites: { gw: ['city-1'] }, emrSystems: { his: hashToken('his-token') },
  people: { loginRequestsPerMinute: 100_000 }, metricsTokens: { scrape: hashToken('scrape-token') },
  live: { maxStreams: MAX_STREAMS, maxStreamsPerUser: PER_USER, maxBufferedBytes: MAX_BUFFERED },
}, { live: { heartbeatMs: 60_000, closeGraceMs: 10 * 60_000 } })
const agent = new Agent({ keepAlive: false, maxSockets: Infinity })
after(async () => {
  agent.destroy()
  await core.close()
})

const now = Date.now()
const enc = (id: string, patient: string, ward: string): EmrEvent => ({ type: 'encounter', encounter_id: id, patient_id: patient, kind: 'icu_stay', site: 'city-1', ward, bed: `bed-${id}`, start_time: now - 60_000, end_time: null, updated_time: now - 60_000 })
const emr = await fetch(`${core.url}/v1/emr/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer his-token' }, body: JSON.stringify({ events: [...PATIENTS.map((p) => enc(`e-${p}`, p, 'icu-a')), enc('e-ecg', 'p-ecg', 'icu-b')] }) })
assert.equal(emr.status, 200, await emr.text())

let seq = 1
let batchNo = 1
const ingest = async (part: Partial<IngestBatch>) => {
  const res = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer gw-token' }, body: JSON.stringify({ gateway_id: 'gw', batch_id: `b${batchNo++}`, sent_time: Date.now(), observations: [], triage: [], rejected: [], ...part }) })
  assert.equal(res.status, 200, await res.text())
}
const obs = (patient_id: string, value: number): Observation => ({ gateway_id: 'gw', seq: seq++, device_id: 'mon', patient_id, source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value, unit: '/min', device_time: Date.now(), received_time: Date.now(), flags: [] })

/** Accounts in a few at a time (argon2 runs on the thread pool). */
async function users(prefix: string, n: number, ward: string): Promise<Client[]> {
  const out: Client[] = []
  for (let i = 0; i < n; i += 8) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(8, n - i) }, (_, k) => userClient(core, { id: `${prefix}-${i + k}`, name: 'Nurse', roles: ['nurse'], wards: [`city-1/${ward}`] })))))
  }
  return out
}

interface Stream {
  status: number
  body: string
  res: IncomingMessage
  events: Array<{ event: string; data: any }>
  ended: Promise<void>
  onEvent?: () => void
}

/** GET /v1/live on its own connection; `read: false` never reads past the headers (a client that stalls). */
function open(client: Client, board: string, read = true, path = `/v1/live?board=${board}`): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${core.url}${path}`, { agent, headers: { cookie: client.cookie, origin: core.url } }, (res) => {
      const s = { status: res.statusCode ?? 0, body: '', res, events: [] } as unknown as Stream
      let buffer = ''
      s.ended = new Promise((done) => {
        res.on('end', done)
        res.on('close', done)
        res.on('error', done)
      })
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        if (s.status !== 200) return void (s.body += chunk)
        buffer += chunk
        let at
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at)
          buffer = buffer.slice(at + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message'
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (data !== undefined) s.events.push({ event, data: JSON.parse(data) })
        }
        s.onEvent?.()
      })
      if (!read) res.pause()
      if (s.status !== 200) res.on('end', () => resolve(s))
      else resolve(s)
    })
    req.on('error', reject)
    req.end()
  })
}

const waitFor = (s: Stream, ok: () => boolean) =>
  new Promise<void>((resolve) => {
    if (ok()) return resolve()
    s.onEvent = () => {
      if (ok()) resolve()
    }
  })
const errorOf = (s: Stream) => (JSON.parse(s.body) as { error: string }).error

test('one user opening 1,000 streams (boards, then a patient page): five of each let in, the rest refused 429; the core serves others meanwhile', async () => {
  const [attacker, bystander] = await users('attacker', 2, 'icu-a') as [Client, Client]
  const before = core.liveStats.refused
  const all = await Promise.all(Array.from({ length: 1000 }, () => open(attacker, 'icu')))
  const ok = all.filter((s) => s.status === 200)
  const refused = all.filter((s) => s.status === 429)
  assert.deepEqual([ok.length, refused.length], [PER_USER, 1000 - PER_USER])
  assert.ok(refused.every((s) => errorOf(s) === 'NEVA_CORE_TOO_MANY_STREAMS'))
  assert.equal(core.liveStats.refused, before + 1000 - PER_USER)
  // The patient page's stream too, counted apart per user; refused before any query or audit row.
  const pages = await Promise.all(Array.from({ length: 1000 }, () => open(attacker, 'icu', true, '/v1/patients/p-1/live')))
  assert.deepEqual([pages.filter((s) => s.status === 200).length, pages.filter((s) => s.status === 429).length], [PER_USER, 1000 - PER_USER])
  assert.equal(core.liveStats.open, 2 * PER_USER)
  for (const s of pages) s.res.destroy()
  await Promise.all(pages.map((s) => s.ended))
  const other = await open(bystander, 'icu')
  assert.equal(other.status, 200)
  await waitFor(other, () => other.events.some((e) => e.event === 'snapshot'))
  for (const s of [...ok, other]) s.res.destroy()
  await Promise.all([...ok, other].map((s) => s.ended))
})

test(`${FAST_USERS * PER_USER} streams hear every event in order; ${SLOW} that do not read are dropped with a reason, bounded; the core's cap answers 503`, async () => {
  const fastUsers = await users('fast', FAST_USERS, 'icu-a')
  const slowUsers = await users('slow', SLOW, 'icu-b')
  const fast = await Promise.all(fastUsers.flatMap((u) => Array.from({ length: PER_USER }, () => open(u, 'icu'))))
  assert.ok(fast.every((s) => s.status === 200))
  await Promise.all(fast.map((s) => waitFor(s, () => s.events.some((e) => e.event === 'snapshot'))))
  const slow = await Promise.all(slowUsers.map((u) => open(u, 'icu', false)))
  assert.ok(slow.every((s) => s.status === 200))
  // Opened on top of the rest until the core's cap: 15 more fit, then 503 with Retry-After.
  const extra = await Promise.all((await users('extra', 4, 'icu-a')).flatMap((u) => Array.from({ length: PER_USER }, () => open(u, 'icu'))))
  assert.equal(core.liveStats.open, MAX_STREAMS)
  const full = extra.filter((s) => s.status === 503)
  assert.equal(full.length, 20 - 15)
  assert.ok(full.every((s) => errorOf(s) === 'NEVA_CORE_LIVE_FULL' && s.res.headers['retry-after'] === '5'))
  for (const s of extra.filter((x) => x.status === 200)) s.res.destroy()
  await Promise.all(extra.map((s) => s.ended))

  // Readings for the fast boards, and ECG for the slow ones' ward, until every slow one is dropped.
  const droppedBefore = core.liveStats.dropped
  const samples = Array.from({ length: 10_000 }, (_, i) => ((i * 37) % 2000) - 1000)
  const ecg = (lead: string): WaveformChunk => ({ gateway_id: 'gw', seq: seq++, device_id: 'tab', patient_id: 'p-ecg', lead, mdc_code: 131330, start_time: Date.now(), sample_rate_hz: 1000, resolution_uv: 2.5, samples, received_time: Date.now() })
  for (let b = 1; b <= BATCHES; b++) await ingest({ observations: PATIENTS.map((p) => obs(p, b)) })
  for (let i = 0; i < 400 && core.liveStats.dropped < droppedBefore + SLOW; i++) await ingest({ waveforms: ['I', 'II', 'V1', 'V2'].map(ecg) })
  assert.equal(core.liveStats.dropped, droppedBefore + SLOW)
  // What the core still holds for any stream, the dropped ones draining included: the bound plus one event.
  const oneEvent = 4 * JSON.stringify(samples).length + 4096
  assert.ok(core.liveStats.peakBuffered <= MAX_BUFFERED + oneEvent, `peak ${core.liveStats.peakBuffered}`)
  assert.ok(core.liveStats.buffered().every((n) => n <= MAX_BUFFERED + oneEvent), `${Math.max(...core.liveStats.buffered())}`)
  assert.equal(core.liveStats.open, FAST_USERS * PER_USER)
  const metrics = await (await fetch(`${core.url}/metrics`, { headers: { authorization: 'Bearer scrape-token' } })).text()
  assert.match(metrics, new RegExp(`^neva_core_live_streams\\{state="dropped"\\} ${core.liveStats.dropped}$`, 'm'))
  assert.match(metrics, new RegExp(`^neva_core_live_buffered_bytes\\{of="peak"\\} ${core.liveStats.peakBuffered}$`, 'm'))

  // Every fast stream: each patient's readings 1…BATCHES, in order, none missing, none twice.
  const values = (s: Stream, p: string) => s.events.filter((e) => e.event === 'vitals' && e.data.patient_id === p).map((e) => e.data.readings[0].value as number)
  await Promise.all(fast.map((s) => waitFor(s, () => PATIENTS.every((p) => values(s, p).length >= BATCHES))))
  const expected = Array.from({ length: BATCHES }, (_, i) => i + 1)
  for (const s of fast) for (const p of PATIENTS) assert.deepEqual(values(s, p), expected)
  assert.ok(fast.every((s) => !s.events.some((e) => e.event === 'ecg' || e.event === 'failure')))

  // The slow ones, reading at last: what was sent, then why it ended.
  for (const s of slow) s.res.resume()
  await Promise.all(slow.map((s) => s.ended))
  for (const s of slow) {
    const last = s.events.at(-1)
    assert.equal(last?.event, 'failure')
    assert.equal(last.data.error, 'NEVA_CORE_STREAM_TOO_SLOW')
  }
  for (const s of fast) s.res.destroy()
  await Promise.all(fast.map((s) => s.ended))
})
