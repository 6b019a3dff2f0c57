// The CTG page: FHR (50–210 bpm) over uterine activity (0–100) on the paper's grid — 1 cm per
// minute, 20 bpm and 25 units per cm — with the edge's FIGO 2015 classification and its reasons
// beside the trace. Live (the last minutes, polled) or from the record (a window ending at a
// chosen time). Text goes in as text (dom.js); the canvas is sized in CSS centimetres.
import { el } from './dom.js'

const pid = document.body.dataset.patient
const main = document.getElementById('ctg')
const status = document.getElementById('status')
const CM = 96 / 2.54 // CSS px per cm
const FHR = { min: 50, max: 210, perCm: 20 }
const UA = { min: 0, max: 100, perCm: 25 }
const GAP = 0.6 * CM
const MISSING = -32768
const state = { minutes: 60, to: null, timer: null }

const fmtTime = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })

function controls() {
  const minutes = el('select', { id: 'minutes', 'aria-label': 'Minutes shown' }, ...[10, 20, 30, 60, 120].map((m) => el('option', { value: String(m), text: `${m} min` })))
  minutes.value = String(state.minutes)
  minutes.addEventListener('change', () => { state.minutes = Number(minutes.value); load() })
  const at = el('input', { type: 'datetime-local', id: 'at', 'aria-label': 'Window ends at' })
  const show = el('button', { type: 'button', id: 'show', text: 'Show from the record' })
  show.addEventListener('click', () => { const t = Date.parse(at.value); if (Number.isFinite(t)) { state.to = t; load() } })
  const live = el('button', { type: 'button', id: 'live', text: 'Live' })
  live.addEventListener('click', () => { state.to = null; load() })
  return el('div', { class: 'ctg-controls' }, minutes, ' ', at, ' ', show, ' ', live)
}

/** Chunks of one signal → [t, value|NaN] points. */
function points(chunks, kind) {
  const out = []
  for (const c of chunks) {
    if (c.signal_kind !== kind) continue
    const dt = 1000 / c.sample_rate_hz
    for (let i = 0; i < c.samples.length; i++) {
      const s = c.samples[i]
      out.push([c.start_time + i * dt, s === MISSING ? NaN : s * c.resolution])
    }
  }
  return out.sort((a, b) => a[0] - b[0])
}

function draw(data) {
  const minutes = (data.to - data.from) / 60_000
  const width = Math.round(minutes * CM)
  const fhrH = ((FHR.max - FHR.min) / FHR.perCm) * CM
  const uaH = ((UA.max - UA.min) / UA.perCm) * CM
  const height = Math.round(fhrH + GAP + uaH)
  const canvas = el('canvas', { class: 'ctg-trace', role: 'img', 'aria-label': `CTG trace, ${minutes} minutes: FHR over uterine activity` })
  const dpr = window.devicePixelRatio || 1
  canvas.width = width * dpr
  canvas.height = height * dpr
  canvas.style.width = `${width}px`
  canvas.style.height = `${height}px`
  const g = canvas.getContext('2d')
  g.scale(dpr, dpr)
  const x = (t) => ((t - data.from) / 60_000) * CM
  const yF = (v) => ((FHR.max - v) / FHR.perCm) * CM
  const yU = (v) => fhrH + GAP + ((UA.max - v) / UA.perCm) * CM
  // The normal band, then the grid: a line every 10 bpm / 10 units and every minute, darker every 30 bpm / 25 units / 10 min.
  g.fillStyle = '#eef6ee'
  g.fillRect(0, yF(160), width, yF(110) - yF(160))
  for (let v = FHR.min; v <= FHR.max; v += 10) line(g, 0, yF(v), width, yF(v), v % 30 === 0 ? '#d99' : '#f1d4d4')
  for (let v = UA.min; v <= UA.max; v += 5) line(g, 0, yU(v), width, yU(v), v % 25 === 0 ? '#d99' : '#f1d4d4')
  for (let m = 0; m <= minutes; m++) {
    const px = m * CM
    const major = m % 10 === 0
    line(g, px, 0, px, fhrH, major ? '#c77' : '#f1d4d4')
    line(g, px, fhrH + GAP, px, height, major ? '#c77' : '#f1d4d4')
  }
  g.fillStyle = '#744'
  g.font = '10px sans-serif'
  for (let v = 60; v <= 210; v += 30) for (let m = 0; m < minutes; m += 10) g.fillText(String(v), m * CM + 2, v === FHR.max ? yF(v) + 10 : yF(v) - 2)
  for (let v = 0; v <= 100; v += 25) g.fillText(String(v), 2, yU(v) - 2)
  for (let m = 0; m < minutes; m += 10) g.fillText(fmtTime(data.from + m * 60_000), m * CM + 2, fhrH + GAP - 3)
  const fhr = points(data.signals, 'fhr')
  const fhr2 = points(data.signals, 'fhr2')
  const ua = points(data.signals, 'uc')
  const mhr = points(data.signals, 'mhr')
  // FHR 0 or outside the scale is signal loss: a gap in the pen, never a line to zero.
  trace(g, fhr, x, yF, (v) => v >= FHR.min && v <= FHR.max, '#111', 1.2)
  trace(g, fhr2, x, yF, (v) => v >= FHR.min && v <= FHR.max, '#1a55c4', 1)
  trace(g, mhr, x, yF, (v) => v >= FHR.min && v <= FHR.max, '#b05a00', 0.8)
  trace(g, ua, x, yU, (v) => v >= UA.min - 5 && v <= UA.max + 5, '#111', 1.2)
  canvas.dataset.minutes = String(minutes)
  canvas.dataset.fhrSamples = String(fhr.filter(([, v]) => v >= FHR.min && v <= FHR.max).length)
  canvas.dataset.uaSamples = String(ua.filter(([, v]) => Number.isFinite(v)).length)
  canvas.dataset.pxPerMinute = CM.toFixed(2)
  return canvas
}

function line(g, x1, y1, x2, y2, color) {
  g.strokeStyle = color
  g.lineWidth = 1
  g.beginPath()
  g.moveTo(Math.round(x1) + 0.5, Math.round(y1) + 0.5)
  g.lineTo(Math.round(x2) + 0.5, Math.round(y2) + 0.5)
  g.stroke()
}

function trace(g, pts, x, y, valid, color, width) {
  g.strokeStyle = color
  g.lineWidth = width
  g.beginPath()
  let pen = false
  let last = -Infinity
  for (const [t, v] of pts) {
    // A break longer than 2 s is a gap too (a chunk that never came).
    if (!Number.isFinite(v) || !valid(v) || t - last > 2000) pen = false
    if (Number.isFinite(v) && valid(v)) {
      if (pen) g.lineTo(x(t), y(v))
      else g.moveTo(x(t), y(v))
      pen = true
      last = t
    }
  }
  g.stroke()
}

function verdictPanel(data) {
  const v = data.verdicts[0]
  if (!v) return el('aside', { class: 'ctg-verdict', 'data-classification': 'none' }, el('h2', { text: 'Classification' }), el('p', { text: 'No FIGO verdict in this window yet (the edge classifies after 10 min of trace).' }))
  const decels = ['early', 'variable', 'late', 'prolonged'].map((k) => `${v[`${k}_decelerations`]} ${k}`).join(', ')
  const facts = [
    ['Baseline', v.baseline_bpm === null ? '–' : `${v.baseline_bpm} bpm`],
    ['Variability', v.variability_bpm === null ? '–' : `${v.variability_bpm} bpm`],
    ['Accelerations', String(v.accelerations)],
    ['Decelerations', decels],
    ['Contractions', String(v.contractions)],
    ['Signal loss', `${v.signal_loss_pct} %`],
    ['Window', `${fmtTime(v.window_start)}–${fmtTime(v.time)} (${v.minutes} min)`],
  ]
  const history = data.verdicts.slice(1, 8).map((h) => el('li', { text: `${fmtTime(h.time)} ${h.classification}` }))
  return el('aside', { class: 'ctg-verdict', 'data-classification': v.classification },
    el('h2', { text: 'FIGO 2015' }),
    el('p', { class: `ctg-class ctg-${v.classification}`, text: v.classification.toUpperCase() }),
    el('h3', { text: 'Reasons' }),
    el('ul', { class: 'ctg-reasons' }, ...v.reasons.map((r) => el('li', { text: r }))),
    ...(v.notes.length ? [el('ul', { class: 'ctg-notes' }, ...v.notes.map((r) => el('li', { text: r })))] : []),
    el('dl', {}, ...facts.flatMap(([k, val]) => [el('dt', { text: k }), el('dd', { text: val })])),
    ...(history.length ? [el('h3', { text: 'Earlier' }), el('ul', { class: 'ctg-history' }, ...history)] : []),
    el('p', { class: 'ctg-disclaimer', text: 'Decision support beside the trace, not a diagnosis.' }))
}

async function load() {
  clearTimeout(state.timer)
  const q = new URLSearchParams({ minutes: String(state.minutes) })
  if (state.to !== null) q.set('to', String(state.to))
  try {
    const res = await fetch(`/v1/patients/${encodeURIComponent(pid)}/ctg?${q}`, { headers: { accept: 'application/json' } })
    if (!res.ok) {
      status.textContent = res.status === 403 ? 'not allowed' : `error ${res.status}`
      return
    }
    const data = await res.json()
    main.replaceChildren(controls(), el('div', { class: 'ctg-layout' }, el('div', { class: 'ctg-paper' }, draw(data)), verdictPanel(data)))
    main.setAttribute('aria-busy', 'false')
    main.dataset.mode = data.live ? 'live' : 'record'
    status.textContent = data.live ? `live · ${fmtTime(data.to)}` : `from the record · to ${new Date(data.to).toLocaleString()}`
    // Scroll to the newest minutes, as the paper comes out of the monitor.
    const paper = main.querySelector('.ctg-paper')
    paper.scrollLeft = paper.scrollWidth
  } catch (err) {
    status.textContent = `offline: ${err.message}`
  }
  if (state.to === null) state.timer = setTimeout(load, 10_000)
}

load()
