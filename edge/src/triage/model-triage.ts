// The learned model's side of triage: each patient's recent history, its features, and the
// pool that scores them. Readings the device marked unreliable never reach the features.
import type { ModelVerdict } from '@neva/contracts'
import { ACVPU } from '@neva/contracts'
import { extractFeatures, normalize, PatientHistory, PARAMETER_OF, UNRELIABLE, onOxygen } from '@neva/triage'
import type { TriagePool } from './pool.js'
import type { ModelScorer, ScoredObservation } from './triage-stage.js'

export class ModelTriage implements ModelScorer {
  private readonly histories = new Map<string, PatientHistory>()

  constructor(private readonly pool: TriagePool) {}

  observe(o: ScoredObservation): void {
    const parameter = PARAMETER_OF[o.name]
    // A text or coded state (value_text, no number) never scores.
    if (!parameter || o.value === undefined || o.flags.some((f) => UNRELIABLE.has(f))) return
    const n = o.value
    let h = this.histories.get(o.patient_id)
    if (!h) this.histories.set(o.patient_id, (h = new PatientHistory()))
    h.add(parameter, parameter === 'consciousness' ? (ACVPU[n] ?? 'U') : parameter === 'on_oxygen' ? (onOxygen({ name: o.name, value: n }) ? 1 : 0) : n, o.device_time)
  }

  async verdict(patientId: string, spo2Scale: 1 | 2): Promise<ModelVerdict | null> {
    const manifest = this.pool.current()
    const h = this.histories.get(patientId)
    if (!manifest || !h) return null
    h.spo2Scale = spo2Scale
    const newest = h.newestTime()
    const raw = extractFeatures(h, newest)
    return this.pool.score(normalize(raw, manifest.features), raw)
  }
}
