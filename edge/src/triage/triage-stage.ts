// Triage stage: after readings are durable, rescores the patients they touched and appends a
// TriageResult to the outbox whenever a patient's assessment changes.
import type { ModelVerdict, Observation, TriageLevel, TriageResult } from '@neva/contracts'
import type { Outbox } from '../outbox/types.js'
import { finalLevel, levelWithRisk, news2, PatientState } from '@neva/triage'
import type { Log } from '../log.js'
import type { LiveRisk, RiskFields } from './live-risk.js'
import type { RiskLab } from './risk-histories.js'

export const NEWS2_MODEL_VERSION = 'news2-rcp-2017'

export type ScoredObservation = Pick<Observation, 'patient_id' | 'name' | 'value' | 'device_time' | 'flags'>

/** The learned model's side: it sees every reading and gives a verdict on request. */
export interface ModelScorer {
  observe(o: ScoredObservation): void
  /** null when no model is installed or it failed this time (NEWS2 still scores). */
  verdict(patientId: string, spo2Scale: 1 | 2): Promise<ModelVerdict | null>
}

export interface TriageStageOptions {
  outbox: Outbox
  model?: ModelScorer
  /** The deterioration model's side; its risk rides on the model's verdict (model.risk). */
  risk?: LiveRisk
  onResult?: (result: Omit<TriageResult, 'gateway_id' | 'seq'>) => void
  log?: Log
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

  /**
   * Scores the touched patients; resolves when their results are durable. A patient is scored
   * once at a time: readings that arrive while an assessment is running update the state and ask
   * for one more afterwards, so one busy connection costs a rescore per assessment, not per
   * message (and no queue of scorings grows behind it).
   */
  async consume(observations: readonly ScoredObservation[], labs: readonly RiskLab[] = []): Promise<void> {
    const touched = new Set<string>()
    // Histories are kept only while a risk model runs: without one a reading costs what it did.
    const risk = this.options.risk?.active() ? this.options.risk : undefined
    for (const o of observations) {
      this.options.model?.observe(o)
      risk?.observe(o)
      if (this.patient(o.patient_id).update(o)) touched.add(o.patient_id)
    }
    // Lab results move only the risk: they ask for a rescore only when a risk model runs.
    for (const r of labs) {
      const id = risk?.lab(r)
      if (id && this.patients.has(id)) touched.add(id)
    }
    await Promise.all([...touched].map((id) => this.schedule(id)))
  }

  /** Keeps the deterioration model's histories for the next start; a failure is logged, never thrown. */
  persist(): void {
    try {
      this.options.risk?.save()
    } catch (err) {
      this.options.log?.('warn', 'risk histories not saved', { err: (err as Error).message })
    }
  }

  /** Patients being scored now, and those with one more scoring asked for (both bounded by patients). */
  pending(): { running: number; queued: number } {
    return { running: this.running.size, queued: this.queued.size }
  }

  private readonly running = new Map<string, Promise<void>>()
  private readonly queued = new Map<string, Promise<void>>()

  private schedule(id: string): Promise<void> {
    const queued = this.queued.get(id)
    if (queued) return queued
    const running = this.running.get(id)
    if (!running) return this.start(id)
    const again = () => {
      this.queued.delete(id)
      return this.start(id)
    }
    const next = running.then(again, again)
    this.queued.set(id, next)
    return next
  }

  private start(id: string): Promise<void> {
    const run: Promise<void> = this.assessAndAppend(id).finally(() => {
      if (this.running.get(id) === run) this.running.delete(id)
    })
    this.running.set(id, run)
    return run
  }

  private async assessAndAppend(id: string): Promise<void> {
    const result = await this.assess(id)
    if (!result) return
    await this.options.outbox.append([{ kind: 'triage' as const, body: result }])
    this.options.onResult?.(result)
  }

  private async assess(id: string): Promise<Omit<TriageResult, 'gateway_id' | 'seq'> | undefined> {
    const state = this.patient(id)
    const score = news2(state.vitalSet())
    const [verdict, risk] = await Promise.all([
      this.options.model
        ? this.options.model.verdict(id, state.spo2Scale).catch((err: Error) => {
            this.options.log?.('warn', 'triage model failed; NEWS2 alone this time', { patient_id: id, err: err.message })
            return null
          })
        : null,
      this.options.risk?.active()
        ? this.options.risk.assess(id).catch((err: Error) => {
            this.options.log?.('warn', 'deterioration model failed; no risk this time', { patient_id: id, err: err.message })
            return null
          })
        : null,
    ])
    // The risk rides on the verdict, which names the model and its inputs; without a verdict
    // (no triage model installed) it is not used.
    const model: ModelVerdict | null = verdict && risk ? { ...verdict, ...risk } : verdict
    const level = this.levelOf(score.level, model)
    // Emitted when the assessment changes, not with every wiggle of a probability (the risk
    // counts by the percentage point).
    const fingerprint = JSON.stringify([
      score.score, score.level, score.subscores, score.spo2_scale, model?.level ?? null, model?.version ?? null,
      ...(model?.risk !== undefined ? [level, model.risk_model, Math.round(model.risk * 100), model.sparse ?? null] : []),
    ])
    if (fingerprint === state.lastEmitted) return undefined
    state.lastEmitted = fingerprint
    state.lastModel = model
    return {
      patient_id: id,
      time: state.time(),
      level,
      news2: score,
      model_version: model ? `${model.id}@${model.version}` : NEWS2_MODEL_VERSION,
      model,
      inputs: state.inputs(),
    }
  }

  /** With a risk: NEWS2's level raised only by it (levelWithRisk); else the higher of NEWS2's and the model's. */
  private levelOf(news2Level: TriageLevel, model: ModelVerdict | null): TriageLevel {
    if (model?.risk !== undefined) return levelWithRisk(news2Level, model as RiskFields, this.options.risk?.escalation())
    return finalLevel(news2Level, model?.level)
  }

  /** Current assessment of every patient seen by this gateway. */
  snapshot(): Array<{ patient_id: string; level: string; news2: ReturnType<typeof news2>; model: ModelVerdict | null; time: number }> {
    return [...this.patients].map(([patient_id, state]) => {
      const score = news2(state.vitalSet())
      // The final level, as the last result stated it: the model's verdict with NEWS2 as its floor.
      return { patient_id, level: this.levelOf(score.level, state.lastModel), news2: score, model: state.lastModel, time: state.time() }
    })
  }
}
