// A fetal monitor's CTG, synthetic: FHR and UC at 4 Hz with the patterns that matter for FIGO
// 2015 — each pattern built so its classification is known (CTG_INTENDED) and the classifier's
// tests can check it. FHR 0 is what a monitor sends when it loses the signal.
import { gaussian, seededRandom } from './physiology/random.js'

export const CTG_PATTERNS = ['normal', 'reduced-variability', 'late-decelerations', 'variable-decelerations', 'tachycardia', 'sinusoidal', 'signal-loss'] as const
export type CtgPattern = (typeof CTG_PATTERNS)[number]

/** The FIGO 2015 class each pattern is made to be (60 min of it). */
export const CTG_INTENDED: Record<CtgPattern, 'normal' | 'suspicious' | 'pathological'> = {
  normal: 'normal',
  'reduced-variability': 'pathological', // bandwidth < 5 bpm for > 50 min
  'late-decelerations': 'pathological', // after every contraction for > 30 min
  'variable-decelerations': 'suspicious', // repetitive, but neither late nor prolonged
  tachycardia: 'suspicious', // baseline > 160 bpm for > 10 min
  sinusoidal: 'pathological', // > 30 min
  'signal-loss': 'normal', // a normal trace with a quarter of it lost: gaps, never a heart rate
}

export interface SimulatedCtg {
  hz: number
  /** bpm, 0 where the signal is lost; two decimals (what a gain of 100 stores exactly). */
  fhr: number[]
  uc: number[]
}

export function simulateCtg(pattern: CtgPattern, options: { minutes?: number; seed?: number | string } = {}): SimulatedCtg {
  const hz = 4
  const seconds = Math.round((options.minutes ?? 60) * 60)
  const random = seededRandom(options.seed ?? `ctg-${pattern}`)
  const baseline = pattern === 'tachycardia' ? 170 : 140
  // Variability: an AR(1) process on one-second steps, bandwidth about 12 bpm a minute (2–3 when reduced).
  const step = pattern === 'reduced-variability' ? 0.18 : pattern === 'sinusoidal' ? 0 : 1.1
  const wander = new Float64Array(seconds)
  let x = 0
  for (let t = 0; t < seconds; t++) wander[t] = x = 0.95 * x + step * gaussian(random)
  // Contractions every 3 min, 60 s long, 50 units over a tone of 15.
  const uc1 = new Float64Array(seconds).fill(15)
  const contractionStarts: number[] = []
  for (let c = 60; c + 60 < seconds; c += 180) {
    contractionStarts.push(c)
    for (let t = 0; t < 60; t++) uc1[c + t]! += 50 * Math.sin((Math.PI * t) / 60) ** 2
  }
  const fhr1 = new Float64Array(seconds)
  for (let t = 0; t < seconds; t++) {
    fhr1[t] = baseline + wander[t]!
    if (pattern === 'sinusoidal') fhr1[t] = baseline + 5 * Math.sin((2 * Math.PI * 4 * t) / 60) // 4 cycles/min, 10 bpm peak to peak
  }
  if (pattern === 'normal' || pattern === 'signal-loss' || pattern === 'tachycardia') {
    // An acceleration every 10 min: +25 bpm for 40 s.
    for (let a = 300; a + 40 < seconds; a += 600) for (let t = 0; t < 40; t++) fhr1[a + t]! += 25 * Math.sin((Math.PI * t) / 40)
  }
  for (const c of contractionStarts) {
    if (pattern === 'late-decelerations') {
      // U-shaped: starts 30 s after the contraction, 50 s to a 35 bpm nadir after its acme, 50 s back.
      for (let t = 0; t < 100 && c + 30 + t < seconds; t++) fhr1[c + 30 + t]! -= 35 * Math.sin((Math.PI * t) / 100)
    } else if (pattern === 'variable-decelerations') {
      // V-shaped: 12 s down by 45 bpm, 8 s at the nadir, 12 s back, 10 s into the contraction.
      for (let t = 0; t < 32 && c + 10 + t < seconds; t++) fhr1[c + 10 + t]! -= t < 12 ? (45 * t) / 12 : t < 20 ? 45 : 45 * (1 - (t - 20) / 12)
    }
  }
  const lost = new Uint8Array(seconds)
  if (pattern === 'signal-loss') {
    // Drop-outs of 5–60 s until a quarter of the trace is lost.
    let gone = 0
    while (gone < seconds / 4) {
      const len = 5 + Math.floor(random() * 56)
      const at = Math.floor(random() * (seconds - len))
      for (let t = at; t < at + len; t++) if (!lost[t]) (lost[t] = 1), gone++
    }
  }
  const fhr: number[] = []
  const uc: number[] = []
  for (let i = 0; i < seconds * hz; i++) {
    const t = Math.floor(i / hz)
    fhr.push(lost[t] ? 0 : Math.round((fhr1[t]! + 0.3 * gaussian(random)) * 100) / 100)
    uc.push(Math.round((uc1[t]! + 0.5 * gaussian(random)) * 100) / 100)
  }
  return { hz, fhr, uc }
}
