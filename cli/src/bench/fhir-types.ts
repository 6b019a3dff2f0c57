// neva bench fhir, the other types: each type's bulk NDJSON of the window (fhirNdjson: lines by
// template where the type has one, RiskAssessment) against the API mapping's object +
// JSON.stringify of the same rows (fhirResources), in the same run, both reading the same pages.
// Triage verdicts (1 every 5 s a patient, every other one with a deterioration risk) are seeded
// for the bench's patients, since a city has none.
import type { ClickHouse } from '@neva/analytics'
import { triageRow } from '@neva/analytics'
import { FHIR_EXPORT_TYPES, fhirNdjson, fhirResources } from '@neva/core'

export interface FhirTypeFigure {
  type: string
  resources: number
  /** resources/s and per CPU-second of the process, object path and NDJSON path (best of two runs each). */
  object_per_s: number
  object_per_cpu_s: number
  ndjson_per_s: number
  ndjson_per_cpu_s: number
  /** NDJSON / object per CPU-second; null when the window holds none of the type. */
  ratio: number | null
}

export async function seedVerdicts(ch: ClickHouse, patients: string[], window: { since: number; until: number }): Promise<number> {
  let seq = 1
  let n = 0
  for (const patient of patients) {
    for (let h = window.since; h < window.until; h += 3600_000) {
      const rows: object[] = []
      for (let t = h; t < Math.min(h + 3600_000, window.until); t += 5000) {
        const at = (v: number) => ({ value: v, time: t })
        rows.push(triageRow({
          gateway_id: 'gw-b', seq: seq++, patient_id: patient, time: t, level: 'yellow', model_version: 'triage-sim@3',
          news2: { score: 5, partial: false, subscores: { respiratory_rate: 2, spo2: 1, on_oxygen: 0, systolic_bp: 0, pulse: 1, consciousness: 0, temperature: 1 }, missing: [], level: 'yellow', spo2_scale: 1 },
          inputs: { respiratory_rate: at(23), spo2: at(95), on_oxygen: { value: false, time: t }, systolic_bp: at(120), pulse: at(95), consciousness: { value: 'A', time: t }, temperature: at(38.3) },
          model: {
            id: 'triage-sim', version: '3', level: 'yellow', probabilities: { green: 0.2, yellow: 0.7, red: 0.1 }, drivers: [{ feature: 'pulse', value: 95, contribution: 0.31 }],
            ...(seq % 2 === 0 ? { risk: (seq % 997) / 997, risk_model: 'deterioration-xgb@1', risk_inputs: ['pulse', 'respiratory_rate', 'spo2', 'systolic_bp', 'temperature'] } : {}),
          },
        }))
      }
      await ch.client.insert({ table: 'triage_results', values: rows, format: 'JSONEachRow' })
      n += rows.length
    }
  }
  return n
}

async function timed(run: () => Promise<number>): Promise<{ n: number; s: number; cpu: number }> {
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const n = await run()
  const c = process.cpuUsage(c0)
  return { n, s: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 }
}

/** Every type but Observation (measured on its own), both paths, best of two alternated runs. */
export async function benchFhirTypes(ch: ClickHouse, window: { since: number; until: number }, log: (line: string) => void): Promise<FhirTypeFigure[]> {
  const figures: FhirTypeFigure[] = []
  for (const type of FHIR_EXPORT_TYPES.filter((t) => t !== 'Observation')) {
    const object = async () => {
      let n = 0
      let bytes = 0
      for await (const page of fhirResources(ch, type, window)) {
        bytes += page.map((r) => `${JSON.stringify(r)}\n`).join('').length
        n += page.length
      }
      return bytes > 0 ? n : 0
    }
    const ndjson = async () => {
      let n = 0
      for await (const chunk of fhirNdjson(ch, type, window)) n += chunk.count
      return n
    }
    const runs = { object: [] as Array<{ n: number; s: number; cpu: number }>, ndjson: [] as Array<{ n: number; s: number; cpu: number }> }
    for (let i = 0; i < 2; i++) {
      runs.object.push(await timed(object))
      runs.ndjson.push(await timed(ndjson))
    }
    const best = (xs: Array<{ n: number; s: number; cpu: number }>) => ({ perS: Math.max(...xs.map((x) => x.n / Math.max(x.s, 1e-6))), perCpu: Math.max(...xs.map((x) => x.n / Math.max(x.cpu, 1e-6))) })
    const o = best(runs.object)
    const j = best(runs.ndjson)
    const resources = runs.ndjson[0]!.n
    if (runs.object[0]!.n !== resources) throw new Error(`${type}: the object path gave ${runs.object[0]!.n} resources, the NDJSON ${resources}`)
    const figure = {
      type, resources, object_per_s: Math.round(o.perS), object_per_cpu_s: Math.round(o.perCpu), ndjson_per_s: Math.round(j.perS), ndjson_per_cpu_s: Math.round(j.perCpu),
      ratio: resources > 0 ? Math.round((j.perCpu / o.perCpu) * 100) / 100 : null,
    }
    if (resources > 0) log(`export ${type}: ${resources} resources; object + stringify ${figure.object_per_s}/s (${figure.object_per_cpu_s}/CPU-s), NDJSON ${figure.ndjson_per_s}/s (${figure.ndjson_per_cpu_s}/CPU-s): ${figure.ratio}× per CPU-second`)
    figures.push(figure)
  }
  return figures
}
