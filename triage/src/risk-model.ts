// The deterioration model as it travels: a manifest (`<id>-<version>.json`) beside its ONNX file,
// whose graph maps HOURLY_FEATURES (NaN when missing) to `risk` [rows, 1]; the manifest's
// isotonic calibration turns that into the probability reported as model.risk.
import { HOURLY_FEATURE_SET, HOURLY_FEATURES } from './hourly-features.js'
import type { Calibration } from './calibration.js'
import type { RiskEscalation } from './floor.js'

export interface RiskManifest {
  id: string
  version: string
  kind: 'gradient_boosted_trees'
  outcome: string
  file: string
  sha256: string
  feature_set: string
  features: Array<{ name: string; unit: string }>
  /** Below this many of the six bedside vitals (pulse, RR, SBP, temperature, SpO2, GCS), the risk is flagged sparse. */
  min_vitals: number
  calibration: Calibration
  /** Risks that raise NEWS2's level (absent: the risk never changes the level). */
  escalation?: RiskEscalation & { chosen_on?: string; false_flags_per_1300?: number }
  training: Record<string, unknown>
  data: { source: string; licence: string; citation: string }
}

const isNumbers = (a: unknown): a is number[] => Array.isArray(a) && a.every((v) => typeof v === 'number' && Number.isFinite(v))

/** The manifest if it is one this extractor can feed; throws naming the first problem. */
export function checkRiskManifest(m: unknown): RiskManifest {
  if (typeof m !== 'object' || m === null) throw new Error('risk model manifest: expected a JSON object')
  const r = m as Partial<RiskManifest>
  const name = `${String(r.id)}@${String(r.version)}`
  if (typeof r.id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(r.id)) throw new Error('risk model manifest: id must be [A-Za-z0-9._-]{1,64}')
  if (typeof r.version !== 'string' || !/^[A-Za-z0-9._-]{1,32}$/.test(r.version)) throw new Error(`${r.id}: version must be [A-Za-z0-9._-]{1,32}`)
  if (typeof r.file !== 'string' || !/^[A-Za-z0-9._-]+\.onnx$/.test(r.file)) throw new Error(`${name}: "file" must name the .onnx file beside the manifest`)
  if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) throw new Error(`${name}: sha256 must be 64 hex digits`)
  if (r.feature_set !== HOURLY_FEATURE_SET) throw new Error(`${name}: trained on feature set ${String(r.feature_set)}; this extractor computes ${HOURLY_FEATURE_SET}`)
  if (!Array.isArray(r.features) || r.features.length !== HOURLY_FEATURES.length) throw new Error(`${name}: expects ${r.features?.length} features; this extractor computes ${HOURLY_FEATURES.length}`)
  r.features.forEach((f, i) => {
    const ours = HOURLY_FEATURES[i]!
    if (f?.name !== ours.name || f?.unit !== ours.unit) throw new Error(`${name}: feature ${i} is ${f?.name} [${f?.unit}] in the manifest, ${ours.name} [${ours.unit}] here`)
  })
  if (typeof r.min_vitals !== 'number' || !Number.isInteger(r.min_vitals) || r.min_vitals < 0 || r.min_vitals > 6) throw new Error(`${name}: min_vitals must be an integer 0–6`)
  const c = r.calibration
  if (!c || !isNumbers(c.x) || !isNumbers(c.y) || c.x.length === 0 || c.x.length !== c.y.length) throw new Error(`${name}: calibration needs x and y of equal, non-zero length`)
  for (let i = 1; i < c.x.length; i++) if (c.x[i]! < c.x[i - 1]! || c.y[i]! < c.y[i - 1]!) throw new Error(`${name}: calibration must be non-decreasing`)
  const e = r.escalation
  if (e !== undefined) {
    const ok = (t: unknown) => t === null || (typeof t === 'number' && t >= 0 && t <= 1)
    if (typeof e !== 'object' || e === null || !ok(e.yellow) || !ok(e.red)) throw new Error(`${name}: escalation needs yellow and red, each a risk 0–1 or null`)
    if (e.yellow !== null && e.red !== null && e.red < e.yellow) throw new Error(`${name}: escalation red (${e.red}) is below yellow (${e.yellow})`)
  }
  return r as RiskManifest
}
