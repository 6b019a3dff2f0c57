// The `neva model eval --physionet2012 --report` page: self-contained HTML with inline SVG (ROC
// curves of the model, worst NEWS2 and SAPS-I; the model's calibration by deciles).
import { calibrationBins, roc } from './binary-metrics.js'
import type { EvalResult } from './deterioration.js'

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
const S = 300, M = 40
const px = (x: number, y: number) => `${(M + x * S).toFixed(1)},${(M + S - y * S).toFixed(1)}`

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${S + 2 * M + 160}" height="${S + 2 * M + 10}" role="img"><title>${esc(title)}</title>
<rect x="${M}" y="${M}" width="${S}" height="${S}" fill="none" stroke="#999"/>
<line x1="${M}" y1="${M + S}" x2="${M + S}" y2="${M}" stroke="#ccc" stroke-dasharray="4 4"/>
<text x="${M}" y="${M - 12}" font-size="13" font-weight="bold">${esc(title)}</text>
<text x="${M + S / 2}" y="${M + S + 28}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>
<text x="12" y="${M + S / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${M + S / 2})">${esc(yLabel)}</text>
${body}</svg>`
}

export function renderDeteriorationReport(r: EvalResult, source: string): string {
  const curves: Array<[string, string, Float64Array, number]> = [
    ['model', '#1b9e77', Float64Array.from(r.risk), r.model.auroc],
    [`worst NEWS2 ≤ ${r.hours} h`, '#d95f02', r.news2Scores, r.news2.auroc],
    ['SAPS-I', '#7570b3', r.saps1Scores, r.saps1.auroc],
  ]
  const rocBody = curves.map(([name, color, score, auc], i) => {
    const pts = roc({ score, positive: r.label })
    return `<path d="M${pts.map(([x, y]) => px(x, y)).join('L')}" fill="none" stroke="${color}" stroke-width="2"/>
<text x="${M + S + 10}" y="${M + 20 + 18 * i}" font-size="12" fill="${color}">${esc(name)} ${auc.toFixed(3)}</text>`
  }).join('\n')
  const bins = calibrationBins({ score: r.risk, positive: r.label })
  const top = Math.max(0.05, ...bins.map((b) => Math.max(b.predicted, b.observed)))
  const scale = (v: number) => v / top
  const calBody = `<path d="M${bins.map((b) => px(scale(b.predicted), scale(b.observed))).join('L')}" fill="none" stroke="#1b9e77" stroke-width="2"/>
${bins.map((b) => `<circle cx="${px(scale(b.predicted), scale(b.observed)).split(',')[0]}" cy="${px(scale(b.predicted), scale(b.observed)).split(',')[1]}" r="4" fill="#1b9e77"><title>predicted ${b.predicted.toFixed(3)}, observed ${b.observed.toFixed(3)} (n ${b.n})</title></circle>`).join('\n')}
<text x="${M + S + 10}" y="${M + 20}" font-size="12">axes 0 – ${top.toFixed(2)}</text>`
  const row = (name: string, m: { auroc: number; auprc: number }) => `<tr><th>${esc(name)}</th><td>${m.auroc.toFixed(3)}</td><td>${m.auprc.toFixed(3)}</td></tr>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Deterioration model: in-hospital death from the first ${r.hours} h</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}</style></head>
<body><h1>In-hospital death from the first ${r.hours} h</h1>
<p>${r.n} stays, ${r.deaths} deaths. Data: ${esc(source)}. Only values recorded up to hour ${r.hours} are used.</p>
<table><tr><th></th><th>AUROC</th><th>AUPRC</th></tr>${row('model', r.model)}${row(`worst NEWS2 ≤ ${r.hours} h`, r.news2)}${row('SAPS-I', r.saps1)}</table>
<div>${frame('ROC', 'false-positive rate', 'true-positive rate', rocBody)}
${frame('Calibration (deciles of model.risk)', 'predicted risk', 'observed death rate', calBody)}</div>
<p>Data: PhysioNet/CinC Challenge 2012 (ODC-By 1.0). Silva I, Moody G, Scott DJ, Celi LA, Mark RG. Computing in Cardiology 2012;39:245-248.</p>
</body></html>
`
}
