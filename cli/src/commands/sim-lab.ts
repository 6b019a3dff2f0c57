// neva sim lab --orders N: a simulated city lab day on this machine. A core (embedded ClickHouse)
// and a gateway serving the city's site; two ASTM analyzers on socat pseudo-terminals taking
// downloads (chemistry and the rest, split by `runs_tests`); N orders placed by the hospital
// system through the API. The gateway's worklist brings them, the analyzers run them and send
// results, the core's matcher attaches them. The report: every order reached its analyzers,
// every result found its order, none lost or doubled, turnaround p50/p95 per priority. With `hl7`
// the rest go over HL7 v2 on MLLP instead: a haematology analyzer taking OML^O21 (WBC, HGB) and
// middleware taking ORM^O01 (CRP), both answering with ORU^R01 to the gateway's MLLP listener.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmrStore } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { parseGatewayConfig, startGateway } from '@neva/edge'
import { Hl7LabAnalyzerSim, LabAnalyzerSim, startPtyPair } from '@neva/simulators'

const SITE = 'City Lab'
const CHEMISTRY = [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }, { loinc: '2951-2', lab_code: 'NA' }, { loinc: '2160-0', lab_code: 'CREA' }]
const OTHER = [{ loinc: '1988-5', lab_code: 'CRP' }, { loinc: '6690-2', lab_code: 'WBC' }, { loinc: '718-7', lab_code: 'HGB' }]
const PRIORITIES = ['routine', 'urgent', 'stat'] as const

export interface LabDayReport {
  orders: number
  tests: number
  reached_analyzer: number
  results_sent: number
  matched: number
  unmatched: number
  doubled: number
  lost: number
  resulted_orders: number
  turnaround_ms: Record<string, { n: number; p50: number | null; p95: number | null }>
  seconds: number
  /** Orders (specimens) that reached an analyzer, per protocol; results messages acknowledged per protocol. */
  by_protocol: Record<'astm' | 'hl7', { reached: number; result_messages: number }>
}

export interface LabDayOptions {
  /** The non-chemistry tests to HL7 analyzers (OML^O21 and ORM^O01) instead of a second ASTM one. */
  hl7?: boolean
}

/** A seeded generator, so a day can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => ((s = (s * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32)
}

const quantile = (sorted: number[], q: number): number | null => {
  if (sorted.length === 0) return null
  const i = (sorted.length - 1) * q
  const lo = Math.floor(i)
  return Math.round(sorted[lo]! + (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!) * (i - lo))
}

export async function runLabDay(n: number, seed: number, timeoutMs = 300_000, log: (line: string) => void = () => {}, options: LabDayOptions = {}): Promise<LabDayReport> {
  const started = Date.now()
  const dir = mkdtempSync(join(tmpdir(), 'neva-sim-lab-'))
  const core = await startCore({
    host: '127.0.0.1', port: 0, clickhouse: { path: join(dir, 'clickhouse') }, logLevel: 'silent', bodyLimit: 1024 * 1024,
    gateways: { 'gw-lab': hashToken('gw-lab-token') }, gatewaySites: { 'gw-lab': [SITE] }, emrSystems: { his: hashToken('his-token') },
  }, { labMatchEveryMs: 0 })
  const ptys = options.hl7 ? [await startPtyPair()] : [await startPtyPair(), await startPtyPair()]
  const analyzers = await Promise.all(ptys.map((p) => LabAnalyzerSim.open(p.a)))
  for (const a of analyzers) a.takeDownloads()
  const hl7 = options.hl7 ? [await Hl7LabAnalyzerSim.start({ deviceId: 'hema-hl7' }), await Hl7LabAnalyzerSim.start({ deviceId: 'crp-mw' })] : []
  let gateway: Awaited<ReturnType<typeof startGateway>> | undefined
  try {
    const random = rng(seed)
    const patients = Math.max(1, Math.ceil(n / 5))
    const t0 = Date.now() - 3600_000
    await new EmrStore(core.clickhouse).store(Array.from({ length: patients }, (_, i) => ({
      type: 'encounter' as const, encounter_id: `lab-enc-${i}`, patient_id: `LAB-P${i}`, kind: 'admission' as const, site: SITE, ward: `Ward ${1 + (i % 4)}`, start_time: t0, end_time: null, updated_time: t0,
    })), 'sim-lab')
    // The orders, placed before the gateway starts: its first poll brings them all.
    const placed: Array<{ order_id: string; tests: number }> = []
    for (let i = 0; i < n; i++) {
      const p = i % patients
      const pool = [...CHEMISTRY, ...OTHER].filter(() => random() < 0.4)
      const tests = pool.length > 0 ? pool : [CHEMISTRY[0]!]
      const res = await fetch(`${core.url}/v1/lab/orders`, {
        method: 'POST', headers: { authorization: 'Bearer his-token', 'content-type': 'application/json' },
        body: JSON.stringify({ patient_id: `LAB-P${p}`, encounter_id: `lab-enc-${p}`, specimen_id: `SIM-${seed}-${i}`, tests, priority: PRIORITIES[Math.floor(random() * 3)] }),
      })
      if (res.status !== 201) throw new Error(`order ${i} refused: ${res.status} ${await res.text()}`)
      placed.push({ order_id: ((await res.json()) as { order_id: string }).order_id, tests: tests.length })
    }
    const totalTests = placed.reduce((a, o) => a + o.tests, 0)
    log(`${n} orders placed (${totalTests} tests)`)
    gateway = await startGateway(parseGatewayConfig({
      gateway_id: 'gw-lab', data_dir: join(dir, 'edge'), mqtt: { port: 0 }, api: { port: 0 },
      core: { url: core.url, token: 'gw-lab-token', linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000 },
      triage: { sync_interval_ms: 0 }, log_level: 'silent',
      serial: [
        { device_id: 'chem-1', path: ptys[0]!.b, protocol: 'astm', download: true, runs_tests: CHEMISTRY.map((t) => t.lab_code) },
        ...(options.hl7 ? [] : [{ device_id: 'hema-1', path: ptys[1]!.b, protocol: 'astm', download: true, runs_tests: OTHER.map((t) => t.lab_code) }]),
      ],
      ...(options.hl7 ? {
        mllp: { port: 0 },
        hl7_orders: [
          { device_id: 'hema-hl7', host: '127.0.0.1', port: hl7[0]!.port, message: 'OML^O21', runs_tests: ['WBC', 'HGB'] },
          { device_id: 'crp-mw', host: '127.0.0.1', port: hl7[1]!.port, message: 'ORM^O01', runs_tests: ['CRP'] },
        ],
      } : {}),
    }), () => {})
    for (const h of hl7) h.sendResultsTo('127.0.0.1', gateway.mllpPort!)
    const deadline = started + timeoutMs
    const downloadedTests = () => analyzers.reduce((a, an) => a + an.downloaded.reduce((b, o) => b + o.tests.length, 0), 0)
      + hl7.reduce((a, an) => a + an.received.reduce((b, o) => b + o.tests.length, 0), 0)
    const sent = () => analyzers.reduce((a, an) => a + an.resultsSent, 0) + hl7.reduce((a, an) => a + an.stats.resultsAcked, 0)
    const messages = () => analyzers.reduce((a, an) => a + an.ran.size, 0) + hl7.reduce((a, an) => a + an.ran.size, 0)
    let shown = Date.now()
    while ((downloadedTests() < totalTests || sent() < messages()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      if (Date.now() - shown >= 5000) {
        shown = Date.now()
        log(`${Math.round((shown - started) / 1000)} s: ${downloadedTests()}/${totalTests} tests reached, ${sent()}/${messages()} result messages acknowledged (hl7 ${hl7.map((h) => `${h.deviceId} ${h.stats.accepted} orders, ${h.stats.resultsAcked} results`).join(', ') || 'none'})`)
      }
    }
    log(`${downloadedTests()} tests downloaded to the analyzers, ${sent()} result messages acknowledged`)
    let matched = 0
    let unmatched = 0
    while (matched + unmatched < totalTests && Date.now() < deadline) {
      await gateway.drain(10_000)
      const pass = await core.labMatcher.run()
      matched += pass.matched
      unmatched += pass.unmatched + pass.cancelled
      if (pass.examined === 0) await new Promise((r) => setTimeout(r, 200))
    }
    const q = async <T>(query: string) => (await (await core.clickhouse.client.query({ query, format: 'JSONEachRow' })).json<T>())
    const [dup] = await q<{ doubled: string }>(`SELECT count() AS doubled FROM (SELECT order_id, test_code, count() AS c FROM lab_result_matches FINAL WHERE outcome = 'matched' GROUP BY order_id, test_code HAVING c > 1)`)
    const turn = await q<{ priority: string; ms: number }>(`SELECT argMax(priority, event_time) AS priority, dateDiff('millisecond', min(placed_time), minIf(event_time, state = 'resulted')) AS ms
      FROM lab_order_events GROUP BY order_id HAVING countIf(state = 'resulted') > 0`)
    const turnaround: LabDayReport['turnaround_ms'] = {}
    for (const p of PRIORITIES) {
      const ms = turn.filter((t) => t.priority === p).map((t) => Number(t.ms)).sort((a, b) => a - b)
      turnaround[p] = { n: ms.length, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) }
    }
    const astmReached = new Set(analyzers.flatMap((a) => a.downloaded.map((o) => o.specimen_id)))
    const hl7Reached = new Set(hl7.flatMap((a) => a.received.map((o) => o.specimen_id)))
    const reached = new Set([...astmReached, ...hl7Reached]).size
    return {
      orders: n, tests: totalTests, reached_analyzer: reached, results_sent: sent(), matched, unmatched,
      doubled: Number(dup?.doubled ?? 0), lost: totalTests - matched - unmatched, resulted_orders: turn.length, turnaround_ms: turnaround,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      by_protocol: {
        astm: { reached: astmReached.size, result_messages: analyzers.reduce((a, an) => a + an.resultsSent, 0) },
        hl7: { reached: hl7Reached.size, result_messages: hl7.reduce((a, an) => a + an.stats.resultsAcked, 0) },
      },
    }
  } finally {
    for (const a of analyzers) await a.close()
    for (const h of hl7) await h.close()
    await gateway?.stop()
    for (const p of ptys) await p.stop()
    await core.close()
  }
}
