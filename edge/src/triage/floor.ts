// The safety floor: the model may escalate a patient, never de-escalate below NEWS2.
import type { TriageLevel } from '@neva/contracts'

const RANK: Record<TriageLevel, number> = { green: 0, yellow: 1, red: 2 }

/** The higher of NEWS2's level and the model's; NEWS2's alone when the model has no say. */
export function finalLevel(news2: TriageLevel, model: TriageLevel | null | undefined): TriageLevel {
  return model && RANK[model] > RANK[news2] ? model : news2
}
