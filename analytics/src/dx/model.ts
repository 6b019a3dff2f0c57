// The diagnosis model: multinomial naive Bayes with one multinomial per feature group (so a group
// that is often present, such as lab results, does not dilute the words of the others), Laplace
// smoothing, and a softmax temperature fitted on patients kept aside from fitting the counts,
// because naive Bayes multiplies correlated evidence and is overconfident otherwise.
// Deterministic; a prediction is a few map look-ups per feature.
import { FEATURE_GROUPS, features, type DxInput, type FeatureGroup } from './features.js'

export const DX_MODEL_FORMAT = 'neva-dx-nb/1'

export interface DxModel {
  format: typeof DX_MODEL_FORMAT
  id: string
  version: number
  /** Epoch ms. */
  created: number
  classes: string[]
  logPrior: number[]
  temperature: number
  /** Per group: log P(feature | class) for each known feature. */
  groups: Record<FeatureGroup, Record<string, number[]>>
  trained_on: { patients: number; encounters: number }
  /** Held-out figures measured when it was trained. */
  evaluation?: { top1: number; top3: number; n: number }
}

export interface DxExample {
  input: DxInput
  /** The encounter's final ICD-10. */
  label: string
}

export interface DxCandidate {
  icd10: string
  p: number
}

const ALPHA = 0.5
const round = (x: number) => Math.round(x * 1e4) / 1e4

/** Fits the counts; temperature 1 (see `withTemperature`). */
export function fitDx(examples: readonly DxExample[], meta: { id: string; version: number; created: number; patients: number }): DxModel {
  const classes = [...new Set(examples.map((e) => e.label))].sort()
  const index = new Map(classes.map((c, i) => [c, i]))
  const docs = new Array<number>(classes.length).fill(0)
  const counts = Object.fromEntries(FEATURE_GROUPS.map((g) => [g, new Map<string, number[]>()])) as Record<FeatureGroup, Map<string, number[]>>
  const totals = Object.fromEntries(FEATURE_GROUPS.map((g) => [g, new Array<number>(classes.length).fill(0)])) as Record<FeatureGroup, number[]>
  for (const e of examples) {
    const c = index.get(e.label)!
    docs[c]!++
    const f = features(e.input)
    for (const g of FEATURE_GROUPS) {
      for (const name of f[g]) {
        let row = counts[g].get(name)
        if (!row) counts[g].set(name, (row = new Array<number>(classes.length).fill(0)))
        row[c]!++
        totals[g][c]!++
      }
    }
  }
  const groups = {} as DxModel['groups']
  for (const g of FEATURE_GROUPS) {
    const vocabulary = counts[g].size
    const table: Record<string, number[]> = {}
    for (const [name, row] of [...counts[g]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      table[name] = row.map((n, c) => round(Math.log((n + ALPHA) / (totals[g][c]! + ALPHA * vocabulary))))
    }
    groups[g] = table
  }
  return {
    format: DX_MODEL_FORMAT,
    id: meta.id,
    version: meta.version,
    created: meta.created,
    classes,
    logPrior: docs.map((n) => round(Math.log((n + ALPHA) / (examples.length + ALPHA * classes.length)))),
    temperature: 1,
    groups,
    trained_on: { patients: meta.patients, encounters: examples.length },
  }
}

/** Unnormalized log scores, one per class. Features never seen in training are no evidence. */
export function scores(model: DxModel, input: DxInput): number[] {
  const s = model.logPrior.slice()
  const f = features(input)
  for (const g of FEATURE_GROUPS) {
    const table = model.groups[g]
    for (const name of f[g]) {
      const row = Object.hasOwn(table, name) ? table[name] : undefined
      if (row) for (let c = 0; c < s.length; c++) s[c]! += row[c]!
    }
  }
  return s
}

function softmax(s: readonly number[], temperature: number): number[] {
  const max = Math.max(...s)
  const e = s.map((x) => Math.exp((x - max) / temperature))
  const sum = e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / sum)
}

/** The `k` most likely ICD-10 codes, most likely first. */
export function predictDx(model: DxModel, input: DxInput, k = 3): DxCandidate[] {
  const p = softmax(scores(model, input), model.temperature)
  return p
    .map((pc, c) => ({ icd10: model.classes[c]!, p: pc }))
    .sort((a, b) => b.p - a.p || (a.icd10 < b.icd10 ? -1 : 1))
    .slice(0, k)
    .map((x) => ({ icd10: x.icd10, p: round(x.p) }))
}

/** The temperature that minimizes log loss on `examples` (which the counts were not fitted on). */
export function fitTemperature(model: DxModel, examples: readonly DxExample[]): number {
  const index = new Map(model.classes.map((c, i) => [c, i]))
  const scored = examples.flatMap((e) => {
    const c = index.get(e.label)
    return c === undefined ? [] : [{ s: scores(model, e.input), c }]
  })
  if (scored.length === 0) return 1
  let best = { t: 1, loss: Infinity }
  for (let t = 0.5; t <= 8.0001; t += 0.25) {
    let loss = 0
    for (const { s, c } of scored) loss -= Math.log(Math.max(1e-12, softmax(s, t)[c]!))
    if (loss < best.loss) best = { t, loss }
  }
  return best.t
}

/** Checks that a parsed JSON artifact is a model this code can use. */
export function parseDxModel(json: unknown): DxModel {
  const m = json as Partial<DxModel> | null
  if (!m || m.format !== DX_MODEL_FORMAT) throw new Error(`not a diagnosis model: expected format ${DX_MODEL_FORMAT}, got ${JSON.stringify(m?.format)}`)
  if (!Array.isArray(m.classes) || !Array.isArray(m.logPrior) || m.classes.length !== m.logPrior.length || !m.groups) {
    throw new Error('diagnosis model is incomplete: classes, logPrior and groups are required')
  }
  for (const g of FEATURE_GROUPS) if (typeof m.groups[g] !== 'object') throw new Error(`diagnosis model lacks feature group ${g}`)
  return m as DxModel
}
