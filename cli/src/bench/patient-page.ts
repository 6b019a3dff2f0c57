// neva bench patient-page: GET /v1/patients/:id/summary?hours=H (login, grants, audit, vitals
// averaged per bucket in ClickHouse, labs, alarms, triage, record; JSON) against a raw ClickHouse
// select of the same window's readings (what the page would fetch without averaging), in the same
// run, on one patient's H hours of 1 Hz vitals (heart rate and SpO2) among another's. p50 of repeats.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EmrStore, observationRow } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import type { Observation } from '@neva/contracts'

export interface PatientPageBenchOptions {
  hours: 1 | 8 | 24 | 168
  repeats: number
  log: (line: string) => void
}

const SITE = 'Bench Hospital'
const PATIENT = 'bench.page1'
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function runPatientPageBench(o: PatientPageBenchOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'neva-bench-page-'))
  const core = await startCore({ host: '127.0.0.1', port: 0, clickhouse: { path: join(dir, 'clickhouse') }, logLevel: 'silent', bodyLimit: 1024 * 1024, gateways: { 'gw-b': hashToken('t') } })
  try {
    const end = Date.now()
    const start = end - o.hours * 3600_000
    let seq = 1
    for (const patient of [PATIENT, 'bench.page2']) {
      for (let t = start; t < end; t += 3600_000) {
        const rows: object[] = []
        for (let s = t; s < Math.min(end, t + 3600_000); s += 1000) {
          const hr: Observation = { gateway_id: 'gw-b', seq: seq++, device_id: 'mon-1', patient_id: patient, source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: 60 + (s / 1000) % 40, unit: '/min', device_time: s, received_time: s + 20, flags: [] }
          rows.push(observationRow(hr), observationRow({ ...hr, seq: seq++, mdc_code: 150456, loinc: '59408-5', name: 'spo2', value: 90 + (s / 1000) % 10, unit: '%' }))
        }
        await core.clickhouse.client.insert({ table: 'observations', values: rows, format: 'JSONEachRow' })
      }
    }
    const readings = 2 * o.hours * 3600
    o.log(`seeded ${readings} readings for ${PATIENT} (and as many for another patient)`)
    await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: 'enc-bench', patient_id: PATIENT, kind: 'icu_stay', site: SITE, ward: 'ICU', start_time: start, end_time: null, updated_time: start }], 'bench')
    const password = 'bench-page-password'
    await core.people.add({ id: 'bench-nurse', name: 'Bench', roles: ['nurse'], wards: [`${SITE}/ICU`], password }, 'bench')
    const login = await fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench-nurse', password }) })
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!

    const api: number[] = []
    const raw: number[] = []
    let points = 0
    let rawRows = 0
    for (let i = 0; i < o.repeats; i++) {
      let t0 = performance.now()
      const res = await fetch(`${core.url}/v1/patients/${PATIENT}/summary?hours=${o.hours}`, { headers: { cookie } })
      const body = (await res.json()) as { vitals?: Array<{ t: number[] }> }
      if (res.status !== 200 || !body.vitals) throw new Error(`summary answered ${res.status}`)
      api.push(performance.now() - t0)
      points = body.vitals.reduce((n, v) => n + v.t.length, 0)
      t0 = performance.now()
      const rs = await core.clickhouse.client.query({
        query: `SELECT name, device_time, value, unit FROM observations WHERE patient_id = {p:String} AND device_time >= {f:DateTime64(3, 'UTC')} ORDER BY name, device_time`,
        query_params: { p: PATIENT, f: (start / 1000).toFixed(3) }, format: 'JSONEachRow',
      })
      rawRows = (await rs.json()).length
      raw.push(performance.now() - t0)
    }
    return {
      hours: o.hours, readings, repeats: o.repeats, points, raw_rows: rawRows,
      summary_p50_ms: Math.round(p50(api) * 10) / 10, raw_select_p50_ms: Math.round(p50(raw) * 10) / 10,
      ratio: Math.round((p50(api) / p50(raw)) * 100) / 100,
    }
  } finally {
    await core.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
