// Triage stage: after readings are durable, rescores the patients they touched and appends a
// TriageResult to the outbox whenever a patient's assessment changes.
import type { Observation, TriageResult } from '@neva/contracts'
import type { Outbox } from '../outbox/types.js'
import { news2 } from './news2.js'
import { PatientState } from './patient-state.js'

export const NEWS2_MODEL_VERSION = 'news2-rcp-2017'

export type ScoredObservation = Pick<Observation, 'patient_id' | 'name' | 'value' | 'device_time' | 'flags'>

export interface TriageStageOptions {
  outbox: Outbox
  onResult?: (result: Omit<TriageResult, 'gateway_id' | 'seq'>) => void
}

export class TriageStage {
  private readonly patients = new Map<string, PatientState>()
  private readonly options: TriageStageOptions

  constructor(options: TriageStageOptions) {
    this.options = options
  }

  setSpo2Scale(patientId: string, scale: 1 | 2): void {
    this.patient(patientId).spo2Scale = scale
  }

  private patient(id: string): PatientState {
    let p = this.patients.get(id)
    if (!p) this.patients.set(id, (p = new PatientState()))
    return p
  }

  /** Scores the touched patients; resolves when their results are durable. */
  async consume(observations: readonly ScoredObservation[]): Promise<void> {
    const touched = new Set<string>()
    for (const o of observations) if (this.patient(o.patient_id).update(o)) touched.add(o.patient_id)
    const results: Array<Omit<TriageResult, 'gateway_id' | 'seq'>> = []
    for (const id of touched) {
      const state = this.patient(id)
      const score = news2(state.vitalSet())
      const fingerprint = JSON.stringify([score.score, score.level, score.subscores, score.spo2_scale])
      if (fingerprint === state.lastEmitted) continue
      state.lastEmitted = fingerprint
      results.push({ patient_id: id, time: state.time(), level: score.level, news2: score, model_version: NEWS2_MODEL_VERSION, inputs: state.inputs() })
    }
    if (results.length === 0) return
    await this.options.outbox.append(results.map((body) => ({ kind: 'triage' as const, body })))
    for (const r of results) this.options.onResult?.(r)
  }

  /** Current assessment of every patient seen by this gateway. */
  snapshot(): Array<{ patient_id: string; level: string; news2: ReturnType<typeof news2>; time: number }> {
    return [...this.patients].map(([patient_id, state]) => {
      const score = news2(state.vitalSet())
      return { patient_id, level: score.level, news2: score, time: state.time() }
    })
  }
}
