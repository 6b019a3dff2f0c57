// AUROC, AUPRC (average precision, as scikit-learn computes it) and the curves behind them, for a
// binary outcome. Scores that are NaN are left out (the caller reports how many).

export interface Scored { score: ArrayLike<number>; positive: ArrayLike<boolean | number> }

function ranked({ score, positive }: Scored): Array<[number, boolean]> {
  const out: Array<[number, boolean]> = []
  for (let i = 0; i < score.length; i++) if (Number.isFinite(score[i]!)) out.push([score[i]!, Boolean(positive[i])])
  return out.sort((a, b) => b[0] - a[0])
}

/** ROC points from (0,0) to (1,1), one per distinct threshold. */
export function roc(s: Scored): Array<[number, number]> {
  const r = ranked(s)
  const P = r.filter((x) => x[1]).length
  const N = r.length - P
  const pts: Array<[number, number]> = [[0, 0]]
  let tp = 0, fp = 0
  for (let i = 0; i < r.length; i++) {
    if (r[i]![1]) tp++
    else fp++
    if (i + 1 === r.length || r[i + 1]![0] !== r[i]![0]) pts.push([N ? fp / N : 0, P ? tp / P : 0])
  }
  return pts
}

export function auroc(s: Scored): number {
  const pts = roc(s)
  let a = 0
  for (let i = 1; i < pts.length; i++) a += (pts[i]![0] - pts[i - 1]![0]) * (pts[i]![1] + pts[i - 1]![1]) / 2
  return a
}

/** Average precision: Σ (R_k − R_{k−1}) P_k over distinct thresholds. */
export function auprc(s: Scored): number {
  const r = ranked(s)
  const P = r.filter((x) => x[1]).length
  if (P === 0) return NaN
  let tp = 0, fp = 0, prevRecall = 0, ap = 0
  for (let i = 0; i < r.length; i++) {
    if (r[i]![1]) tp++
    else fp++
    if (i + 1 === r.length || r[i + 1]![0] !== r[i]![0]) {
      const recall = tp / P
      ap += (recall - prevRecall) * (tp / (tp + fp))
      prevRecall = recall
    }
  }
  return ap
}

/** Calibration by deciles of predicted risk: mean predicted vs observed rate per bin. */
export function calibrationBins(s: Scored, bins = 10): Array<{ predicted: number; observed: number; n: number }> {
  const r = ranked(s).reverse()
  const out: Array<{ predicted: number; observed: number; n: number }> = []
  for (let b = 0; b < bins; b++) {
    const part = r.slice(Math.floor((b * r.length) / bins), Math.floor(((b + 1) * r.length) / bins))
    if (part.length === 0) continue
    out.push({ predicted: part.reduce((a, x) => a + x[0], 0) / part.length, observed: part.filter((x) => x[1]).length / part.length, n: part.length })
  }
  return out
}
