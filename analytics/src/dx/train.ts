// Training and held-out evaluation of the diagnosis model on the record in ClickHouse.
// Training reads only the training split (the SQL filters held-out patients out); evaluation
// reads only the held-out split and compares with the clinicians' own preliminary diagnoses.
import type { ClickHouse } from '../connection.js'
import { CALIBRATION_BUCKET, loadDxEncounters, type DxEncounter } from './dataset.js'
import type { DxInput } from './features.js'
import { fitDx, fitTemperature, predictDx, type DxExample, type DxModel } from './model.js'
import { DX_MODEL_ID, DxModelStore } from './store.js'

export interface DxTrainOptions {
  id?: string
  /** Default: the next free version in dx_models. */
  version?: number
  now?: number
}

/** Fits on the training split: counts on all but the calibration bucket, temperature on it, then counts on all. */
export function trainOn(encounters: readonly DxEncounter[], meta: { id: string; version: number; created: number }): DxModel {
  const examples = (list: readonly DxEncounter[]): DxExample[] => list.map((e) => ({ input: e.input, label: e.final }))
  const patients = new Set(encounters.map((e) => e.patient_id)).size
  const fit = encounters.filter((e) => e.bucket !== CALIBRATION_BUCKET)
  const calibration = encounters.filter((e) => e.bucket === CALIBRATION_BUCKET)
  // The preliminary use sees complaints only: calibrate for that.
  const temperature = fitTemperature(fitDx(examples(fit), { ...meta, patients }), examples(calibration).map((x) => ({ ...x, input: complaintOnly(x.input) })))
  return { ...fitDx(examples(encounters), { ...meta, patients }), temperature }
}

/** What a clinician has at the preliminary diagnosis: the complaint, age and sex. */
export function complaintOnly({ texts, codes, age, sex }: DxInput): DxInput {
  return { texts, ...(codes ? { codes } : {}), age, sex }
}

export interface DxEvaluation {
  n: number
  /** Complaint, age and sex only (the preliminary setting). */
  top1: number
  top3: number
  /** With the patient's record too (earlier diagnoses, labs): the final-check setting. */
  withRecord: { top1: number; top3: number }
  /** The clinicians' preliminary diagnosis against the final, on the same encounters. */
  clinicians: { top1: number; n: number }
  /** Top-1 recall per final diagnosis. */
  perDiagnosis: Array<{ icd10: string; n: number; recall: number; top3: number }>
  /** Most frequent final diagnoses as a constant guess: the chance level. */
  chance: { top1: number; top3: number }
}

export function evaluateOn(model: DxModel, encounters: readonly DxEncounter[]): DxEvaluation {
  let top1 = 0, top3 = 0, rec1 = 0, rec3 = 0, clin = 0, clinN = 0
  const per = new Map<string, { n: number; hit: number; hit3: number }>()
  for (const e of encounters) {
    const p = predictDx(model, complaintOnly(e.input)).map((c) => c.icd10)
    const r = predictDx(model, e.input).map((c) => c.icd10)
    const hit = p[0] === e.final
    if (hit) top1++
    if (p.includes(e.final)) top3++
    if (r[0] === e.final) rec1++
    if (r.includes(e.final)) rec3++
    if (e.preliminary) {
      clinN++
      if (e.preliminary === e.final) clin++
    }
    const d = per.get(e.final) ?? { n: 0, hit: 0, hit3: 0 }
    d.n++
    if (hit) d.hit++
    if (p.includes(e.final)) d.hit3++
    per.set(e.final, d)
  }
  const n = encounters.length
  const share = (x: number, of: number) => (of === 0 ? 0 : Math.round((x / of) * 1e4) / 1e4)
  const frequent = [...per.values()].map((d) => d.n).sort((a, b) => b - a)
  return {
    n,
    top1: share(top1, n),
    top3: share(top3, n),
    withRecord: { top1: share(rec1, n), top3: share(rec3, n) },
    clinicians: { top1: share(clin, clinN), n: clinN },
    perDiagnosis: [...per].map(([icd10, d]) => ({ icd10, n: d.n, recall: share(d.hit, d.n), top3: share(d.hit3, d.n) })).sort((a, b) => b.n - a.n),
    chance: { top1: share(frequent[0] ?? 0, n), top3: share(frequent.slice(0, 3).reduce((a, b) => a + b, 0), n) },
  }
}

export interface DxTrainResult {
  model: DxModel
  evaluation: DxEvaluation
}

/** Trains on the record's training split, evaluates on the held-out split, stores the new version. */
export async function trainDx(ch: ClickHouse, o: DxTrainOptions = {}): Promise<DxTrainResult> {
  const store = new DxModelStore(ch)
  const id = o.id ?? DX_MODEL_ID
  const train = await loadDxEncounters(ch, 'train')
  if (train.length === 0) throw new Error('no encounters with a final diagnosis and a complaint to learn from (fill the record first, e.g. neva sim emr)')
  const version = o.version ?? (await store.nextVersion(id))
  const model = trainOn(train, { id, version, created: o.now ?? Date.now() })
  const evaluation = evaluateOn(model, await loadDxEncounters(ch, 'held-out'))
  model.evaluation = { top1: evaluation.top1, top3: evaluation.top3, n: evaluation.n }
  await store.save(model, model.evaluation)
  return { model, evaluation }
}

/** Evaluates `model` (default: the newest stored) on the held-out split. */
export async function evaluateDx(ch: ClickHouse, model?: DxModel): Promise<{ model: DxModel; evaluation: DxEvaluation }> {
  const m = model ?? (await new DxModelStore(ch).latest())
  if (!m) throw new Error('no diagnosis model is stored: run neva model train-dx first')
  return { model: m, evaluation: evaluateOn(m, await loadDxEncounters(ch, 'held-out')) }
}
