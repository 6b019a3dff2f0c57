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
    if (!parameter || o.flags.some((f) => UNRELIABLE.has(f))) return
    let h = this.histories.get(o.patient_id)
    if (!h) this.histories.set(o.patient_id, (h = new PatientHistory()))
    h.add(parameter, parameter === 'consciousness' ? (ACVPU[o.value] ?? 'U') : parameter === 'on_oxygen' ? (onOxygen(o) ? 1 : 0) : o.value, o.device_time)
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
