// neva bench fhir: the FHIR R4 API and export against a raw ClickHouse select of the same rows,
// in the same run, on one patient's 24 h of 1 Hz vitals (heart rate and SpO2) among others'.
//   search   GET /fhir/R4/Observation?patient=…&date=ge…&_count=N (login, grants, audit, mapping,
//            JSON) against SELECT of the same N rows over the same client (p50 of the repeats)
//   export   the bulk NDJSON of Observations (fhirNdjson: every patient's readings of the window,
//            pages of 50,000 in sort key order, lines by template) against one raw SELECT of the
//            same rows as JSON rows, each stringified (resources/s against rows/s)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmrStore, observationRow } from '@neva/analytics'
import { fhirNdjson, hashToken, startCore } from '@neva/core'
import type { Observation } from '@neva/contracts'
import { writeEmr } from '../emr/write.js'
import { pageReadsSideBySide, vitalsReadsSideBySide } from './page-reads.js'
import { benchFhirTypes, seedVerdicts } from './fhir-types.js'

export interface FhirBenchOptions {
  hours: number
  count: number
  repeats: number
  /** A synthetic city first (neva sim emr's generator): this many patients and telemetry rows; 0: none. */
  cityPatients: number
  cityRows: number
  /** A city already made (a `neva sim emr --data DIR` directory) instead; kept afterwards. */
  city?: string | undefined
  log: (line: string) => void
}

const SITE = 'Bench Hospital'
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function runFhirBench(o: FhirBenchOptions) {
  const dir = o.city ?? mkdtempSync(join(tmpdir(), 'neva-bench-fhir-'))
  // In a kept city each run seeds its own patients and nurse (a rerun must not read an earlier run's rows).
  const tag = o.city ? `r${Date.now().toString(36)}` : ''
  const PATIENT = `bench.fhir1${tag}`
  const OTHER = `bench.fhir2${tag}`
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: join(dir, 'clickhouse') }, logLevel: 'silent', bodyLimit: 1024 * 1024, gateways: { 'gw-b': hashToken('t') } })
  try {
    if (o.city) {
      const rs = await core.clickhouse.client.query({
        query: `SELECT (SELECT count() FROM emr_patients) AS patients, (SELECT count() FROM observations WHERE gateway_id = 'emr-sim') AS rows, (SELECT count() FROM lab_results) AS labs`,
        format: 'JSONEachRow',
      })
      const [city] = await rs.json<{ patients: string; rows: string; labs: string }>()
      o.cityPatients = Number(city!.patients)
      o.cityRows = Number(city!.rows)
      if (o.cityPatients === 0) throw new Error(`--city ${o.city}: no synthetic record there (make one with neva sim emr --data DIR)`)
      o.log(`city: ${o.cityPatients} patients, ${o.cityRows} telemetry rows, ${city!.labs} lab results, from ${o.city}`)
    } else if (o.cityPatients > 0) {
      const city = await writeEmr(core.clickhouse, { patients: o.cityPatients, seed: 'bench-fhir', end: Math.floor(Date.now() / 60_000) * 60_000, telemetryRows: o.cityRows, progress: () => {} })
      o.log(`city: ${city.patients} patients, ${city.telemetry_rows} telemetry rows, ${city.lab_results} lab results, written in ${city.seconds} s`)
    }
    // The readings end at the second they are written: the page's window ends at its request (now),
    // so its 24 h hold the readings (all but the seconds between writing and asking).
    const end = Math.floor(Date.now() / 1000) * 1000
    const start = end - o.hours * 3600_000
    let seq = 1
    for (const patient of [PATIENT, OTHER]) {
      for (let t = start; t < end; t += 3600_000) {
        const rows: object[] = []
        for (let s = t; s < t + 3600_000; s += 1000) {
          const hr: Observation = { gateway_id: 'gw-b', seq: seq++, device_id: 'mon-1', patient_id: patient, source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: 60 + (s / 1000) % 40, unit: '/min', device_time: s, received_time: s + 20, flags: [] }
          rows.push(observationRow(hr), observationRow({ ...hr, seq: seq++, mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 90 + (s / 1000) % 10, unit: '%' }))
        }
        await core.clickhouse.client.insert({ table: 'observations', values: rows, format: 'JSONEachRow' })
      }
    }
    const rows = 2 * o.hours * 3600
    o.log(`seeded ${rows} readings for ${PATIENT} (and as many for another patient)`)
    await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: `enc-bench${tag}`, patient_id: PATIENT, kind: 'icu_stay', site: SITE, ward: 'ICU', start_time: start, end_time: null, updated_time: start }], 'bench')
    const password = 'bench-fhir-password'
    await core.people.add({ id: `bench-nurse${tag}`, name: 'Bench', roles: ['nurse'], wards: [`${SITE}/ICU`], password }, 'bench')
    const login = await fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `bench-nurse${tag}`, password }) })
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
    const from = new Date(end - 3600_000).toISOString()

    const api: number[] = []
    const raw: number[] = []
    const page: number[] = []
    let pagePoints = 0
    for (let i = 0; i < o.repeats; i++) {
      const p0 = performance.now()
      const summary = await fetch(`${core.url}/v1/patients/${PATIENT}/summary?hours=24`, { headers: { cookie } })
      const body = (await summary.json()) as { vitals?: Array<{ t: number[] }> }
      if (summary.status !== 200) throw new Error(`patient summary answered ${summary.status}`)
      page.push(performance.now() - p0)
      pagePoints = (body.vitals ?? []).reduce((n, v) => n + v.t.length, 0)
      let t0 = performance.now()
      const res = await fetch(`${core.url}/fhir/R4/Observation?patient=${PATIENT.replace('.', '.2e')}&date=ge${from}&_count=${o.count}`, { headers: { cookie } })
      const bundle = (await res.json()) as { entry?: unknown[] }
      if (res.status !== 200 || (bundle.entry?.length ?? 0) !== Math.min(o.count, 7200)) throw new Error(`search answered ${res.status} with ${bundle.entry?.length} entries`)
      api.push(performance.now() - t0)
      t0 = performance.now()
      const rs = await core.clickhouse.client.query({
        query: `SELECT * FROM observations WHERE patient_id = {p:String} AND device_time >= {f:DateTime64(3, 'UTC')} ORDER BY device_time, gateway_id, seq LIMIT {n:UInt32}`,
        query_params: { p: PATIENT, f: ((end - 3600_000) / 1000).toFixed(3), n: o.count }, format: 'JSONEachRow',
      })
      await rs.json()
      raw.push(performance.now() - t0)
    }
    // The page's 24 h is the seeded readings (per 5 minutes: 288 points a vital), not an empty window.
    if (o.hours >= 24 && pagePoints < 2 * 280) throw new Error(`the page's 24 h held ${pagePoints} vital points`)
    const reads = await pageReadsSideBySide(core.clickhouse, PATIENT, 24, o.repeats)
    const vitals = await vitalsReadsSideBySide(core.clickhouse, PATIENT, 24, o.repeats)
    o.log(`vitals 24 h alone p50: per minute ${vitals.per_minute_p50_ms} ms (${vitals.per_minute_points} points), per 5 minutes ${vitals.per_5min_p50_ms} ms (${vitals.per_5min_points}) (${vitals.ratio}×); CPU ${vitals.per_minute_cpu_p50_ms} ms against ${vitals.per_5min_cpu_p50_ms} ms (${vitals.cpu_ratio}×)`)
    o.log(`page points ${pagePoints}; page reads p50: one query ${reads.one_query_p50_ms} ms, separately ${reads.separate_p50_ms} ms (${reads.ratio}×); CPU ${reads.one_query_cpu_p50_ms} ms against ${reads.separate_cpu_p50_ms} ms (${reads.cpu_ratio}×)`)
    // The bulk export: every patient's readings of the window as NDJSON lines, against one raw
    // select of the same rows (JSON rows, each stringified back: the least a copy of them costs).
    let t0 = performance.now()
    const cpu0 = process.cpuUsage()
    let exported = 0
    let bytes = 0
    for await (const chunk of fhirNdjson(core.clickhouse, 'Observation', { since: start, until: end })) {
      exported += chunk.count
      bytes += chunk.text.length
    }
    const exportS = (performance.now() - t0) / 1000
    o.log(`search p50 ${p50(api).toFixed(1)} ms, raw ${p50(raw).toFixed(1)} ms; page summary 24 h p50 ${p50(page).toFixed(1)} ms; export ${exported} in ${exportS.toFixed(1)} s`)
    const cpu = process.cpuUsage(cpu0)
    const exportCpuS = (cpu.user + cpu.system) / 1e6
    t0 = performance.now()
    const rs = await core.clickhouse.client.query({
      query: `SELECT * FROM observations WHERE device_time >= {s:DateTime64(3, 'UTC')} AND device_time < {e:DateTime64(3, 'UTC')} ORDER BY patient_id, device_time, name, gateway_id, seq`,
      query_params: { s: (start / 1000).toFixed(3), e: (end / 1000).toFixed(3) }, format: 'JSONEachRow',
    })
    const all = (await rs.json()).map((r) => JSON.stringify(r)).length
    const rawS = (performance.now() - t0) / 1000
    // The export's Observations are the vitals and the labs of the window (a city has labs).
    const labs = await core.clickhouse.client.query({
      query: `SELECT count() AS n FROM lab_results WHERE patient_id IS NOT NULL AND ifNull(result_time, received_time) >= {s:DateTime64(3, 'UTC')} AND ifNull(result_time, received_time) < {e:DateTime64(3, 'UTC')}`,
      query_params: { s: (start / 1000).toFixed(3), e: (end / 1000).toFixed(3) }, format: 'JSONEachRow',
    })
    const labRows = Number((await labs.json<{ n: string }>())[0]!.n)
    if (all + labRows !== exported) throw new Error(`exported ${exported} resources of ${all} readings and ${labRows} lab results`)
    // The other types: seeded verdicts for the bench's patients, then each type both ways.
    const verdicts = await seedVerdicts(core.clickhouse, [PATIENT, OTHER], { since: start, until: end })
    o.log(`seeded ${verdicts} triage verdicts`)
    const types = await benchFhirTypes(core.clickhouse, { since: start, until: end }, o.log)
    const result = {
      types,
      readings: rows, count: o.count, repeats: o.repeats,
      search_p50_ms: Math.round(p50(api) * 10) / 10, raw_select_p50_ms: Math.round(p50(raw) * 10) / 10,
      search_ratio: Math.round((p50(api) / p50(raw)) * 100) / 100,
      page_summary_24h_p50_ms: Math.round(p50(page) * 10) / 10, page_points: pagePoints,
      page_reads_one_query_p50_ms: reads.one_query_p50_ms, page_reads_separate_p50_ms: reads.separate_p50_ms, page_reads_ratio: reads.ratio,
      page_reads_one_query_cpu_p50_ms: reads.one_query_cpu_p50_ms, page_reads_separate_cpu_p50_ms: reads.separate_cpu_p50_ms, page_reads_cpu_ratio: reads.cpu_ratio, city_patients: o.cityPatients, city_rows: o.cityRows,
      vitals_24h: vitals,
      export_resources: exported, export_mb: Math.round(bytes / 1e5) / 10, export_per_s: Math.round(exported / exportS), export_per_cpu_s: Math.round(exported / exportCpuS), raw_rows: all, raw_per_s: Math.round(all / rawS),
      export_ratio: Math.round(((exported / exportS) / (all / rawS)) * 100) / 100,
    }
    return result
  } finally {
    await core.close()
    if (!o.city) rmSync(dir, { recursive: true, force: true })
  }
}
