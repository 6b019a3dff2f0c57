// Reads for the FHIR R4 API and export: one patient's rows of each source, in (time, key) order,
// a page at a time (keyset paging, so a page costs the same wherever it starts). The SQL text is
// constant: the sources below and the condition fragments are fixed here, and every value from a
// search (patient, codes, dates, cursor, count) is a bound parameter.
import type { ClickHouse } from './connection.js'
import { readSection, type Section } from './sections.js'
import { toDateTime64 } from './telemetry-store.js'

export const FHIR_SOURCES = ['patient', 'encounter', 'vital', 'lab', 'report', 'condition', 'risk', 'alarm', 'device'] as const
export type FhirSource = (typeof FHIR_SOURCES)[number]

interface SourceSql {
  /** Rows with columns patient_id, t (DateTime64), k (the stable key, a String) and the source's own; `{inner}` is the patient condition. */
  sql: string
  /** Patient condition on the source table (before any grouping). */
  patient: string
  /** Code systems the source can be searched by: system URI → columns of the inner rows (any may match). */
  codes: Record<string, string[]>
  /** Keys are "gateway|seq[|…]": a read by key narrows the inner rows by seq (skip index, 0019). */
  seqKeyed?: true
}

export const LOINC = 'http://loinc.org'
export const MDC = 'urn:iso:std:iso:11073:10101'
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10'
export const NEVA_LAB_CODE = 'urn:neva:lab-test-code'

/**
 * LOINC codes a vital sign stored under one code also carries in FHIR, before its own: SpO2 is
 * stored as 59408-5 (by pulse oximetry); the R4 oxygensat profile requires 2708-6 in
 * Observation.code with it. The mapping (core/src/fhir/observation.ts) codes it so, and a
 * search by either code finds it (the vital source's loinc_also). Constant text, never a value
 * from outside.
 */
export const VITAL_LOINC_ALSO: Readonly<Record<string, string>> = { '59408-5': '2708-6' }
const LOINC_ALSO_SQL = `transform(loinc, [${Object.keys(VITAL_LOINC_ALSO).map((c) => `'${c}'`).join(', ')}], [${Object.values(VITAL_LOINC_ALSO).map((c) => `'${c}'`).join(', ')}], '')`

const SOURCES: Record<FhirSource, SourceSql> = {
  patient: {
    sql: `SELECT patient_id, updated_time AS t, patient_id AS k, birth_year, sex, district, source FROM emr_patients FINAL WHERE {inner}`,
    patient: 'patient_id = {patient:String}',
    codes: {},
  },
  encounter: {
    sql: `SELECT patient_id, start_time AS t, encounter_id AS k, encounter_id, kind, site, ward, bed,
                 toUnixTimestamp64Milli(start_time) AS start_ms,
                 if(end_time IS NULL, NULL, toUnixTimestamp64Milli(assumeNotNull(end_time))) AS end_ms, source
          FROM encounters FINAL WHERE {inner}`,
    patient: 'patient_id = {patient:String}',
    codes: {},
  },
  vital: {
    sql: `SELECT patient_id, device_time AS t, concat(gateway_id, '|', toString(seq), '|', name) AS k,
                 device_id, source, mdc_code, toString(mdc_code) AS mdc, loinc, name, value, unit, flags,
                 device_label, value_text, value_code, value_system, ${LOINC_ALSO_SQL} AS loinc_also
          FROM observations WHERE {inner}`,
    patient: 'patient_id = {patient:String}',
    codes: { [LOINC]: ['loinc', 'loinc_also'], [MDC]: ['mdc'] },
    seqKeyed: true,
  },
  lab: {
    sql: `SELECT assumeNotNull(patient_id) AS patient_id, ifNull(result_time, received_time) AS t, concat(gateway_id, '|', toString(seq)) AS k,
                 device_id, order_id, test_code, ifNull(loinc, '') AS loinc, value, numeric_value, unit, reference_range,
                 abnormal_flag, status, comments
          FROM lab_results WHERE patient_id IS NOT NULL AND {inner}`,
    // Qualified: the alias assumeNotNull(patient_id) AS patient_id would shadow the column, and the
    // sort key (ifNull(patient_id, '')) would not be used: every lab of the city read.
    patient: 'lab_results.patient_id = {patient:String}',
    codes: { [LOINC]: ['loinc'], [NEVA_LAB_CODE]: ['test_code'] },
    seqKeyed: true,
  },
  report: {
    // Grouped over an inner select: its aliases must not shadow the columns the conditions name.
    sql: `SELECT pid AS patient_id, max(rt) AS t, concat(pid, '|', oid) AS k, oid AS order_id, groupArray(rk) AS results, groupUniqArray(st) AS statuses
          FROM (SELECT assumeNotNull(patient_id) AS pid, assumeNotNull(order_id) AS oid, ifNull(result_time, received_time) AS rt,
                       concat(gateway_id, '|', toString(seq)) AS rk, status AS st
                FROM lab_results WHERE patient_id IS NOT NULL AND order_id IS NOT NULL AND {inner})
          GROUP BY pid, oid`,
    patient: 'patient_id = {patient:String}',
    codes: {},
  },
  condition: {
    sql: `SELECT patient_id, time AS t, diagnosis_id AS k, encounter_id, icd10, kind, set_by, author_id, source
          FROM diagnoses FINAL WHERE {inner}`,
    patient: 'patient_id = {patient:String}',
    codes: { [ICD10]: ['icd10'] },
  },
  risk: {
    sql: `SELECT patient_id, time AS t, concat(gateway_id, '|', toString(seq)) AS k, level, news2_score, news2_partial, news2_level,
                 news2_missing, model_version, model_level, model_probabilities, model_drivers, inputs,
                 model_risk, model_risk_model, model_risk_inputs, model_risk_sparse
          FROM triage_results WHERE {inner}`,
    patient: 'patient_id = {patient:String}',
    codes: {},
    seqKeyed: true,
  },
  alarm: {
    sql: `SELECT assumeNotNull(argMax(pid, rt)) AS patient_id, min(at) AS t, aid AS k,
                 argMax(device_id, rt) AS device_id, argMax(state, rt) AS state, argMax(event_name, rt) AS event_name,
                 argMax(event_text, rt) AS event_text, argMax(event_code, rt) AS event_code, argMax(priority, rt) AS priority,
                 toUnixTimestamp64Milli(max(at)) AS last_ms
          FROM (SELECT patient_id AS pid, alarm_id AS aid, received_time AS rt, ifNull(device_time, received_time) AS at, device_id, state,
                       event_name, event_text, event_code, priority
                FROM alarms WHERE patient_id IS NOT NULL AND {inner})
          GROUP BY aid`,
    patient: 'patient_id = {patient:String}',
    codes: {},
  },
  device: {
    sql: `SELECT argMax(pid, dt) AS patient_id, min(dt) AS t, did AS k, did AS device_id, argMax(src, dt) AS source
          FROM (SELECT patient_id AS pid, device_id AS did, device_time AS dt, source AS src FROM observations WHERE {inner})
          GROUP BY did`,
    patient: 'patient_id = {patient:String}',
    codes: {},
  },
}

/** A point in (time, key) order: rows strictly after it. */
export interface FhirPosition {
  t: number
  k: string
}

/** A bound on time: ms, inclusive or not. */
export interface FhirTimeBound {
  op: '>=' | '>' | '<=' | '<'
  ms: number
}

export interface FhirQuery {
  /** One patient's rows; absent only for the bulk export (every patient). */
  patient?: string
  /** Any of these codes (system absent: any system the source knows). */
  codes?: ReadonlyArray<{ system?: string; code: string }>
  time?: readonly FhirTimeBound[]
  /** Only these keys (reads by id, _include). */
  keys?: readonly string[]
  /** Only keys whose SHA-256 (hex) starts with one of these 40 digits (long ids, see core/src/fhir/ids.ts). */
  hashes?: readonly string[]
  after?: FhirPosition
  limit: number
}

export type FhirRow = Record<string, unknown> & { patient_id: string; t_ms: number; k: string }

const OPS: Record<FhirTimeBound['op'], string> = { '>=': '>=', '>': '>', '<=': '<=', '<': '<' }

const MAX_SEQ = 2n ** 64n - 1n

/** The seq of a "gateway|seq[|name]" key; undefined when it cannot be one. */
export function seqOfKey(key: string): bigint | undefined {
  const m = /^[^|]+\|(\d{1,20})(\|.+)?$/.exec(key)
  if (!m) return undefined
  const seq = BigInt(m[1]!)
  return seq <= MAX_SEQ ? seq : undefined
}

/** Does this source know the code system? (A search by a system it does not know matches nothing.) */
export function fhirSourceCodes(source: FhirSource): string[] {
  return Object.keys(SOURCES[source].codes)
}

/** The read of one page of a source's rows in (time, key) order; null when it can match nothing. */
export function fhirPageSection(source: FhirSource, q: FhirQuery): Section<FhirRow[]> | null {
  const spec = SOURCES[source]
  const params: Record<string, unknown> = { limit: q.limit }
  const outer: string[] = []
  let inner = '1'
  if (q.patient !== undefined) {
    inner = spec.patient
    params.patient = q.patient
  }
  if (q.codes && q.codes.length > 0) {
    const any: string[] = []
    q.codes.forEach((c, i) => {
      const columns = c.system === undefined ? Object.values(spec.codes).flat() : spec.codes[c.system] ?? []
      for (const column of columns) any.push(`${column} = {code${i}:String}`)
      params[`code${i}`] = c.code
    })
    outer.push(any.length > 0 ? `(${any.join(' OR ')})` : '0')
  }
  q.time?.forEach((b, i) => {
    outer.push(`t ${OPS[b.op]} {time${i}:DateTime64(3, 'UTC')}`)
    params[`time${i}`] = toDateTime64(b.ms)
  })
  if (q.keys) {
    if (spec.seqKeyed) {
      // Only keys that can be a row's ("gateway|seq…", seq a UInt64) are looked for; the seqs
      // narrow the source's own rows before the key is computed.
      const seqs = [...new Set(q.keys.map(seqOfKey).filter((x): x is bigint => x !== undefined))]
      if (seqs.length === 0) return null
      inner = `${inner} AND seq IN {key_seqs:Array(UInt64)}`
      params.key_seqs = seqs
    }
    outer.push('k IN {keys:Array(String)}')
    params.keys = q.keys
  }
  if (q.hashes) {
    outer.push('substring(lower(hex(SHA256(k))), 1, 40) IN {hashes:Array(String)}')
    params.hashes = q.hashes
  }
  if (q.after) {
    // t >= … first: pushed into the source's select, it lets the sort key skip the rows before.
    outer.push(`t >= {after_t:DateTime64(3, 'UTC')}`, `(t, k) > ({after_t:DateTime64(3, 'UTC')}, {after_k:String})`)
    params.after_t = toDateTime64(q.after.t)
    params.after_k = q.after.k
  }
  const query = `SELECT *, toUnixTimestamp64Milli(t) AS t_ms FROM (${spec.sql.replace('{inner}', inner)})
                 ${outer.length > 0 ? `WHERE ${outer.join(' AND ')}` : ''} ORDER BY t, k LIMIT {limit:UInt32}`
  return { query, params, map: (rows) => rows.map((r) => ({ ...r, t_ms: Number(r.t_ms) }) as FhirRow) }
}

export class FhirStore {
  constructor(private readonly ch: ClickHouse) {}

  /** One page of a source's rows in (time, key) order. */
  async page(source: FhirSource, q: FhirQuery): Promise<FhirRow[]> {
    const section = fhirPageSection(source, q)
    return section ? readSection(this.ch, section) : []
  }

  /** Is anything known about this patient (a record, an encounter or a reading)? */
  async known(patient: string): Promise<boolean> {
    const rs = await this.ch.client.query({
      query: `SELECT (SELECT count() FROM emr_patients WHERE patient_id = {p:String}) + (SELECT count() FROM encounters WHERE patient_id = {p:String})
                   + (SELECT count() FROM (SELECT 1 FROM observations WHERE patient_id = {p:String} LIMIT 1)) AS n`,
      query_params: { p: patient },
      format: 'JSONEachRow',
    })
    const [row] = await rs.json<{ n: string }>()
    return Number(row?.n ?? 0) > 0
  }
}
