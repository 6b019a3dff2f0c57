// FIGO 2015 intrapartum CTG classification (Ayres-de-Campos D, Spong CY, Chandraharan E. FIGO
// consensus guidelines on intrapartum fetal monitoring: Cardiotocography. Int J Gynecol Obstet
// 2015;131:13-24), automated: normal / suspicious / pathological, with the reasons a midwife
// can check on the trace. README.md says where the automation approximates the guideline.
import { baselineAt, contractions, episodes, minuteBandwidths, sinusoidalSegments, windowBaselines, type Contraction, type Episode } from './features.js'
import { blockMeans, withoutArtefacts, type CtgTrace } from './signal.js'

export const CTG_CLASSES = ['normal', 'suspicious', 'pathological'] as const
export type CtgClass = (typeof CTG_CLASSES)[number]
export type DecelerationType = 'early' | 'variable' | 'late' | 'prolonged'

export interface CtgDeceleration {
  /** Seconds from the trace's start. */
  start_s: number
  nadir_s: number
  end_s: number
  depth_bpm: number
  type: DecelerationType
  /** Index of the contraction it follows, when one does. */
  contraction: number | null
}

export interface CtgClassification {
  classification: CtgClass
  /** Why: every pathological or suspicious finding; for a normal trace, what made it normal. */
  reasons: string[]
  /** What limits the reading (signal loss), not a finding. */
  notes: string[]
  minutes: number
  /** Median of the 10-min windows' baselines (each a mean rounded to 5 bpm); null with no signal. */
  baseline_bpm: number | null
  window_baselines_bpm: Array<number | null>
  /** Median bandwidth of the minutes of baseline signal. */
  variability_bpm: number | null
  reduced_variability_min: number
  increased_variability_min: number
  sinusoidal_min: number
  accelerations: number
  decelerations: CtgDeceleration[]
  contractions: number
  signal_loss_pct: number
}

const median = (v: number[]) => {
  if (v.length === 0) return null
  const s = [...v].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function decelerationType(e: Episode, c: Contraction | undefined): DecelerationType {
  if (e.end - e.start > 180) return 'prolonged'
  // FIGO: variable decelerations reach the nadir within 30 s of their onset.
  if (e.extremum - e.start < 30) return 'variable'
  if (c) {
    if (e.start - c.start > 20 && e.extremum > c.acme) return 'late'
    if (Math.abs(e.extremum - c.acme) <= 20 && e.depth <= 30) return 'early'
  }
  return 'variable'
}

/** Contraction each deceleration follows: its onset from 30 s before the contraction to 30 s after it ends, the nearest. */
function pairs(decels: Episode[], cs: Contraction[]): Array<number | null> {
  const taken = new Set<number>()
  return decels.map((e) => {
    let best: number | null = null
    cs.forEach((c, k) => {
      if (taken.has(k) || e.start < c.start - 30 || e.start > c.end + 30) return
      if (best === null || Math.abs(e.start - c.start) < Math.abs(e.start - cs[best]!.start)) best = k
    })
    if (best !== null) taken.add(best)
    return best
  })
}

/** The longest stretch (min) of windows of `span` s in which over half of ≥ 3 contractions have a deceleration of the given types. */
function repetitive(cs: Contraction[], decels: CtgDeceleration[], types: DecelerationType[], span: number, length: number): { from: number; hit: number; of: number } | null {
  const with_ = new Set(decels.filter((d) => types.includes(d.type) && d.contraction !== null).map((d) => d.contraction!))
  for (let t = 0; t + span <= Math.max(length, span); t += 60) {
    const inside = cs.map((c, k) => ({ c, k })).filter(({ c }) => c.start >= t && c.start < t + span)
    const hit = inside.filter(({ k }) => with_.has(k)).length
    if (inside.length >= 3 && hit * 2 > inside.length) return { from: t, hit, of: inside.length }
  }
  return null
}

function longestRun(flags: boolean[]): number {
  let best = 0
  let run = 0
  for (const f of flags) (run = f ? run + 1 : 0), (best = Math.max(best, run))
  return best
}

export function classifyCtg(trace: CtgTrace): CtgClassification {
  const hz = Math.max(1, Math.round(trace.hz))
  const fhr = withoutArtefacts(blockMeans(trace.fhr, hz))
  const uc = blockMeans(trace.uc, hz)
  const n = fhr.length
  const minutes = n / 60
  let missing = 0
  for (let i = 0; i < trace.fhr.length; i++) if (Number.isNaN(trace.fhr[i]!)) missing++
  const lossPct = trace.fhr.length === 0 ? 100 : Math.round((1000 * missing) / trace.fhr.length) / 10

  const windows = windowBaselines(fhr)
  const base = baselineAt(windows, n)
  const accels = episodes(fhr, base, 1).filter((e) => e.end - e.start < 600)
  const decelEpisodes = episodes(fhr, base, -1)
  const cs = contractions(uc)
  const paired = pairs(decelEpisodes, cs)
  const decels: CtgDeceleration[] = decelEpisodes.map((e, i) => ({
    start_s: e.start, nadir_s: e.extremum, end_s: e.end, depth_bpm: Math.round(e.depth),
    type: decelerationType(e, paired[i] === null ? undefined : cs[paired[i]!]), contraction: paired[i]!,
  }))
  const bands = [...minuteBandwidths(fhr, [...accels, ...decelEpisodes])].filter((b) => !Number.isNaN(b))
  const reduced = bands.filter((b) => b < 5).length
  const increased = bands.filter((b) => b > 25).length
  const sinusoidal = longestRun(sinusoidalSegments(fhr)) * 4

  const pathological: string[] = []
  const suspicious: string[] = []
  const notes: string[] = []
  if (lossPct > 5) notes.push(`signal loss: ${lossPct}% of the FHR samples are missing (read as gaps, never as a heart rate)`)
  const known = windows.filter((b) => !Number.isNaN(b))
  if (known.length === 0 || lossPct > 50) suspicious.push(`too little signal to confirm a normal trace (${lossPct}% of FHR missing)`)
  // Consecutive 10-min windows with the same finding are one reason.
  const finding = (b: number) => (Number.isNaN(b) ? null : b < 100 ? 'bradycardia' : b < 110 ? 'low' : b > 160 ? 'tachycardia' : null)
  for (let w = 0; w < windows.length; ) {
    const f = finding(windows[w]!)
    let end = w + 1
    while (end < windows.length && f !== null && finding(windows[end]!) === f && (end + 1) * 600 <= n) end++
    // A finding needs 10 min: a last, shorter window gives none.
    if (f !== null && (w + 1) * 600 <= n) {
      const run = windows.slice(w, end)
      const range = `${Math.min(...run)}${Math.max(...run) === Math.min(...run) ? '' : `–${Math.max(...run)}`} bpm`
      const at = `${w * 10}–${Math.round(Math.min(minutes, end * 10))} min`
      if (f === 'bradycardia') pathological.push(`bradycardia: baseline ${range} (< 100) at ${at}`)
      else if (f === 'low') suspicious.push(`baseline ${range} (100–110) at ${at}`)
      else suspicious.push(`tachycardia: baseline ${range} (> 160) at ${at}`)
    }
    w = end
  }
  if (reduced > 50) pathological.push(`reduced variability: bandwidth < 5 bpm for ${reduced} min (> 50)`)
  else if (reduced >= 10 && reduced * 2 >= bands.length) suspicious.push(`reduced variability: bandwidth < 5 bpm for ${reduced} of ${bands.length} min`)
  if (increased > 30) pathological.push(`increased variability (saltatory): bandwidth > 25 bpm for ${increased} min (> 30)`)
  else if (increased >= 10) suspicious.push(`increased variability: bandwidth > 25 bpm for ${increased} min`)
  if (sinusoidal > 30) pathological.push(`sinusoidal pattern for ${sinusoidal} min (> 30)`)
  else if (sinusoidal >= 12) suspicious.push(`sinusoidal-like undulation for ${sinusoidal} min`)
  for (const d of decels) if (d.type === 'prolonged' && d.end_s - d.start_s > 300) pathological.push(`prolonged deceleration of ${((d.end_s - d.start_s) / 60).toFixed(1)} min (> 5) at ${(d.start_s / 60).toFixed(0)} min, nadir ${d.depth_bpm} bpm below baseline`)
  // Repetitive (over half of the contractions) late or prolonged decelerations for 30 min, 20 with reduced variability.
  const span = reduced > 0 && reduced * 2 >= bands.length ? 1200 : 1800
  const lateRun = repetitive(cs, decels, ['late', 'prolonged'], span, n)
  if (lateRun) pathological.push(`repetitive late or prolonged decelerations: after ${lateRun.hit} of ${lateRun.of} contractions over ${span / 60} min from ${lateRun.from / 60} min`)
  else {
    const anyRun = repetitive(cs, decels, ['variable', 'late', 'prolonged'], 1800, n)
    if (anyRun) suspicious.push(`repetitive decelerations (${decels.filter((d) => d.type === 'variable').length} variable, ${decels.filter((d) => d.type === 'late').length} late): after ${anyRun.hit} of ${anyRun.of} contractions from ${anyRun.from / 60} min`)
    const prolonged = decels.filter((d) => d.type === 'prolonged' && d.end_s - d.start_s <= 300)
    if (prolonged.length > 0) suspicious.push(`${prolonged.length} prolonged deceleration(s) of 3–5 min`)
  }

  const baseline = median(known)
  const variability = median(bands)
  const classification: CtgClass = pathological.length > 0 ? 'pathological' : suspicious.length > 0 ? 'suspicious' : 'normal'
  const reasons = classification === 'pathological' ? [...pathological, ...suspicious] : classification === 'suspicious' ? suspicious : [
    `baseline ${baseline} bpm (110–160)`,
    `variability ${Math.round(variability! * 10) / 10} bpm (median bandwidth of ${bands.length} assessable min; increased only when > 25 for > 30 min)`,
    'no repetitive decelerations',
    ...(accels.length > 0 ? [`${accels.length} acceleration(s)`] : []),
  ]
  return {
    classification, reasons, notes, minutes: Math.round(minutes * 10) / 10,
    baseline_bpm: baseline, window_baselines_bpm: windows.map((b) => (Number.isNaN(b) ? null : b)),
    variability_bpm: variability === null ? null : Math.round(variability * 10) / 10,
    reduced_variability_min: reduced, increased_variability_min: increased, sinusoidal_min: sinusoidal,
    accelerations: accels.length, decelerations: decels, contractions: cs.length, signal_loss_pct: lossPct,
  }
}
