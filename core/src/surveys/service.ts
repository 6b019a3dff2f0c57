// What the patient routes and the review queue do with the store: the schedule and states of a
// patient's surveys, an answer stored once with its risk, reminders, the queue's order.
import { createHash } from 'node:crypto'
import type { Place } from '@neva/contracts'
import { canSee } from '@neva/contracts'
import { CoreError } from '../errors.js'
import { AnswerError, canonical, checkAnswers } from './answers.js'
import { QUESTIONNAIRE_ID } from './questionnaire.js'
import { assessRisk, riskRank } from './risk.js'
import { REGIMENS, reviewDeadline, scheduleOf, stateOf, type ScheduledSurvey, type SurveyState } from './schedule.js'
import type { ConsultRow, EventRow, ResponseRow, SurveyStore } from './store.js'

export interface SurveyListing extends ScheduledSurvey { state: SurveyState; questionnaire: string }

export class Surveys {
  /** Answers being stored, so that two copies sent at once are stored once. */
  private readonly inFlight = new Map<string, Promise<unknown>>()
  constructor(readonly store: SurveyStore) {}

  async listing(patientId: string, now: number): Promise<SurveyListing[]> {
    const [cycles, answered] = await Promise.all([this.store.cycles(patientId), this.store.responses(patientId)])
    const done = new Set(answered.map((r) => r.response_id))
    return cycles.flatMap(scheduleOf).map((s) => ({ ...s, state: stateOf(s, now, done.has(s.response_id)), questionnaire: QUESTIONNAIRE_ID }))
  }

  async submit(patientId: string, responseId: string, body: unknown, place: Place | null, now: number): Promise<{ stored: boolean; response: ResponseRow }> {
    const key = `${patientId}\n${responseId}`
    while (this.inFlight.has(key)) await this.inFlight.get(key)!.catch(() => {})
    const work = this.submitOnce(patientId, responseId, body, place, now)
    this.inFlight.set(key, work)
    try {
      return await work
    } finally {
      this.inFlight.delete(key)
    }
  }

  private async submitOnce(patientId: string, responseId: string, body: unknown, place: Place | null, now: number): Promise<{ stored: boolean; response: ResponseRow }> {
    let answers
    try {
      answers = checkAnswers(body)
    } catch (err) {
      if (err instanceof AnswerError) throw new CoreError('NEVA_CORE_SURVEY_BAD_ANSWERS', err.message)
      throw err
    }
    const text = canonical(answers)
    const sha = createHash('sha256').update(text).digest('hex')
    const existing = (await this.store.responses(patientId)).find((r) => r.response_id === responseId)
    if (existing) {
      if (existing.answers_sha256 !== sha) throw new CoreError('NEVA_CORE_SURVEY_CONFLICT')
      return { stored: false, response: existing }
    }
    const cycles = await this.store.cycles(patientId)
    const cycle = cycles.find((c) => scheduleOf(c).some((s) => s.response_id === responseId))
    const scheduled = cycle && scheduleOf(cycle).find((s) => s.response_id === responseId)
    if (!cycle || !scheduled) throw new CoreError('NEVA_CORE_SURVEY_NOT_FOUND', responseId)
    if (now < scheduled.due_time) throw new CoreError('NEVA_CORE_SURVEY_NOT_DUE', responseId)
    const verdict = assessRisk(answers, scheduled.cycle_day, REGIMENS[cycle.regimen]!)
    const response: ResponseRow = {
      response_id: responseId, patient_id: patientId, cycle_id: cycle.cycle_id, cycle_day: scheduled.cycle_day, due_time: scheduled.due_time, submitted_time: now,
      answers: text, answers_sha256: sha, risk: verdict.level, reasons: verdict.reasons.map((r) => `${r.level}: ${r.text}`), review_due: reviewDeadline(now),
      site: place?.site ?? '', ward: place?.ward ?? '',
    }
    await this.store.putResponse(response)
    return { stored: true, response }
  }

  /**
   * Reminder events for every running cycle: a survey that came due gets a "due" reminder, one
   * left unanswered past its day an "overdue" one, each once. Returns how many were written.
   */
  async remind(now: number): Promise<number> {
    const rows: Array<{ patient_id: string; response_id: string; kind: string; at: number }> = []
    for (const cycle of await this.store.activeCycles(now)) {
      const [answered, sent] = await Promise.all([this.store.responses(cycle.patient_id), this.store.reminders(cycle.patient_id)])
      const done = new Set(answered.map((r) => r.response_id))
      const already = new Set(sent.map((r) => `${r.response_id}\n${r.kind}`))
      for (const s of scheduleOf(cycle)) {
        const state = stateOf(s, now, done.has(s.response_id))
        if ((state === 'due' || state === 'overdue') && !already.has(`${s.response_id}\n${state}`)) rows.push({ patient_id: cycle.patient_id, response_id: s.response_id, kind: state, at: now })
      }
    }
    await this.store.putReminders(rows)
    return rows.length
  }

  /**
   * Writes an `escalated` event, once, for each of `responses` (default: every unreviewed one)
   * past its review deadline; the background task runs it every minute, so escalation does not
   * wait for someone to open the queue. Returns the ids escalated so far among them.
   */
  async escalate(responses?: ResponseRow[], now = Date.now()): Promise<Set<string>> {
    const list = responses ?? (await this.store.unreviewed())
    const escalated = new Set((await this.store.events('escalated', list.map((r) => r.response_id))).map((e) => e.response_id))
    const fresh: EventRow[] = list.filter((r) => r.review_due <= now && !escalated.has(r.response_id))
      .map((r) => ({ response_id: r.response_id, patient_id: r.patient_id, kind: 'escalated', by: 'neva', at: now, detail: 'review not done within one business day', site: r.site, ward: r.ward }))
    for (const e of fresh) {
      await this.store.putEvent(e)
      escalated.add(e.response_id)
    }
    return escalated
  }

  /**
   * The review queue a user may see: unreviewed survey answers and out-of-range home readings on
   * wards or sites granted to them. Overdue reviews are escalated (an event, once) and come first,
   * then by risk, then by deadline.
   */
  async queue(user: Parameters<typeof canSee>[0], now: number): Promise<QueueItem[]> {
    const [responses, vitals] = await Promise.all([this.store.unreviewed(), this.store.openVitalAlerts()])
    const visible = responses.filter((r) => canSee(user, { site: r.site, ward: r.ward || null }))
    const ids = visible.map((r) => r.response_id)
    const [escalated, consults] = await Promise.all([this.escalate(visible, now), this.store.consults({ response_ids: ids })])
    const items: QueueItem[] = visible.map((r) => ({
      kind: 'survey', id: r.response_id, patient_id: r.patient_id, risk: r.risk, reasons: r.reasons, cycle_day: r.cycle_day, submitted_time: r.submitted_time,
      review_due: r.review_due, overdue: r.review_due <= now, escalated: escalated.has(r.response_id), site: r.site, ward: r.ward,
      answers: JSON.parse(r.answers) as unknown, consults: consults.filter((c) => c.response_id === r.response_id),
    }))
    for (const v of vitals) {
      if (!canSee(user, { site: v.site, ward: v.ward || null })) continue
      const due = reviewDeadline(v.at)
      items.push({ kind: 'home_vitals', id: v.response_id, patient_id: v.patient_id, risk: 'medium', reasons: [`medium: ${v.detail}`], cycle_day: null, submitted_time: v.at,
        review_due: due, overdue: due <= now, escalated: due <= now, site: v.site, ward: v.ward, answers: null, consults: [] })
    }
    items.sort((a, b) => Number(b.escalated) - Number(a.escalated) || riskRank(b.risk) - riskRank(a.risk) || a.review_due - b.review_due)
    return items
  }
}

export interface QueueItem {
  kind: 'survey' | 'home_vitals'
  id: string
  patient_id: string
  risk: string
  reasons: string[]
  cycle_day: number | null
  submitted_time: number
  review_due: number
  overdue: boolean
  escalated: boolean
  site: string
  ward: string
  answers: unknown
  consults: ConsultRow[]
}

export const CONSULT_NEXT: Record<string, readonly string[]> = { requested: ['scheduled', 'cancelled'], scheduled: ['done', 'cancelled'], done: [], cancelled: [] }
