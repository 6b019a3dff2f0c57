// What the ICU board shows of the pumps: each pump channel's latest report (infusion_events, one
// row per report), for the board's own patients, heard in the last hours.
import type { ClickHouse } from './connection.js'

export interface BoardInfusion {
  patient_id: string
  device_id: string
  channel: string | null
  order_id: string | null
  drug: string | null
  rate: number | null
  rate_unit: string | null
  volume_infused: number | null
  volume_unit: string | null
  program_state: string | null
  pump_state: string | null
  time: number
}

export class InfusionStore {
  constructor(private readonly ch: ClickHouse, private readonly options: { hours?: number } = {}) {}

  /** The latest report of every pump channel of these patients, newest first. */
  async latestForPatients(patientIds: readonly string[]): Promise<BoardInfusion[]> {
    if (patientIds.length === 0) return []
    const rs = await this.ch.client.query({
      query: `SELECT assumeNotNull(patient_id) AS patient_id, device_id, channel,
          argMax(order_id, received_time) AS order_id, argMax(drug, received_time) AS drug, argMax(rate, received_time) AS rate,
          argMax(rate_unit, received_time) AS rate_unit, argMax(volume_infused, received_time) AS volume_infused,
          argMax(volume_unit, received_time) AS volume_unit, argMax(program_state, received_time) AS program_state,
          argMax(pump_state, received_time) AS pump_state, toUnixTimestamp64Milli(max(received_time)) AS time
        FROM infusion_events
        WHERE patient_id IN {ids:Array(String)} AND received_time >= now64(3) - toIntervalHour({hours:UInt32})
        GROUP BY patient_id, device_id, channel
        ORDER BY time DESC`,
      query_params: { ids: [...patientIds], hours: this.options.hours ?? 12 },
      format: 'JSONEachRow',
    })
    return (await rs.json<Record<string, unknown>>()).map((r) => ({
      patient_id: String(r.patient_id), device_id: String(r.device_id), channel: (r.channel as string | null) ?? null, order_id: (r.order_id as string | null) ?? null,
      drug: (r.drug as string | null) ?? null, rate: r.rate === null ? null : Number(r.rate), rate_unit: (r.rate_unit as string | null) ?? null,
      volume_infused: r.volume_infused === null ? null : Number(r.volume_infused), volume_unit: (r.volume_unit as string | null) ?? null,
      program_state: (r.program_state as string | null) ?? null, pump_state: (r.pump_state as string | null) ?? null, time: Number(r.time),
    }))
  }
}
