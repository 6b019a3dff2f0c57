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
