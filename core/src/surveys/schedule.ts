// When a patient on chemotherapy answers: per regimen (data), a survey each day of the
// neutropenic window and every few days otherwise; due on its day, overdue once the day is over.
// The chemotherapist's review is due one business day after an answer arrives (weekends skipped;
// public holidays are not known here). Days are UTC days: see docs/surveys.md.

export interface Regimen {
  label: string
  cycleDays: number
  /** Cycle days (day 1 = the first day of the cycle) of the expected nadir, inclusive. */
  nadir: readonly [number, number]
  /** Outside the nadir a survey every this many days (days 1, 1+n, 1+2n…). */
  everyDays: number
}

export const REGIMENS: Readonly<Record<string, Regimen>> = {
  'q21d': { label: '3-weekly cycle', cycleDays: 21, nadir: [7, 14], everyDays: 3 },
  'q14d': { label: '2-weekly (dose-dense) cycle', cycleDays: 14, nadir: [5, 10], everyDays: 3 },
  'q28d': { label: '4-weekly cycle', cycleDays: 28, nadir: [10, 17], everyDays: 3 },
  'weekly': { label: 'weekly cycle', cycleDays: 7, nadir: [4, 6], everyDays: 3 },
}

export const DAY_MS = 86_400_000

export interface Cycle {
  cycle_id: string
  patient_id: string
  regimen: string
  start_time: number
  days: number
}

export type SurveyState = 'upcoming' | 'due' | 'overdue' | 'answered'

export interface ScheduledSurvey {
  response_id: string
  cycle_id: string
  cycle_day: number
  due_time: number
  /** When the survey stops being due and becomes overdue (the end of its day). */
  overdue_time: number
  nadir: boolean
}

/** Cycle day (1-based) of a time, or null before the cycle starts. */
export function cycleDay(cycle: Pick<Cycle, 'start_time'>, t: number): number | null {
  if (t < cycle.start_time) return null
  return Math.floor((t - cycle.start_time) / DAY_MS) + 1
}

export function inNadir(regimen: Regimen, day: number): boolean {
  return day >= regimen.nadir[0] && day <= regimen.nadir[1]
}

export function scheduleOf(cycle: Cycle): ScheduledSurvey[] {
  const regimen = REGIMENS[cycle.regimen]
  if (!regimen) return []
  const out: ScheduledSurvey[] = []
  for (let day = 1; day <= cycle.days; day++) {
    const nadir = inNadir(regimen, day)
    if (!nadir && (day - 1) % regimen.everyDays !== 0) continue
    const due = cycle.start_time + (day - 1) * DAY_MS
    out.push({ response_id: `${cycle.cycle_id}:d${day}`, cycle_id: cycle.cycle_id, cycle_day: day, due_time: due, overdue_time: due + DAY_MS, nadir })
  }
  return out
}

export function stateOf(s: ScheduledSurvey, now: number, answered: boolean): SurveyState {
  if (answered) return 'answered'
  if (now < s.due_time) return 'upcoming'
  return now < s.overdue_time ? 'due' : 'overdue'
}

const weekend = (t: number) => { const d = new Date(t).getUTCDay(); return d === 0 || d === 6 }

/**
 * One business day after `t`: the same time on the next weekday. An answer sent on a weekend
 * counts from Monday 00:00, so it is due Tuesday 00:00 (the end of Monday).
 */
export function reviewDeadline(t: number): number {
  let start = t
  if (weekend(start)) {
    start = Math.floor(start / DAY_MS) * DAY_MS
    while (weekend(start)) start += DAY_MS
  }
  let deadline = start + DAY_MS
  while (weekend(deadline)) deadline += DAY_MS
  return deadline
}
