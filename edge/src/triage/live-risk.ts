// The deterioration risk in the live stage: the patients' hourly histories scored by the pool's
// risk model when one is installed. What it returns sits in the verdict as model.risk with the
// model's name and inputs; too few bedside vitals and it says so (the level is then NEWS2's).
import type { ModelVerdict } from '@neva/contracts'
import type { RiskEscalation } from '@neva/triage'
import type { TriagePool } from './pool.js'
import { hourlyOfLab, hourlyOfObservation, RiskHistories, type RiskLab } from './risk-histories.js'
import type { ScoredObservation } from './triage-stage.js'

export type RiskFields = Required<Pick<ModelVerdict, 'risk' | 'risk_model' | 'risk_inputs'>> & Pick<ModelVerdict, 'sparse'>

export class LiveRisk {
  constructor(
    private readonly pool: TriagePool,
    readonly histories = new RiskHistories(),
    /** Where the histories are kept across a restart (none: they start empty). */
    private readonly path?: string,
  ) {}

  /**
   * Histories from the last save, so that a restart does not reset patients' hours; a file that
   * cannot be read is logged and the histories start empty.
   */
  static restore(pool: TriagePool, path: string, log?: (level: 'warn', msg: string, fields: Record<string, unknown>) => void): LiveRisk {
    let histories: RiskHistories
    try {
      histories = RiskHistories.load(path)
    } catch (err) {
      log?.('warn', 'risk histories not restored; starting empty', { path, err: (err as Error).message })
      histories = new RiskHistories()
    }
    return new LiveRisk(pool, histories, path)
  }

  /** Writes the histories where restore() reads them (no-op without a path). */
  save(): void {
    if (this.path) this.histories.save(this.path)
  }

  /** Whether a risk model is installed (readings are kept either way, for when one arrives). */
  active(): boolean {
    return this.pool.currentRisk() !== undefined
  }

  escalation(): RiskEscalation | undefined {
    return this.pool.currentRisk()?.escalation
  }

  observe(o: ScoredObservation): void {
    const h = hourlyOfObservation(o)
    if (h) this.histories.add(o.patient_id, h.parameter, h.value, h.time)
  }

  /** The patient whose history a lab result changed, if any. */
  lab(r: RiskLab): string | undefined {
    const h = hourlyOfLab(r)
    return h && this.histories.add(r.patient_id!, h.parameter, h.value, h.time) ? r.patient_id! : undefined
  }

  /** The patient's risk now; null without a risk model or a history. */
  async assess(patientId: string): Promise<RiskFields | null> {
    const manifest = this.pool.currentRisk()
    const row = manifest && this.histories.row(patientId)
    if (!manifest || !row) return null
    const out = await this.pool.risk(Float32Array.from(row.features), 1)
    if (!out) return null
    const result: RiskFields = { risk: out.risk[0]!, risk_model: `${out.manifest.id}@${out.manifest.version}`, risk_inputs: row.inputs }
    if (row.present < out.manifest.min_vitals) {
      result.sparse = `only ${row.present} of the 6 bedside vitals (${row.vitals.join(', ') || 'none'}); the model needs ${out.manifest.min_vitals}: the level is NEWS2's`
    }
    return result
  }
}
