// A survey's answers as a patient's phone sends them, checked item by item against the
// questionnaire: known items and attributes only, integer grades on each scale, a temperature a
// thermometer can give. Unanswered stays unanswered (never 0); a refusal names what was wrong.
import { ATTRIBUTES, ITEMS_BY_ID, SCALES, TEMPERATURE_C, type Attribute } from './questionnaire.js'

export type ItemAnswer = Partial<Record<Attribute, number>> & { temperature_c?: number | null }
export type SurveyAnswers = Record<string, ItemAnswer>

export class AnswerError extends Error {}

export function checkAnswers(input: unknown): SurveyAnswers {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AnswerError('answers must be an object of item → attributes')
  const out: SurveyAnswers = {}
  for (const [id, raw] of Object.entries(input)) {
    const item = ITEMS_BY_ID.get(id)
    if (!item) throw new AnswerError(`unknown item ${JSON.stringify(id.slice(0, 40))}`)
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AnswerError(`${id}: expected an object of attributes`)
    const answer: ItemAnswer = {}
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      if (key === 'temperature_c' && item.temperature) {
        if (value === null) continue
        if (typeof value !== 'number' || !Number.isFinite(value) || value < TEMPERATURE_C.min || value > TEMPERATURE_C.max) {
          throw new AnswerError(`${id}.temperature_c must be a number of °C from ${TEMPERATURE_C.min} to ${TEMPERATURE_C.max}`)
        }
        answer.temperature_c = Math.round(value * 10) / 10
        continue
      }
      if (!(ATTRIBUTES as readonly string[]).includes(key) || !item.attributes.includes(key as Attribute)) throw new AnswerError(`${id}: ${JSON.stringify(key.slice(0, 40))} is not asked for this item`)
      const max = SCALES[key as Attribute].length - 1
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw new AnswerError(`${id}.${key} must be an integer from 0 to ${max}`)
      answer[key as Attribute] = value
    }
    if (Object.keys(answer).length > 0) out[id] = answer
  }
  if (Object.keys(out).length === 0) throw new AnswerError('no item is answered')
  return out
}

/** The same answers always give the same text (keys sorted), so a resend can be recognised. */
export function canonical(answers: SurveyAnswers): string {
  const sorted = (o: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.keys(o).sort().map((k) => [k, typeof o[k] === 'object' && o[k] !== null ? sorted(o[k] as Record<string, unknown>) : o[k]]))
  return JSON.stringify(sorted(answers))
}
