// neva sim emr's default generator: the city's medical record drawn by ClickHouse itself, one
// INSERT … SELECT per table and slice of patients (city-sql.ts), so nothing crosses the client but
// the parameters. A slice's insert carries a deduplication token from the seed and the range and
// runs on one thread (one block, the same every time), so a rerun stores nothing twice.
import { dedupToken, type ClickHouse } from '@neva/analytics'
import { cityParams } from './city-params.js'
import { CITY_INSERTS } from './city-sql.js'
import { bar, SIM_GATEWAY, type EmrCounts, type EmrWriteOptions } from './write.js'

/** Patients per insert: each table's slice stays one block (below a million rows). */
const SLICE = 100_000
const YEAR_MS = 365.25 * 24 * 3600_000

export async function writeEmrInClickHouse(ch: ClickHouse, o: EmrWriteOptions): Promise<EmrCounts> {
  const t0 = performance.now()
  const start = o.end - 2 * YEAR_MS
  const catalog = cityParams()
  for (let from = 0; from < o.patients; from += SLICE) {
    const n = Math.min(SLICE, o.patients - from)
    for (const { table, query } of CITY_INSERTS) {
      await ch.client.command({
        query,
        query_params: { ...catalog, seed: o.seed, source: SIM_GATEWAY, start, span: o.end - start - 86_400_000, end_year: new Date(o.end).getUTCFullYear(), from, n },
        clickhouse_settings: {
          insert_deduplication_token: dedupToken(SIM_GATEWAY, o.seed, 'sql', table, from, n),
          deduplicate_blocks_in_dependent_materialized_views: 1,
          max_threads: 1,
          max_insert_threads: '1',
          async_insert: 0,
        },
      })
    }
    o.progress(bar(from + n, o.patients, t0, 'patients'), from + n >= o.patients)
  }
  return countCity(ch, o.seed, o.patients)
}

/** Rows of this seed's city in each table. */
async function countCity(ch: ClickHouse, seed: string, patients: number): Promise<EmrCounts> {
  const rs = await ch.client.query({
    query: `SELECT (SELECT count() FROM encounters WHERE startsWith(patient_id, {prefix:String})) AS encounters,
                   (SELECT count() FROM complaints WHERE startsWith(patient_id, {prefix:String})) AS complaints,
                   (SELECT count() FROM diagnoses WHERE startsWith(patient_id, {prefix:String})) AS diagnoses,
                   (SELECT count() FROM lab_results WHERE gateway_id = {source:String} AND startsWith(ifNull(patient_id, ''), {prefix:String})) AS lab_results`,
    query_params: { prefix: `emr-${seed}.`, source: SIM_GATEWAY },
    format: 'JSONEachRow',
  })
  const [c] = await rs.json<Record<string, string>>()
  return { patients, encounters: Number(c!.encounters), complaints: Number(c!.complaints), diagnoses: Number(c!.diagnoses), lab_results: Number(c!.lab_results) }
}
