// A synthetic 12-lead ECG: plausible to look at, not a diagnostic model. The heart's electrical
// activity is one vector in space (x to the patient's left, y down, z forward), the sum of a
// Gaussian bump per wave of each beat (P, septal q, R, S, T); each lead reads that vector
// along its own direction. Limb leads I and II come from the frontal plane; III and the
// augmented leads are derived from them as an electrocardiograph does (Einthoven:
// III = II − I; Goldberger: aVR = −(I+II)/2, aVL = I − II/2, aVF = II − I/2), so the
// relations hold sample by sample. Chest leads read the horizontal plane. Seeded: the same seed
// gives the same trace.
import { ECG_LEADS, type EcgLead } from '@neva/contracts'
import { gaussian, seededRandom } from './random.js'

type Vector = readonly [number, number, number]

interface Wave {
  /** Peak time relative to the R peak, s; `qt` scales with the square root of the RR interval (Bazett). */
  at: number
  width: number
  qt?: boolean
  /** mV, in (left, down, forward). */
  vector: Vector
}

const WAVES: readonly Wave[] = [
  { at: -0.16, width: 0.022, vector: [0.08, 0.12, 0.02] },
  // Septal depolarization runs left to right and forward: small q in I and V6, small r in V1.
  { at: -0.03, width: 0.008, vector: [-0.1, -0.02, 0.15] },
  { at: 0, width: 0.011, vector: [0.75, 1.0, -0.15] },
  { at: 0.028, width: 0.01, vector: [-0.2, -0.15, -0.45] },
  { at: 0.3, width: 0.045, qt: true, vector: [0.2, 0.25, 0.1] },
]

const deg = (d: number) => (d * Math.PI) / 180
/** Chest electrodes around the horizontal plane, V1 at the right sternal border to V6 mid-axillary. */
const CHEST: ReadonlyArray<[EcgLead, number]> = [['V1', 120], ['V2', 95], ['V3', 75], ['V4', 50], ['V5', 25], ['V6', 0]]
/** Chest leads sit closer to the heart than the limb leads: larger deflections. */
const CHEST_GAIN = 1.6
const LEAD_II: Vector = [Math.cos(deg(60)), Math.sin(deg(60)), 0]

export interface EcgOptions {
  seed: number | string
  /** Default 500 Hz. */
  sampleRateHz?: number
  /** Microvolts per count. Default 2.5 µV. */
  resolutionUv?: number
  /** Measurement noise, µV RMS per lead. Default 8. */
  noiseUv?: number
}

export type EcgSamples = Record<EcgLead, Int16Array>

export class EcgGenerator {
  readonly sampleRateHz: number
  readonly resolutionUv: number
  private readonly noiseMv: number
  private readonly random: () => number
  /** Samples produced so far: time is sample / rate. */
  private sample = 0
  /** R-peak times, s, from a little before now to a little after. */
  private beats: number[] = []
  private readonly wanderPhase: number

  constructor(options: EcgOptions) {
    this.sampleRateHz = options.sampleRateHz ?? 500
    this.resolutionUv = options.resolutionUv ?? 2.5
    this.noiseMv = (options.noiseUv ?? 8) / 1000
    this.random = seededRandom(`ecg:${options.seed}`)
    this.wanderPhase = 2 * Math.PI * this.random()
  }

  /** The next `n` samples of the 12 leads, in counts, at `heartRate` beats per minute. */
  next(n: number, heartRate: number): EcgSamples {
    const out = Object.fromEntries(ECG_LEADS.map((l) => [l, new Int16Array(n)])) as EcgSamples
    const rr = 60 / Math.min(300, Math.max(20, heartRate))
    const perCount = 1000 / this.resolutionUv
    const count = (mv: number) => Math.max(-32768, Math.min(32767, Math.round(mv * perCount)))
    for (let i = 0; i < n; i++, this.sample++) {
      const t = this.sample / this.sampleRateHz
      this.schedule(t, rr)
      const h = this.heartVector(t)
      // Breathing moves the baseline by a few tens of microvolts.
      const wander = 0.04 * Math.sin(2 * Math.PI * 0.25 * t + this.wanderPhase)
      const I = count(h[0] + wander + this.noiseMv * gaussian(this.random))
      const II = count(h[0] * LEAD_II[0] + h[1] * LEAD_II[1] + wander * 1.2 + this.noiseMv * gaussian(this.random))
      out.I[i] = I
      out.II[i] = II
      out.III[i] = II - I
      out.aVR[i] = Math.round(-(I + II) / 2)
      out.aVL[i] = Math.round(I - II / 2)
      out.aVF[i] = Math.round(II - I / 2)
      for (const [lead, angle] of CHEST) {
        const mv = CHEST_GAIN * (h[0] * Math.cos(deg(angle)) + h[2] * Math.sin(deg(angle)))
        out[lead][i] = count(mv + 0.5 * wander + this.noiseMv * gaussian(this.random))
      }
    }
    return out
  }

  /** Keeps beats from 1.5 s before `t` to 0.5 s after it; new beats at the current rate, with a little variability. */
  private schedule(t: number, rr: number): void {
    if (this.beats.length === 0) this.beats.push(t + 0.2)
    while (this.beats[this.beats.length - 1]! < t + 0.5) {
      this.beats.push(this.beats[this.beats.length - 1]! + rr * (1 + 0.02 * gaussian(this.random)))
    }
    while (this.beats.length > 1 && this.beats[0]! < t - 1.5) this.beats.shift()
  }

  private heartVector(t: number): [number, number, number] {
    const h: [number, number, number] = [0, 0, 0]
    for (let b = 0; b < this.beats.length; b++) {
      const r = this.beats[b]!
      const beatRr = b + 1 < this.beats.length ? this.beats[b + 1]! - r : r - (this.beats[b - 1] ?? r - 1)
      const qtScale = Math.sqrt(Math.max(0.2, beatRr))
      for (const w of WAVES) {
        const at = w.qt ? w.at * qtScale : w.at
        const width = w.qt ? w.width * qtScale : w.width
        const x = (t - r - at) / width
        if (x < -5 || x > 5) continue
        const g = Math.exp(-0.5 * x * x)
        h[0] += w.vector[0] * g
        h[1] += w.vector[1] * g
        h[2] += w.vector[2] * g
      }
    }
    return h
  }
}
