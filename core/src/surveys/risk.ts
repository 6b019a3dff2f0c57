// Applies RISK_RULES to one survey's answers: the verdict and every reason behind it.
import { ITEMS_BY_ID, SCALES } from './questionnaire.js'
import { RISK_LEVELS, RISK_RULES, type RiskLevel, type RiskRule } from './risk-rules.js'
import { inNadir, type Regimen } from './schedule.js'
import type { SurveyAnswers } from './answers.js'

export interface RiskReason { rule: string; level: RiskLevel; text: string }
export interface RiskVerdict { level: RiskLevel; reasons: RiskReason[] }

const fill = (template: string, values: Record<string, string | number>) =>
  template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m))

function matches(rule: RiskRule, answers: SurveyAnswers, day: number, regimen: Regimen): string[] {
  const w = rule.when
  if ('temperature_at_least' in w) {
    const t = answers.fever?.temperature_c
    if (t === undefined || t === null || t < w.temperature_at_least) return []
    if (w.cycle_days === 'nadir' && !inNadir(regimen, day)) return []
    if (w.cycle_days === 'outside_nadir' && inNadir(regimen, day)) return []
    if (Array.isArray(w.cycle_days) && (day < w.cycle_days[0] || day > w.cycle_days[1])) return []
    return [fill(rule.reason, { value: t.toFixed(1), day })]
  }
  if ('present' in w) {
    return w.present.filter((id) => answers[id]?.presence === 1).map((id) => fill(rule.reason, { item: ITEMS_BY_ID.get(id)?.label ?? id }))
  }
  const hits = Object.entries(answers)
    .filter(([id, a]) => (w.items === undefined || w.items.includes(id)) && typeof a[w.attribute] === 'number' && a[w.attribute]! >= w.at_least)
  if (w.count !== undefined) return hits.length >= w.count ? [fill(rule.reason, { count: hits.length })] : []
  return hits.map(([id, a]) => fill(rule.reason, { item: ITEMS_BY_ID.get(id)?.label ?? id, grade: `${w.attribute} ${SCALES[w.attribute][a[w.attribute]!]}` }))
}

export function assessRisk(answers: SurveyAnswers, cycleDay: number, regimen: Regimen, rules: readonly RiskRule[] = RISK_RULES): RiskVerdict {
  const reasons: RiskReason[] = []
  for (const rule of rules) for (const text of matches(rule, answers, cycleDay, regimen)) reasons.push({ rule: rule.id, level: rule.level, text })
  const level = reasons.reduce<RiskLevel>((top, r) => (RISK_LEVELS.indexOf(r.level) > RISK_LEVELS.indexOf(top) ? r.level : top), 'none')
  reasons.sort((a, b) => RISK_LEVELS.indexOf(b.level) - RISK_LEVELS.indexOf(a.level))
  // A symptom a higher rule already names is not repeated by a lower one (severe is also moderate).
  const seen = new Set<string>()
  return { level, reasons: reasons.filter((r) => !seen.has(r.text) && seen.add(r.text)) }
}

export const riskRank = (level: string) => RISK_LEVELS.indexOf(level as RiskLevel)
