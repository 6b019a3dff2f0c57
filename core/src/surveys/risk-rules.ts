// The risk rules a chemotherapist reads (and a site may change): data, evaluated by risk.ts.
// Each rule that matches gives its reason; the verdict is the highest level among them.
// Levels: high (contact the patient today), medium (review within the business day), low.

export const RISK_LEVELS = ['none', 'low', 'medium', 'high'] as const
export type RiskLevel = (typeof RISK_LEVELS)[number]

export type RiskCondition =
  /** A measured temperature at or above this, optionally only on these cycle days (inclusive). */
  | { temperature_at_least: number; cycle_days?: 'nadir' | 'outside_nadir' | readonly [number, number] }
  /** An attribute graded at least this on any of `items` (all items when left out). */
  | { attribute: 'frequency' | 'severity' | 'interference'; at_least: number; items?: readonly string[]; count?: number }
  /** Presence answered yes on one of `items`. */
  | { present: readonly string[] }

export interface RiskRule {
  id: string
  level: Exclude<RiskLevel, 'none'>
  when: RiskCondition
  /** Why, as the reviewer reads it; {item}, {grade}, {value}, {day}, {count} are filled in. */
  reason: string
}

export const RISK_RULES: readonly RiskRule[] = [
  { id: 'neutropenic-fever', level: 'high', when: { temperature_at_least: 38.0, cycle_days: 'nadir' },
    reason: 'temperature {value} °C on cycle day {day}, in the neutropenic window: possible febrile neutropenia' },
  { id: 'fever', level: 'medium', when: { temperature_at_least: 38.0, cycle_days: 'outside_nadir' },
    reason: 'temperature {value} °C on cycle day {day}' },
  { id: 'severe-symptom', level: 'high', when: { attribute: 'severity', at_least: 3 },
    reason: '{item}: {grade}' },
  { id: 'constant-losses', level: 'high', when: { attribute: 'frequency', at_least: 4, items: ['vomiting', 'diarrhoea'] },
    reason: '{item}: {grade} (risk of dehydration)' },
  { id: 'breathless', level: 'high', when: { attribute: 'interference', at_least: 3, items: ['shortness_of_breath'] },
    reason: '{item} interferes {grade} with usual activities' },
  { id: 'chills-with-fever-risk', level: 'medium', when: { attribute: 'severity', at_least: 2, items: ['chills'] },
    reason: '{item}: {grade}' },
  { id: 'several-moderate', level: 'medium', when: { attribute: 'severity', at_least: 2, count: 2 },
    reason: '{count} symptoms moderate or worse' },
  { id: 'interference', level: 'medium', when: { attribute: 'interference', at_least: 3 },
    reason: '{item} interferes {grade} with usual activities' },
  { id: 'rash', level: 'low', when: { present: ['rash'] }, reason: 'a new rash' },
  { id: 'one-moderate', level: 'low', when: { attribute: 'severity', at_least: 2 },
    reason: '{item}: {grade}' },
]
