// The patient page's reads two ways in the same run, alternating: in one query (PatientPageStore,
// what GET /v1/patients/:id/summary now sends) and as they were sent before, each store's read on
// its own (eleven at once, then the alarms' acknowledgements). p50 of each and their ratio, in
// wall-clock time and in CPU time of the process (ClickHouse is embedded, so its work is counted:
// the figure that moves least with the load of a shared machine).
import { FhirStore, LabOrderStore, PatientPageStore, PatientRecordStore, PatientSummaryStore, type ClickHouse } from '@neva/analytics'

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function separately(ch: ClickHouse, id: string, from: number, now: number): Promise<void> {
  const summaries = new PatientSummaryStore(ch)
  const fhir = new FhirStore(ch)
  const record = new PatientRecordStore(ch)
  const [, , alarms] = await Promise.all([
    summaries.vitals(id, from, 300),
    fhir.page('lab', { patient: id, time: [{ op: '>=', ms: now - 7 * 86_400_000 }], limit: 2000 }),
    fhir.page('alarm', { patient: id, time: [{ op: '>=', ms: from }], limit: 2000 }),
    summaries.triage(id, from, 200),
    fhir.page('encounter', { patient: id, limit: 50 }),
    fhir.page('condition', { patient: id, limit: 200 }),
    summaries.orders(id, 200),
    record.infusions(id, from),
    record.suggestions(id),
    record.ecgMinutes(id, from, now + 60_000),
    new LabOrderStore(ch).forPatient(id, 100),
    summaries.latest(id, from),
  ])
  await summaries.acks(alarms.map((a) => a.k))
}

export async function pageReadsSideBySide(ch: ClickHouse, id: string, hours: number, repeats: number) {
  const one: number[] = []
  const apart: number[] = []
  const oneCpu: number[] = []
  const apartCpu: number[] = []
  const pages = new PatientPageStore(ch)
  for (let i = 0; i < repeats; i++) {
    const now = Date.now()
    const from = now - hours * 3600_000
    // Alternate which goes first, so neither always follows the other.
    const runs: Array<[number[], number[], () => Promise<unknown>]> = [
      [one, oneCpu, () => pages.read(id, { from, to: now, stepS: 300, labsFrom: now - 7 * 86_400_000, limit: 2000 })],
      [apart, apartCpu, () => separately(ch, id, from, now)],
    ]
    for (const [wall, cpu, run] of i % 2 === 0 ? runs : runs.reverse()) {
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      await run()
      wall.push(performance.now() - t0)
      const c = process.cpuUsage(c0)
      cpu.push((c.user + c.system) / 1000)
    }
  }
  const r1 = (x: number) => Math.round(x * 10) / 10
  return {
    one_query_p50_ms: r1(p50(one)), separate_p50_ms: r1(p50(apart)), ratio: Math.round((p50(one) / p50(apart)) * 100) / 100,
    one_query_cpu_p50_ms: r1(p50(oneCpu)), separate_cpu_p50_ms: r1(p50(apartCpu)), cpu_ratio: Math.round((p50(oneCpu) / p50(apartCpu)) * 100) / 100,
  }
}

/**
 * The 24 h vitals read alone, two ways alternating: per minute from vitals_per_minute (what the
 * page read before, 1,440 points a vital) and per 5 minutes from vitals_per_5min (migration 0034,
 * what it reads now, 288). Wall-clock and CPU p50 of each and their ratio (new ÷ old).
 */
export async function vitalsReadsSideBySide(ch: ClickHouse, id: string, hours: number, repeats: number) {
  const summaries = new PatientSummaryStore(ch)
  const runs = { minute: { wall: [] as number[], cpu: [] as number[], points: 0 }, five: { wall: [] as number[], cpu: [] as number[], points: 0 } }
  for (let i = 0; i < repeats; i++) {
    const from = Date.now() - hours * 3600_000
    const order: Array<['minute' | 'five', number]> = [['minute', 60], ['five', 300]]
    for (const [k, step] of i % 2 === 0 ? order : order.reverse()) {
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const series = await summaries.vitals(id, from, step)
      runs[k].wall.push(performance.now() - t0)
      const c = process.cpuUsage(c0)
      runs[k].cpu.push((c.user + c.system) / 1000)
      runs[k].points = series.reduce((n, s) => n + s.t.length, 0)
    }
  }
  const r1 = (x: number) => Math.round(x * 10) / 10
  const { minute, five } = runs
  return {
    per_minute_p50_ms: r1(p50(minute.wall)), per_5min_p50_ms: r1(p50(five.wall)), ratio: Math.round((p50(five.wall) / p50(minute.wall)) * 100) / 100,
    per_minute_cpu_p50_ms: r1(p50(minute.cpu)), per_5min_cpu_p50_ms: r1(p50(five.cpu)), cpu_ratio: Math.round((p50(five.cpu) / p50(minute.cpu)) * 100) / 100,
    per_minute_points: minute.points, per_5min_points: five.points,
  }
}
