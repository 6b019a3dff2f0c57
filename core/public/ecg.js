// ECG on a canvas, calibrated like paper: 25 mm/s and 10 mm/mV, so shapes read as clinicians
// expect. The standard 12-lead layout (3 rows × 4 columns of 2.5 s, each column the next 2.5 s)
// above a 10 s lead II rhythm strip; any other lead set (a Holter's MLII and V5, PTB's 15 leads
// with Frank's vx vy vz) as one 10 s strip per lead.
const LAYOUT = [['I', 'aVR', 'V1', 'V4'], ['II', 'aVL', 'V2', 'V5'], ['III', 'aVF', 'V3', 'V6']]
const SECONDS = 10

const STANDARD = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6']

/** How a lead set is drawn: the 12-lead grid when every lead is a standard one, else a strip per lead (standard ones first, in their order). */
export function ecgLayout(leads) {
  const set = [...new Set(leads)]
  if (set.every((l) => STANDARD.includes(l))) return { grid: LAYOUT, strips: ['II'] }
  return { grid: null, strips: [...STANDARD.filter((l) => set.includes(l)), ...set.filter((l) => !STANDARD.includes(l))] }
}

/** traces: [{ lead, start_time, sample_rate_hz, resolution_uv, samples }], any order. */
export function drawEcg(canvas, traces) {
  const layout = ecgLayout(traces.map((t) => t.lead))
  // Say what is drawn: the page labels the canvas "ECG of {patient}, …".
  const who = (canvas.getAttribute('aria-label') ?? 'ECG').split(', last')[0]
  canvas.setAttribute('aria-label', `${who}, last 10 seconds, ${layout.grid ? '12 leads and lead II rhythm strip' : `a strip per lead: ${layout.strips.join(', ')}`}`)
  const width = canvas.clientWidth || 600
  const pxPerSecond = width / SECONDS
  const pxPerMv = (pxPerSecond * 10) / 25
  const rowHeight = Math.round(pxPerMv * 2.2)
  const height = rowHeight * ((layout.grid ? layout.grid.length : 0) + Math.max(1, layout.strips.length))
  const dpr = window.devicePixelRatio || 1
  canvas.width = Math.round(width * dpr)
  canvas.height = Math.round(height * dpr)
  canvas.style.height = `${height}px`
  const g = canvas.getContext('2d')
  g.setTransform(dpr, 0, 0, dpr, 0, 0)
  g.fillStyle = '#fff'
  g.fillRect(0, 0, width, height)
  grid(g, width, height, pxPerSecond, pxPerMv)
  const byLead = new Map()
  let end = 0
  for (const t of traces) {
    if (!byLead.has(t.lead)) byLead.set(t.lead, [])
    byLead.get(t.lead).push(t)
    end = Math.max(end, t.start_time + (t.samples.length * 1000) / t.sample_rate_hz)
  }
  if (end === 0) {
    g.fillStyle = '#555'
    g.font = '14px system-ui, sans-serif'
    g.fillText('no ECG in the last minute', 10, 20)
    return
  }
  const start = end - SECONDS * 1000
  const rows = layout.grid ? layout.grid.length : 0
  layout.grid?.forEach((row, r) => row.forEach((lead, c) => {
    const from = start + c * 2500
    trace(g, byLead.get(lead) ?? [], from, from + 2500, c * (width / 4), (r + 0.5) * rowHeight, pxPerSecond, pxPerMv, lead)
  }))
  layout.strips.forEach((lead, k) => trace(g, byLead.get(lead) ?? [], start, end, 0, (rows + k + 0.5) * rowHeight, pxPerSecond, pxPerMv, lead))
}

function grid(g, width, height, pxPerSecond, pxPerMv) {
  // 1 mm = 0.04 s; bold every 5 mm.
  const mm = pxPerSecond * 0.04
  for (let i = 0, x = 0; x <= width; i++, x = i * mm) line(g, x, 0, x, height, i % 5 === 0 ? '#f2b8b8' : '#fbe3e3')
  const mmY = pxPerMv / 10
  for (let i = 0, y = 0; y <= height; i++, y = i * mmY) line(g, 0, y, width, y, i % 5 === 0 ? '#f2b8b8' : '#fbe3e3')
}

function line(g, x1, y1, x2, y2, colour) {
  g.strokeStyle = colour
  g.lineWidth = 1
  g.beginPath()
  g.moveTo(x1 + 0.5, y1 + 0.5)
  g.lineTo(x2 + 0.5, y2 + 0.5)
  g.stroke()
}

function trace(g, chunks, from, to, x0, yMid, pxPerSecond, pxPerMv, label) {
  g.fillStyle = '#000'
  g.font = '12px system-ui, sans-serif'
  g.fillText(label, x0 + 4, yMid - pxPerMv * 0.8)
  g.strokeStyle = '#111'
  g.lineWidth = 1.2
  g.beginPath()
  let drawing = false
  let lastT = -Infinity
  for (const c of [...chunks].sort((a, b) => a.start_time - b.start_time)) {
    const dt = 1000 / c.sample_rate_hz
    c.samples.forEach((s, i) => {
      const t = c.start_time + i * dt
      if (t < from || t >= to) return
      const x = x0 + ((t - from) / 1000) * pxPerSecond
      const y = yMid - ((s * c.resolution_uv) / 1000) * pxPerMv
      // A gap in the signal is left blank, not bridged by a straight line.
      if (!drawing || t - lastT > 3 * dt) g.moveTo(x, y)
      else g.lineTo(x, y)
      drawing = true
      lastT = t
    })
  }
  g.stroke()
}
