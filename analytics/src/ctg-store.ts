// Reads for the CTG page (core /v1/patients/:id/ctg): a mother's fetal monitor signals (waveforms
// of signal kind fhr, fhr2, uc, mhr) over a window, and the FIGO verdicts the edge made in it.
// Constant SQL; the patient and the window are bound.
import type { ClickHouse } from './connection.js'
import { toDateTime64 } from './telemetry-store.js'

export interface CtgSignalChunk {
  lead: string
  signal_kind: string
  unit: string
  device_id: string
  start_time: number
  sample_rate_hz: number
  /** Units per count; a count of -32768 is a gap. */
  resolution: number
  samples: number[]
}

export interface CtgVerdictRow {
  device_id: string
  time: number
  window_start: number
  minutes: number
  classification: string
  reasons: string[]
  notes: string[]
  baseline_bpm: number | null
  variability_bpm: number | null
  accelerations: number
  early_decelerations: number
  variable_decelerations: number
  late_decelerations: number
  prolonged_decelerations: number
  contractions: number
  signal_loss_pct: number
}

const n = (v: unknown) => Number(v)
const nn = (v: unknown) => (v === null || v === undefined ? null : Number(v))

export class CtgStore {
  constructor(private readonly ch: ClickHouse) {}

  private async rows(query: string, params: Record<string, unknown>): Promise<Record<string, unknown>[]> {
    return (await this.ch.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<Record<string, unknown>>()
  }

  /** The CTG chunks that start in [fromMs, toMs), in time order. */
  async signals(patientId: string, fromMs: number, toMs: number): Promise<CtgSignalChunk[]> {
    const rows = await this.rows(
      `SELECT lead, signal_kind, unit, device_id, toUnixTimestamp64Milli(start_time) AS start, sample_rate_hz, resolution_uv, samples
        FROM waveforms
        WHERE patient_id = {p:String} AND signal_kind IN ('fhr', 'fhr2', 'uc', 'mhr')
          AND start_time >= {from:DateTime64(3, 'UTC')} AND start_time < {to:DateTime64(3, 'UTC')}
        ORDER BY start_time, lead
        LIMIT 1 BY gateway_id, device_id, lead, start_time`,
      { p: patientId, from: toDateTime64(fromMs), to: toDateTime64(toMs) },
    )
    return rows.map((r) => ({
      lead: String(r.lead), signal_kind: String(r.signal_kind), unit: String(r.unit), device_id: String(r.device_id), start_time: n(r.start),
      sample_rate_hz: n(r.sample_rate_hz), resolution: n(r.resolution_uv), samples: r.samples as number[],
    }))
  }

  /** The verdicts made in [fromMs, toMs), latest first. */
  async verdicts(patientId: string, fromMs: number, toMs: number, limit = 200): Promise<CtgVerdictRow[]> {
    const rows = await this.rows(
      `SELECT device_id, toUnixTimestamp64Milli(time) AS t, toUnixTimestamp64Milli(window_start) AS ws, minutes, classification, reasons, notes,
          baseline_bpm, variability_bpm, accelerations, early_decelerations, variable_decelerations, late_decelerations, prolonged_decelerations, contractions, signal_loss_pct
        FROM ctg_verdicts
        WHERE patient_id = {p:String} AND time >= {from:DateTime64(3, 'UTC')} AND time < {to:DateTime64(3, 'UTC')}
        ORDER BY time DESC
        LIMIT 1 BY gateway_id, seq
        LIMIT {limit:UInt32}`,
      { p: patientId, from: toDateTime64(fromMs), to: toDateTime64(toMs), limit },
    )
    return rows.map((r) => ({
      device_id: String(r.device_id), time: n(r.t), window_start: n(r.ws), minutes: n(r.minutes), classification: String(r.classification),
      reasons: r.reasons as string[], notes: r.notes as string[], baseline_bpm: nn(r.baseline_bpm), variability_bpm: nn(r.variability_bpm),
      accelerations: n(r.accelerations), early_decelerations: n(r.early_decelerations), variable_decelerations: n(r.variable_decelerations),
      late_decelerations: n(r.late_decelerations), prolonged_decelerations: n(r.prolonged_decelerations), contractions: n(r.contractions), signal_loss_pct: n(r.signal_loss_pct),
    }))
  }
}
