// Writes the medical record's events to ClickHouse. A batch is split by kind; each part carries a
// deduplication token derived from its content, so a system that resends a batch (its answer was
// lost) does not write it twice, and the materialized views over these tables count it once.
import { createHash } from 'node:crypto'
import type { Complaint, Diagnosis, EmrAck, EmrEvent, EmrPatient, Encounter } from '@neva/contracts'
import { dedupToken, type ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'

const nullableTime = (ms: number | null) => (ms === null ? null : toDateTime64(ms))

export function emrPatientRow({ type: _, ...p }: EmrPatient, source: string) {
  return { ...p, source, updated_time: toDateTime64(p.updated_time) }
}

export function encounterRow({ type: _, ...e }: Encounter, source: string) {
  return { ...e, triage_level: e.triage_level ?? null, bed: e.bed ?? null, source, start_time: toDateTime64(e.start_time), end_time: nullableTime(e.end_time), updated_time: toDateTime64(e.updated_time) }
}

export function complaintRow({ type: _, ...c }: Complaint, source: string) {
  return { ...c, source, time: toDateTime64(c.time) }
}

export function diagnosisRow({ type: _, ...d }: Diagnosis, source: string) {
  return { ...d, source, time: toDateTime64(d.time) }
}

export class EmrStore {
  constructor(private readonly ch: ClickHouse) {}

  /**
   * Stores the events of one batch from `source` (the sending system); resolves after the commit.
   * `batchKey` names the batch when the caller can (a bulk loader: its seed and range), which
   * saves hashing its content.
   */
  async store(events: readonly EmrEvent[], source: string, batchKey?: string): Promise<EmrAck> {
    const parts = {
      emr_patients: events.filter((e): e is EmrPatient => e.type === 'patient').map((e) => emrPatientRow(e, source)),
      encounters: events.filter((e): e is Encounter => e.type === 'encounter').map((e) => encounterRow(e, source)),
      complaints: events.filter((e): e is Complaint => e.type === 'complaint').map((e) => complaintRow(e, source)),
      diagnoses: events.filter((e): e is Diagnosis => e.type === 'diagnosis').map((e) => diagnosisRow(e, source)),
    }
    for (const [table, rows] of Object.entries(parts) as Array<[string, object[]]>) {
      if (rows.length === 0) continue
      const token = batchKey ?? createHash('sha256').update(source).update('\0').update(JSON.stringify(rows)).digest('base64url')
      await this.ch.client.insert({
        table,
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: dedupToken(table, token), async_insert: 0, deduplicate_blocks_in_dependent_materialized_views: 1 },
      })
    }
    return { patients: parts.emr_patients.length, encounters: parts.encounters.length, complaints: parts.complaints.length, diagnoses: parts.diagnoses.length }
  }
}
