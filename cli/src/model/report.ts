// A self-contained HTML report (inline SVG, no scripts, no network): ROC curves per level for the
// model and NEWS2, and both confusion matrices.
import { TRIAGE_LEVELS, type TriageEvaluation } from '@neva/contracts'
import type { Dataset } from './dataset.js'
import { news2Scores, rocCurve } from './evaluate.js'

export interface ReportInput {
  title: string
  data: Dataset
  probabilities: ArrayLike<number>
  model: TriageEvaluation
  news2: TriageEvaluation
  notes: string[]
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
const pct = (x: number) => `${(100 * x).toFixed(1)} %`

function rocSvg(level: number, model: Array<[number, number]>, news2: Array<[number, number]>, aucModel: number, aucNews2: number): string {
  const S = 240, M = 30
  // Thousands of points land on the same pixel: keep one per position.
  const path = (pts: Array<[number, number]>) => {
    const out: string[] = []
    for (const [x, y] of pts) {
      const p = `${(M + x * S).toFixed(1)},${(M + S - y * S).toFixed(1)}`
      if (out.at(-1)?.slice(1) !== p) out.push(`${out.length ? 'L' : 'M'}${p}`)
    }
    return out.join('')
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${S + 2 * M}" height="${S + 2 * M + 30}" role="img">
<title>ROC ${TRIAGE_LEVELS[level]} vs rest</title>
<rect x="${M}" y="${M}" width="${S}" height="${S}" fill="none" stroke="#999"/>
<line x1="${M}" y1="${M + S}" x2="${M + S}" y2="${M}" stroke="#ccc" stroke-dasharray="4 4"/>
<path d="${path(news2)}" fill="none" stroke="#d95f02" stroke-width="2"/>
<path d="${path(model)}" fill="none" stroke="#1b9e77" stroke-width="2"/>
<text x="${M}" y="${M - 10}" font-size="13" font-weight="bold">${TRIAGE_LEVELS[level]} vs rest</text>
<text x="${M + S / 2}" y="${M + S + 20}" font-size="11" text-anchor="middle">false-positive rate</text>
<text x="${M}" y="${M + S + 40}" font-size="11" fill="#1b9e77">model ${aucModel.toFixed(3)}</text>
<text x="${M + S / 2}" y="${M + S + 40}" font-size="11" fill="#d95f02">NEWS2 ${aucNews2.toFixed(3)}</text>
</svg>`
}

function confusionTable(title: string, e: TriageEvaluation): string {
  const max = Math.max(1, ...e.confusion.flat())
  const rows = e.confusion.map((row, t) =>
    `<tr><th>${TRIAGE_LEVELS[t]}</th>${row.map((v, p) => `<td style="background:rgba(${p === t ? '27,158,119' : p < t ? '217,95,2' : '117,112,179'},${(0.1 + 0.8 * v / max).toFixed(2)})">${v}</td>`).join('')}</tr>`).join('')
  return `<table><caption>${esc(title)}</caption><tr><th>true ↓ / assessed →</th>${TRIAGE_LEVELS.map((l) => `<th>${l}</th>`).join('')}</tr>${rows}</table>`
}

export function renderReport(input: ReportInput): string {
  const { data, probabilities: p } = input
  const n = data.n
  const ns = news2Scores(data.news2Score, data.news2Level)
  const rocs = TRIAGE_LEVELS.map((_, c) => {
    const positive = Array.from({ length: n }, (_, i) => data.label[i] === c)
    const score = Float64Array.from({ length: n }, (_, i) => p[i * 3 + c]!)
    const key = TRIAGE_LEVELS[c]!
    return rocSvg(c, rocCurve(score, positive), rocCurve(ns[c]!, positive), input.model.auroc[key], input.news2.auroc[key])
  })
  const row = (name: string, f: (e: TriageEvaluation) => string) => `<tr><th>${name}</th><td>${f(input.model)}</td><td>${f(input.news2)}</td></tr>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1000px}table{border-collapse:collapse;margin:1em 2em 1em 0;display:inline-table}
td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}caption{font-weight:bold;margin-bottom:4px}</style></head>
<body><h1>${esc(input.title)}</h1>
<p>${n} held-out samples. Model = the model with the NEWS2 floor; its ROC curves rank by the model's probabilities
(the floor changes levels, not the ranking). NEWS2 ranks by its aggregate score.</p>
<table><tr><th></th><th>model + floor</th><th>NEWS2 alone</th></tr>
${row('under-triage', (e) => pct(e.under_triage))}${row('over-triage', (e) => pct(e.over_triage))}${row('red sensitivity', (e) => pct(e.red_sensitivity))}
${TRIAGE_LEVELS.map((l) => row(`AUROC ${l}`, (e) => e.auroc[l].toFixed(3))).join('')}</table>
<div>${rocs.join('\n')}</div>
<div>${confusionTable('model + NEWS2 floor', input.model)}${confusionTable('NEWS2 alone', input.news2)}</div>
${input.notes.map((x) => `<p>${esc(x)}</p>`).join('\n')}
</body></html>
`
}
