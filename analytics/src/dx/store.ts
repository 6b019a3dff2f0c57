// Where decision support keeps its state in ClickHouse: model artifacts (dx_models, newest version
// wins), every suggestion it made (dx_suggestions), and agreement with the clinicians (dx_agreement).
import { randomUUID } from 'node:crypto'
import { dedupToken, type ClickHouse } from '../connection.js'
import { toDateTime64 } from '../telemetry-store.js'
import { parseDxModel, type DxCandidate, type DxModel } from './model.js'

export const DX_MODEL_ID = 'dx-nb'

export class DxModelStore {
  constructor(private readonly ch: ClickHouse) {}

  /** The next free version of `id`. */
  async nextVersion(id = DX_MODEL_ID): Promise<number> {
    const rs = await this.ch.client.query({ query: 'SELECT max(version) AS v FROM dx_models WHERE id = {id:String}', query_params: { id }, format: 'JSONEachRow' })
    return Number((await rs.json<{ v: number }>())[0]?.v ?? 0) + 1
  }

  async save(model: DxModel, heldOut: { top1: number; top3: number; n: number }): Promise<void> {
    await this.ch.client.insert({
      table: 'dx_models',
      format: 'JSONEachRow',
      values: [{
        id: model.id, version: model.version, created: toDateTime64(model.created), trained_patients: model.trained_on.patients,
        trained_encounters: model.trained_on.encounters, heldout_encounters: heldOut.n, heldout_top1: heldOut.top1, heldout_top3: heldOut.top3,
        artifact: JSON.stringify(model),
      }],
    })
  }

  /** The newest version of `id`, or null when none was trained. */
  async latest(id = DX_MODEL_ID): Promise<DxModel | null> {
    const rs = await this.ch.client.query({
      query: 'SELECT artifact FROM dx_models FINAL WHERE id = {id:String} ORDER BY version DESC LIMIT 1',
      query_params: { id },
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ artifact: string }>()
    return row ? parseDxModel(JSON.parse(row.artifact)) : null
  }
}

export interface DxSuggestion {
  kind: 'preliminary' | 'final_check'
  encounter_id: string
  patient_id: string
  model: Pick<DxModel, 'id' | 'version'>
  suggestions: readonly DxCandidate[]
  physician_icd10?: string
  verdict?: 'consistent' | 'alternative'
  /** Who asked (the hospital system). */
  source: string
  time: number
}

export class DxSuggestionStore {
  constructor(private readonly ch: ClickHouse) {}

  /** Stores one suggestion; resolves with its id after the commit. */
  async record(s: DxSuggestion): Promise<string> {
    const id = randomUUID()
    await this.ch.client.insert({
      table: 'dx_suggestions',
      format: 'JSONEachRow',
      values: [{
        suggestion_id: id, encounter_id: s.encounter_id, patient_id: s.patient_id, kind: s.kind, model_id: s.model.id,
        model_version: s.model.version, suggested_icd10: s.suggestions.map((c) => c.icd10), suggested_p: s.suggestions.map((c) => c.p),
        physician_icd10: s.physician_icd10 ?? null, verdict: s.verdict ?? null, source: s.source, time: toDateTime64(s.time),
      }],
      clickhouse_settings: { insert_deduplication_token: dedupToken('dx_suggestions', id), async_insert: 0 },
    })
    return id
  }
}

export interface DxAgreement {
  kind: string
  clinician_kind: string
  n: number
  top1: number
  top3: number
}

/** Share of suggestions whose top-1 / top-3 holds the clinician's diagnosis, by kind. */
export async function dxAgreement(ch: ClickHouse, since = 0): Promise<DxAgreement[]> {
  const rs = await ch.client.query({
    query: `SELECT kind, clinician_kind, count() AS n, avg(top1_agrees) AS top1, avg(top3_agrees) AS top3
            FROM dx_agreement WHERE time >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
            GROUP BY kind, clinician_kind ORDER BY kind, clinician_kind`,
    query_params: { since },
    format: 'JSONEachRow',
  })
  return (await rs.json<DxAgreement>()).map((r) => ({ ...r, n: Number(r.n), top1: Number(r.top1), top3: Number(r.top3) }))
}
