// Triage figures against ground truth: under- and over-triage, red sensitivity, one-vs-rest
// AUROC per level and the confusion matrix, for the model with its NEWS2 floor and NEWS2 alone.
import { TRIAGE_LEVELS, type TriageEvaluation } from '@neva/contracts'
import { finalLevel, modelLevel } from '@neva/triage'

export interface Thresholds { red: number; yellow: number }

/** The manifest's rule: P(red) ≥ red → red; else P(yellow) + P(red) ≥ yellow → yellow; else green. */
// Level indices in label order; the rules themselves are the gateway's (floor.ts).
export const levelFromProbabilities = (p: ArrayLike<number>, t: Thresholds): number =>
  TRIAGE_LEVELS.indexOf(modelLevel({ green: p[0]!, yellow: p[1]!, red: p[2]! }, t))

/** The NEWS2 safety floor: the model may raise a level, never lower it. */
export const withFloor = (model: number, news2: number): number => TRIAGE_LEVELS.indexOf(finalLevel(TRIAGE_LEVELS[news2]!, TRIAGE_LEVELS[model]!))

/** Area under the ROC curve of `score` for `positive` (Mann–Whitney, ties count half). */
export function auroc(score: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const idx = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[a]! - score[b]!)
  let pos = 0, neg = 0, rankSum = 0
  for (let i = 0; i < idx.length; ) {
    let j = i
    while (j < idx.length && score[idx[j]!] === score[idx[i]!]) j++
    const rank = (i + 1 + j) / 2 // mean 1-based rank of the tie group
    for (let k = i; k < j; k++) if (positive[idx[k]!]) { rankSum += rank; pos++ } else neg++
    i = j
  }
  if (pos === 0 || neg === 0) return 0.5
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}

/** ROC points (false-positive rate, true-positive rate) from the highest threshold down. */
export function rocCurve(score: ArrayLike<number>, positive: ArrayLike<boolean>): Array<[number, number]> {
  const idx = Array.from({ length: score.length }, (_, i) => i).sort((a, b) => score[b]! - score[a]!)
  let P = 0
  for (let i = 0; i < positive.length; i++) if (positive[i]) P++
  const N = positive.length - P
  const points: Array<[number, number]> = [[0, 0]]
  let tp = 0, fp = 0
  for (let i = 0; i < idx.length; ) {
    let j = i
    while (j < idx.length && score[idx[j]!] === score[idx[i]!]) { if (positive[idx[j]!]) tp++; else fp++; j++ }
    points.push([N ? fp / N : 0, P ? tp / P : 0])
    i = j
  }
  return points
}

/**
 * Figures for predicted levels against true levels; `scores[c]` ranks samples for level c
 * one-vs-rest (probabilities for the model, NEWS2-derived scores for NEWS2).
 */
export function evaluate(truth: ArrayLike<number>, predicted: ArrayLike<number>, scores: readonly [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>]): TriageEvaluation {
  const n = truth.length
  const confusion = TRIAGE_LEVELS.map(() => TRIAGE_LEVELS.map(() => 0))
  let under = 0, over = 0
  for (let i = 0; i < n; i++) {
    const t = truth[i]!, p = predicted[i]!
    confusion[t]![p]!++
    if (p < t) under++
    else if (p > t) over++
  }
  const reds = confusion[2]!.reduce((a, b) => a + b, 0)
  const positives = (c: number) => Array.from({ length: n }, (_, i) => truth[i] === c)
  return {
    under_triage: n ? under / n : 0,
    over_triage: n ? over / n : 0,
    red_sensitivity: reds ? confusion[2]![2]! / reds : 0,
    auroc: { green: auroc(scores[0], positives(0)), yellow: auroc(scores[1], positives(1)), red: auroc(scores[2], positives(2)) },
    confusion,
  }
}

/**
 * NEWS2's own ranking per level: the aggregate for red, its negative for green, and the
 * distance from the 5–6 band for yellow; a single 3 (yellow by the floor rule) counts as 5.5.
 */
export function news2Scores(score: ArrayLike<number>, level: ArrayLike<number>): [Float64Array, Float64Array, Float64Array] {
  const n = score.length
  const s = Float64Array.from({ length: n }, (_, i) => (level[i] === 1 && score[i]! < 5 ? 5.5 : score[i]!))
  // Tie-break by the level so a red-by-rule sample ranks above an equal aggregate.
  const red = Float64Array.from(s, (v, i) => v + 0.1 * level[i]!)
  return [Float64Array.from(red, (v) => -v), Float64Array.from(s, (v) => -Math.abs(v - 5.5)), red]
}

/** Thresholds that minimise under-triage with the floor, over-triage at most NEWS2's + `overMargin`. */
export function chooseThresholds(probs: Float64Array, truth: Uint8Array, news2Level: Uint8Array, overMargin: number): Thresholds & { under: number; over: number } {
  const n = truth.length
  let news2Over = 0
  for (let i = 0; i < n; i++) if (news2Level[i]! > truth[i]!) news2Over++
  const limit = news2Over / n + overMargin
  let best = { red: 0.5, yellow: 0.5, under: Infinity, over: Infinity }
  const pRed = Float64Array.from({ length: n }, (_, i) => probs[i * 3 + 2]!)
  const pUp = Float64Array.from({ length: n }, (_, i) => probs[i * 3 + 1]! + probs[i * 3 + 2]!)
  const grid = Array.from({ length: 99 }, (_, k) => (k + 1) / 100)
  for (const red of grid) {
    for (const yellow of grid) {
      let under = 0, over = 0
      for (let i = 0; i < n; i++) {
        const model = pRed[i]! >= red ? 2 : pUp[i]! >= yellow ? 1 : 0
        const level = withFloor(model, news2Level[i]!)
        if (level < truth[i]!) under++
        else if (level > truth[i]!) over++
      }
      const u = under / n, o = over / n
      if (o > limit) continue
      if (u < best.under || (u === best.under && o < best.over)) best = { red, yellow, under: u, over: o }
    }
  }
  return best
}
