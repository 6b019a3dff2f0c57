// The surveys' tables (migration 0027): every value bound as a query parameter, times as epoch ms.
import type { ClickHouse } from '@neva/analytics'
import type { Cycle } from './schedule.js'

const dt = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
const ms = (v: unknown) => (v === null || v === undefined ? null : Number(v))

export interface TokenRow { token_id: string; patient_id: string; issued_by: string; issued_time: number; expires_time: number; revoked_time: number | null }
export interface ResponseRow {
  response_id: string; patient_id: string; cycle_id: string; cycle_day: number; due_time: number; submitted_time: number
  answers: string; answers_sha256: string; risk: string; reasons: string[]; review_due: number; site: string; ward: string
}
export interface EventRow { response_id: string; patient_id: string; kind: string; by: string; at: number; detail: string; site: string; ward: string }
export interface ConsultRow { consult_id: string; response_id: string; patient_id: string; status: string; by: string; at: number; scheduled_time: number | null; note: string }

export class SurveyStore {
  constructor(private readonly ch: ClickHouse) {}

  private async rows(query: string, query_params: Record<string, unknown> = {}): Promise<Array<Record<string, unknown>>> {
    return (await this.ch.client.query({ query, query_params, format: 'JSONEachRow' })).json<Record<string, unknown>>()
  }

  private async insert(table: string, values: object[]): Promise<void> {
    await this.ch.client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } })
  }

  async putToken(t: TokenRow & { token_sha256: string }): Promise<void> {
    await this.insert('patient_tokens', [{ ...t, issued_time: dt(t.issued_time), expires_time: dt(t.expires_time), revoked_time: t.revoked_time === null ? null : dt(t.revoked_time), version: dt(Date.now()) }])
  }

  private static token(r: Record<string, unknown>): TokenRow & { token_sha256: string } {
    return { token_id: String(r.token_id), token_sha256: String(r.h), patient_id: String(r.p), issued_by: String(r.by), issued_time: Number(r.it), expires_time: Number(r.et), revoked_time: ms(r.rt) }
  }

  private readonly tokenSelect = `SELECT token_id, argMax(token_sha256, version) AS h, argMax(patient_id, version) AS p, argMax(issued_by, version) AS by,
      toUnixTimestamp64Milli(argMax(issued_time, version)) AS it, toUnixTimestamp64Milli(argMax(expires_time, version)) AS et,
      toUnixTimestamp64Milli(argMax(revoked_time, version)) AS rt FROM patient_tokens`

  async tokenByHash(hash: string): Promise<(TokenRow & { token_sha256: string }) | null> {
    const rows = await this.rows(`${this.tokenSelect} WHERE token_id IN (SELECT token_id FROM patient_tokens WHERE token_sha256 = {h:String}) GROUP BY token_id`, { h: hash })
    return rows.length > 0 ? SurveyStore.token(rows[0]!) : null
  }

  async tokenById(id: string): Promise<(TokenRow & { token_sha256: string }) | null> {
    const rows = await this.rows(`${this.tokenSelect} WHERE token_id = {id:String} GROUP BY token_id`, { id })
    return rows.length > 0 ? SurveyStore.token(rows[0]!) : null
  }

  async tokenUse(u: { token_id: string; patient_id: string; route: string; outcome: string; address: string; user_agent: string }): Promise<void> {
    await this.insert('patient_token_uses', [{ ...u, at: dt(Date.now()) }])
  }

  async tokenUses(patientId: string): Promise<Array<{ token_id: string; route: string; outcome: string }>> {
    const rows = await this.rows('SELECT token_id, route, outcome FROM patient_token_uses WHERE patient_id = {p:String} ORDER BY at', { p: patientId })
    return rows.map((r) => ({ token_id: String(r.token_id), route: String(r.route), outcome: String(r.outcome) }))
  }

  async putCycle(c: Cycle, by: string): Promise<void> {
    await this.insert('survey_cycles', [{ ...c, start_time: dt(c.start_time), enrolled_by: by, version: dt(Date.now()) }])
  }

  async cycles(patientId: string): Promise<Cycle[]> {
    const rows = await this.rows(
      `SELECT cycle_id, argMax(regimen, version) AS regimen, toUnixTimestamp64Milli(argMax(start_time, version)) AS start, argMax(days, version) AS cycle_days
        FROM survey_cycles WHERE patient_id = {p:String} GROUP BY cycle_id ORDER BY start`, { p: patientId })
    return rows.map((r) => ({ cycle_id: String(r.cycle_id), patient_id: patientId, regimen: String(r.regimen), start_time: Number(r.start), days: Number(r.cycle_days) }))
  }

  /** Every patient with a cycle running at `now` (for reminders). */
  async activeCycles(now: number): Promise<Cycle[]> {
    const rows = await this.rows(
      `SELECT patient_id, cycle_id, argMax(regimen, version) AS regimen, toUnixTimestamp64Milli(argMax(start_time, version)) AS start, argMax(days, version) AS cycle_days
        FROM survey_cycles GROUP BY patient_id, cycle_id
        HAVING start <= {now:Int64} AND start + toInt64(cycle_days) * 86400000 + 86400000 > {now:Int64}`, { now })
    return rows.map((r) => ({ cycle_id: String(r.cycle_id), patient_id: String(r.patient_id), regimen: String(r.regimen), start_time: Number(r.start), days: Number(r.cycle_days) }))
  }

  async putResponse(r: ResponseRow): Promise<void> {
    await this.insert('survey_responses', [{ ...r, due_time: dt(r.due_time), submitted_time: dt(r.submitted_time), review_due: dt(r.review_due) }])
  }

  private static response(r: Record<string, unknown>): ResponseRow {
    return {
      response_id: String(r.response_id), patient_id: String(r.patient_id), cycle_id: String(r.cycle_id), cycle_day: Number(r.cycle_day),
      due_time: Number(r.due), submitted_time: Number(r.sub), answers: String(r.answers), answers_sha256: String(r.answers_sha256),
      risk: String(r.risk), reasons: (r.reasons as string[]).map(String), review_due: Number(r.rd), site: String(r.site), ward: String(r.ward),
    }
  }

  private readonly responseSelect = `SELECT response_id, patient_id, cycle_id, cycle_day, toUnixTimestamp64Milli(due_time) AS due, toUnixTimestamp64Milli(submitted_time) AS sub,
      answers, answers_sha256, risk, reasons, toUnixTimestamp64Milli(review_due) AS rd, site, ward FROM survey_responses FINAL`

  async responses(patientId: string): Promise<ResponseRow[]> {
    return (await this.rows(`${this.responseSelect} WHERE patient_id = {p:String} ORDER BY submitted_time`, { p: patientId })).map(SurveyStore.response)
  }

  async response(responseId: string): Promise<ResponseRow | null> {
    const rows = await this.rows(`${this.responseSelect} WHERE response_id = {r:String} LIMIT 1`, { r: responseId })
    return rows.length > 0 ? SurveyStore.response(rows[0]!) : null
  }

  /** Responses not yet reviewed, newest 2,000. */
  async unreviewed(): Promise<ResponseRow[]> {
    return (await this.rows(
      `${this.responseSelect} WHERE response_id NOT IN (SELECT response_id FROM survey_events WHERE kind = 'reviewed') ORDER BY submitted_time DESC LIMIT 2000`,
    )).map(SurveyStore.response)
  }

  async putEvent(e: EventRow): Promise<void> {
    await this.insert('survey_events', [{ ...e, at: dt(e.at) }])
  }

  async events(kind: string, ids: string[]): Promise<EventRow[]> {
    if (ids.length === 0) return []
    const rows = await this.rows(
      `SELECT response_id, patient_id, kind, by, toUnixTimestamp64Milli(at) AS t, detail, site, ward FROM survey_events WHERE kind = {k:String} AND response_id IN {ids:Array(String)} ORDER BY at`,
      { k: kind, ids })
    return rows.map((r) => ({ response_id: String(r.response_id), patient_id: String(r.patient_id), kind: String(r.kind), by: String(r.by), at: Number(r.t), detail: String(r.detail), site: String(r.site), ward: String(r.ward) }))
  }

  /** Out-of-range home readings not yet reviewed. */
  async openVitalAlerts(): Promise<EventRow[]> {
    const rows = await this.rows(
      `SELECT response_id, patient_id, kind, by, toUnixTimestamp64Milli(at) AS t, detail, site, ward FROM survey_events
        WHERE kind = 'vitals_out_of_range' AND response_id NOT IN (SELECT response_id FROM survey_events WHERE kind = 'reviewed') ORDER BY at DESC LIMIT 2000`)
    return rows.map((r) => ({ response_id: String(r.response_id), patient_id: String(r.patient_id), kind: String(r.kind), by: String(r.by), at: Number(r.t), detail: String(r.detail), site: String(r.site), ward: String(r.ward) }))
  }

  /** A patient's home readings (flag patient_reported) since `from`, newest first. */
  async homeReadings(patientId: string, from: number, limit = 500): Promise<Array<{ time: number; name: string; label: string; value: number; unit: string }>> {
    const rows = await this.rows(
      `SELECT toUnixTimestamp64Milli(device_time) AS t, name, device_label, value, unit FROM observations
        WHERE patient_id = {p:String} AND device_time >= fromUnixTimestamp64Milli({from:Int64}) AND has(flags, 'patient_reported')
        ORDER BY device_time DESC, name LIMIT {limit:UInt32}`, { p: patientId, from, limit })
    return rows.map((r) => ({ time: Number(r.t), name: String(r.name), label: String(r.device_label), value: Number(r.value), unit: String(r.unit) }))
  }

  async putConsult(c: ConsultRow): Promise<void> {
    await this.insert('teleconsults', [{ ...c, at: dt(c.at), scheduled_time: c.scheduled_time === null ? null : dt(c.scheduled_time) }])
  }

  async consults(where: { consult_id?: string; response_ids?: string[] }): Promise<ConsultRow[]> {
    const cond = where.consult_id !== undefined ? 'consult_id = {c:String}' : 'response_id IN {ids:Array(String)}'
    const rows = await this.rows(
      `SELECT consult_id, argMax(response_id, at) AS r, argMax(patient_id, at) AS p, argMax(status, at) AS s, argMax(by, at) AS b, toUnixTimestamp64Milli(max(at)) AS t,
          toUnixTimestamp64Milli(argMax(scheduled_time, at)) AS st, argMax(note, at) AS n FROM teleconsults WHERE ${cond} GROUP BY consult_id ORDER BY t`,
      { c: where.consult_id ?? '', ids: where.response_ids ?? [] })
    return rows.map((r) => ({ consult_id: String(r.consult_id), response_id: String(r.r), patient_id: String(r.p), status: String(r.s), by: String(r.b), at: Number(r.t), scheduled_time: ms(r.st), note: String(r.n) }))
  }

  async putReminders(rows: Array<{ patient_id: string; response_id: string; kind: string; at: number }>): Promise<void> {
    if (rows.length > 0) await this.insert('survey_reminders', rows.map((r) => ({ ...r, at: dt(r.at) })))
  }

  async reminders(patientId: string): Promise<Array<{ response_id: string; kind: string; at: number }>> {
    const rows = await this.rows('SELECT response_id, kind, toUnixTimestamp64Milli(min(at)) AS t FROM survey_reminders WHERE patient_id = {p:String} GROUP BY response_id, kind ORDER BY t', { p: patientId })
    return rows.map((r) => ({ response_id: String(r.response_id), kind: String(r.kind), at: Number(r.t) }))
  }
}
