// The safety floor: the model may escalate a patient, never de-escalate below NEWS2. Shared by
// the gateway and the model's evaluation, so that what is measured is what runs.
import type { ModelManifest, TriageLevel } from '@neva/contracts'

const RANK: Record<TriageLevel, number> = { green: 0, yellow: 1, red: 2 }

/** The higher of NEWS2's level and the model's; NEWS2's alone when the model has no say. */
export function finalLevel(news2: TriageLevel, model: TriageLevel | null | undefined): TriageLevel {
  return model && RANK[model] > RANK[news2] ? model : news2
}

/** The model's level from its probabilities and the manifest's thresholds. */
export function modelLevel(p: { green: number; yellow: number; red: number }, t: ModelManifest['thresholds']): TriageLevel {
  if (p.red >= t.red) return 'red'
  if (p.yellow + p.red >= t.yellow) return 'yellow'
  return 'green'
}

/**
 * The deterioration model's escalation: calibrated risks at or above which it raises NEWS2's level
 * to yellow or red (null: never). Chosen in training so that, on cross-validated snapshots, it
 * flags few patients NEWS2 would not (model card); it never lowers a level.
 */
export interface RiskEscalation {
  yellow: number | null
  red: number | null
}

/** The level the risk alone asks for. */
export function riskLevel(risk: number, e: RiskEscalation): TriageLevel {
  if (!Number.isFinite(risk)) return 'green'
  if (e.red !== null && risk >= e.red) return 'red'
  if (e.yellow !== null && risk >= e.yellow) return 'yellow'
  return 'green'
}

/**
 * The final level when the deterioration model runs: NEWS2's, raised only by a risk at or above
 * the escalation thresholds, and not at all from sparse inputs or without thresholds. The
 * simulated triage model's level is not used then: on real emergency visits it flagged 30 more
 * patients without the event than NEWS2 (issue 15).
 */
export function levelWithRisk(news2: TriageLevel, risk: { risk: number; sparse?: string } | null, e: RiskEscalation | null | undefined): TriageLevel {
  if (!risk || risk.sparse || !e) return news2
  return finalLevel(news2, riskLevel(risk.risk, e))
}
