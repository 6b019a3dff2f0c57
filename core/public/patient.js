// The patient page's client: reads /v1/patients/:id/summary for the chosen window and draws it.
// Live through the patient's stream (/v1/patients/:id/live, Server-Sent Events): it says when
// something of this patient arrived and the page reads its summary again (at most every 2 s); a
// re-read every 60 s catches what the stream does not carry (labs, diagnoses, suggestions). Text goes in with textContent only (patient data never becomes markup).
import uPlot from './uPlot.esm.js'
import { displayUnit } from './units.js'
import { el } from './dom.js'
import { drawEcg } from './ecg.js'
import { labOrderRows, renderOrderSet } from './order-set.js'

const pid = document.body.dataset.patient
const main = document.getElementById('patient')
const statusEl = document.getElementById('status')
const WINDOWS = [['1', '1 h'], ['8', '8 h'], ['24', '24 h'], ['168', '7 days']]
const ORDER = ['heart_rate', 'spo2', 'respiratory_rate', 'nibp_systolic', 'art_systolic', 'temperature']
const LABELS = { heart_rate: 'Heart rate', spo2: 'SpO₂', respiratory_rate: 'Respiratory rate', nibp_systolic: 'NIBP systolic', art_systolic: 'ART systolic', temperature: 'Temperature' }
// NEWS2 (RCP 2017) score bands per parameter as [low, high, score]; SpO₂ on scale 1. Shaded behind
// the traces so a value's score reads off the chart; the verdicts themselves come from the gateway.
const NEWS2 = {
  respiratory_rate: [[0, 8, 3], [8, 11, 1], [20, 24, 2], [24, 99, 3]],
  spo2: [[0, 91, 3], [91, 93, 2], [93, 95, 1]],
  heart_rate: [[0, 40, 3], [40, 50, 1], [90, 110, 1], [110, 130, 2], [130, 300, 3]],
  nibp_systolic: [[0, 90, 3], [90, 100, 2], [100, 110, 1], [219, 400, 3]],
  art_systolic: [[0, 90, 3], [90, 100, 2], [100, 110, 1], [219, 400, 3]],
  temperature: [[25, 35, 3], [35, 36, 1], [38, 39, 1], [39, 45, 2]],
}
/** The y range each chart shows at least (widened to fit the data), so bands and a flat trace read. */
const RANGE = { heart_rate: [40, 160], spo2: [85, 100], respiratory_rate: [5, 35], nibp_systolic: [70, 200], art_systolic: [70, 200], temperature: [34, 40] }
const BAND = { 1: 'rgba(255, 214, 10, .22)', 2: 'rgba(247, 127, 0, .22)', 3: 'rgba(193, 18, 31, .2)' }

let hours = new URLSearchParams(location.search).get('hours') ?? '24'
if (!WINDOWS.some(([h]) => h === hours)) hours = '24'
let timer = null
const plots = new Map() // vital → uPlot
// What the charts show now; read at draw time, so a refresh moves the window without a rebuild.
const view = { from: 0, to: 1, alarms: [] }
let chartsEl = null
let chartsKey = ''
// The ECG section outlives a refresh: the minute chosen stays chosen and drawn.
let ecgEl = null
let ecgMinutesKey = ''
let ecgMinute = null

const when = (ms) => (ms === null || ms === undefined ? '' : new Date(ms).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }))
const fmt = (name, v) => (v === null || v === undefined || Number.isNaN(v) ? '—' : name === 'temperature' ? v.toFixed(1) : String(Math.round(v * 10) / 10))

function table(caption, columns, rows, attrs = {}) {
  const t = el('table', attrs, el('caption', { text: caption }))
  t.append(el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', text: c })))))
  const body = el('tbody')
  if (rows.length === 0) body.append(el('tr', {}, Object.assign(el('td', { text: 'none' }), { colSpan: columns.length })))
  for (const r of rows) body.append(r)
  t.append(body)
  return t
}
const row = (cells, attrs = {}) => el('tr', attrs, ...cells.map((c) => (c instanceof Node ? el('td', {}, c) : el('td', { text: c ?? '' }))))

/** Shades the NEWS2 bands and marks the alarms: drawn under the series. */
function bandsPlugin(name) {
  return {
    hooks: {
      drawAxes: (u) => {
        const { ctx } = u
        const { left, top, width, height } = u.bbox
        ctx.save()
        for (const [lo, hi, score] of NEWS2[name] ?? []) {
          const y0 = u.valToPos(hi, 'y', true)
          const y1 = u.valToPos(lo, 'y', true)
          const a = Math.max(top, Math.min(y0, y1))
          const b = Math.min(top + height, Math.max(y0, y1))
          if (b > a) { ctx.fillStyle = BAND[score]; ctx.fillRect(left, a, width, b - a) }
        }
        ctx.strokeStyle = '#c1121f'
        ctx.lineWidth = 2 * devicePixelRatio
        for (const t of view.alarms) {
          const x = u.valToPos(t / 1000, 'x', true)
          if (x < left || x > left + width) continue
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke()
        }
        ctx.restore()
      },
    },
  }
}

function renderCharts(section, data) {
  view.from = data.from / 1000
  view.to = data.to / 1000
  view.alarms = data.alarms.map((a) => a.time)
  const vitals = [...data.vitals].sort((a, b) => (ORDER.indexOf(a.name) + 1 || 99) - (ORDER.indexOf(b.name) + 1 || 99))
  const series = (v) => [v.t.map((t) => t / 1000), v.avg, v.min, v.max]
  // A refresh of the same window and vitals updates the plots in place: hover and zoom stay.
  const key = `${hours}|${vitals.map((v) => `${v.name}:${v.unit}`).join(',')}`
  if (key === chartsKey && plots.size === vitals.length) {
    for (const v of vitals) { const p = plots.get(v.name); p.setData(series(v), !p.zoomed) }
    return
  }
  chartsKey = key
  for (const p of plots.values()) p.destroy()
  plots.clear()
  section.replaceChildren()
  if (vitals.length === 0) section.append(el('p', { text: 'No vital signs in this window.' }))
  for (const v of vitals) {
    const unit = displayUnit(v.unit, v.name)
    const label = `${LABELS[v.name] ?? v.name}${unit ? ` (${unit})` : ''}`
    const box = el('figure', { class: 'chart', 'data-vital': v.name })
    box.append(el('figcaption', { text: label }))
    section.append(box)
    const width = Math.max(260, box.clientWidth || section.clientWidth || 600)
    const opts = {
      width, height: 170,
      scales: {
        // The whole window unless zoomed (setSelect, below, fires before the zoom's setScale).
        x: { time: true, range: (u, min, max) => (u.zoomed ? [min, max] : [view.from, view.to]) },
        y: { range: (_u, min, max) => {
          const [lo, hi] = RANGE[v.name] ?? [min ?? 0, max ?? 1]
          const a = Math.min(lo, min ?? lo)
          const b = Math.max(hi, max ?? hi)
          return a === b ? [a - 1, b + 1] : [a, b]
        } },
      },
      series: [
        { value: (_u, t) => (t === null ? '—' : when(t * 1000)) },
        { label: 'mean', stroke: '#1d3557', width: 1.5, spanGaps: false, value: (_u, y) => `${fmt(v.name, y)} ${unit}` },
        { label: 'min', stroke: 'rgba(29,53,87,.35)', width: 1, spanGaps: false, value: (_u, y) => fmt(v.name, y) },
        { label: 'max', stroke: 'rgba(29,53,87,.35)', width: 1, spanGaps: false, value: (_u, y) => fmt(v.name, y) },
      ],
      axes: [{}, { size: 46 }],
      plugins: [bandsPlugin(v.name)],
      hooks: { setSelect: [(u) => { if (u.select.width > 0) u.zoomed = true }] },
      legend: { live: true },
    }
    const plot = new uPlot(opts, series(v), box)
    plot.over.addEventListener('dblclick', () => { plot.zoomed = false; plot.setScale('x', { min: view.from, max: view.to }) })
    plots.set(v.name, plot)
  }
}

/** The ECG section: a stored minute to pick (newest first) and every lead of it, 10 s a row. */
function renderEcg(minutes) {
  if (!ecgEl) {
    ecgEl = el('section', { class: 'ecg-minute', 'aria-label': 'ECG, full disclosure' })
    ecgEl.append(el('h2', { text: 'ECG' }), el('div', { class: 'ecg-pick' }), el('div', { class: 'ecg-strips' }))
  }
  const key = minutes.join(',')
  if (key === ecgMinutesKey) return ecgEl
  ecgMinutesKey = key
  const pick = ecgEl.querySelector('.ecg-pick')
  if (minutes.length === 0) {
    pick.replaceChildren(el('p', { text: 'No ECG stored in this window.' }))
    ecgEl.querySelector('.ecg-strips').replaceChildren()
    ecgMinute = null
    return ecgEl
  }
  const select = el('select', { name: 'minute' })
  for (const m of minutes) select.append(el('option', { value: String(m), text: new Date(m).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) }))
  if (ecgMinute === null || !minutes.includes(ecgMinute)) ecgMinute = minutes[0]
  select.value = String(ecgMinute)
  select.addEventListener('change', () => { ecgMinute = Number(select.value); drawMinute() })
  pick.replaceChildren(el('label', { text: 'Minute ' }, select))
  drawMinute()
  return ecgEl
}

async function drawMinute() {
  const minute = ecgMinute
  const strips = ecgEl.querySelector('.ecg-strips')
  const res = await fetch(`/v1/patients/${encodeURIComponent(pid)}/ecg?minute=${minute}`, { headers: { accept: 'application/json' } })
  if (minute !== ecgMinute) return
  if (!res.ok) return strips.replaceChildren(el('p', { class: 'refused', role: 'alert', text: `ECG not read (${res.status})` }))
  const { traces } = await res.json()
  strips.replaceChildren()
  strips.dataset.minute = String(minute)
  strips.dataset.leads = [...new Set(traces.map((t) => t.lead))].join(',')
  for (let s = 0; s < 60; s += 10) {
    const from = minute + s * 1000
    const part = traces.map((t) => clip(t, from, from + 10_000)).filter((t) => t.samples.length > 0)
    if (part.length === 0) continue
    const at = new Date(from).toLocaleTimeString()
    const canvas = el('canvas', { class: 'ecg', role: 'img', 'aria-label': `ECG of ${pid} from ${at}` })
    strips.append(el('figure', {}, el('figcaption', { text: `${at} + 10 s` }), canvas))
    drawEcg(canvas, part)
  }
}

/** The samples of a trace within [from, to). */
function clip(t, from, to) {
  const first = Math.max(0, Math.ceil(((from - t.start_time) * t.sample_rate_hz) / 1000))
  const last = Math.min(t.samples.length, Math.ceil(((to - t.start_time) * t.sample_rate_hz) / 1000))
  return { ...t, start_time: t.start_time + (first * 1000) / t.sample_rate_hz, samples: last > first ? t.samples.slice(first, last) : [] }
}

// The latest reading itself when the summary has it (a chart bucket is a mean of up to an hour).
function latestOf(v, latest) {
  const r = (latest ?? []).find((l) => l.name === v.name)
  if (r) return { value: r.value, t: r.time }
  return v.t.length ? { value: v.avg[v.avg.length - 1], t: v.t[v.t.length - 1] } : null
}

function render(data) {
  const frag = document.createDocumentFragment()
  const open = data.encounters.find((e) => e.end_time === null) ?? data.encounters[0]
  const verdict = data.triage[0]
  // The handover summary: who, where, the latest level and values, what is outstanding.
  const summary = el('section', { class: 'summary handover', 'aria-label': 'Summary' })
  summary.append(el('h2', { text: 'Summary' }))
  summary.append(el('p', { text: open ? `${open.kind.replace('_', ' ')} · ${open.site}${open.ward ? ` / ${open.ward}` : ''}${open.bed ? ` bed ${open.bed}` : ''} · since ${when(open.start_time)}` : 'No encounter on record.' }))
  const level = verdict?.level ?? null
  summary.append(el('p', {}, el('span', { class: `level level-${level ?? 'unknown'}`, text: level ? level.toUpperCase() : 'NOT TRIAGED' }),
    el('span', { text: verdict ? ` NEWS2 ${verdict.news2_score}${verdict.news2_partial ? ' (partial)' : ''} · ${when(verdict.time)} · model ${verdict.model_version}` : '' })))
  const latest = el('dl', { class: 'latest' })
  for (const v of data.vitals) {
    const l = latestOf(v, data.latest)
    if (!l) continue
    latest.append(el('dt', { text: LABELS[v.name] ?? v.name }), el('dd', { 'data-vital': v.name, text: `${fmt(v.name, l.value)} ${displayUnit(v.unit, v.name)}`.trim() }))
  }
  summary.append(latest)
  if (data.diagnoses.length) summary.append(el('p', { text: `Diagnoses: ${data.diagnoses.map((d) => `${d.icd10} (${d.kind})`).join(', ')}` }))
  frag.append(summary)

  const windows = el('div', { class: 'windows', role: 'group', 'aria-label': 'Window' })
  for (const [h, label] of WINDOWS) {
    const b = el('button', { type: 'button', 'data-hours': h, 'aria-pressed': String(h === hours), text: label })
    b.addEventListener('click', () => { hours = h; history.replaceState(null, '', `?hours=${h}`); load() })
    windows.append(b)
  }
  frag.append(windows)
  chartsEl ??= el('section', { class: 'charts' })
  chartsEl.setAttribute('aria-label', `Trends, last ${WINDOWS.find(([h]) => h === hours)[1]}`)
  const charts = chartsEl
  frag.append(charts)

  const alarmRows = data.alarms.map((a) => row([when(a.time), el('span', { class: `alarm-priority alarm-${a.priority ?? 'unknown'}`, text: (a.priority ?? 'unknown').toUpperCase() }), a.event_text || a.event_name, a.state,
    a.acks.length ? a.acks.map((k) => `${k.user} at ${when(k.acked_at)}${k.note ? ` (${k.note})` : ''}`).join('; ') : 'not acknowledged'], { 'data-alarm': a.alarm_id, class: a.acks.length ? 'acked' : 'unacked' }))
  frag.append(table('Alarms', ['Time', 'Priority', 'Alarm', 'State', 'Acknowledged'], alarmRows, { class: 'alarms handover' }))

  const labRows = data.labs.map((l) => {
    const flag = l.abnormal_flag ?? ''
    return row([when(l.time), l.test_code + (l.loinc ? ` (LOINC ${l.loinc})` : ''), `${l.value} ${displayUnit(l.unit)}`.trim(), l.reference_range, el('span', { class: `flag${flag ? ' abnormal' : ''}`, text: flag || 'normal' }), l.status],
      { 'data-test': l.test_code, class: flag ? 'abnormal handover-row' : '' })
  })
  frag.append(table('Labs (last 7 days)', ['Time', 'Test', 'Result', 'Reference', 'Flag', 'Status'], labRows, { class: 'labs handover' }))

  const triageRows = data.triage.map((t) => {
    const drivers = Array.isArray(t.model_drivers) ? t.model_drivers.slice(0, 3).map((d) => (typeof d === 'object' && d ? `${d.feature ?? d.name ?? ''} ${d.contribution ?? d.weight ?? ''}`.trim() : String(d))).join(', ') : ''
    const inputs = t.inputs && typeof t.inputs === 'object' ? Object.entries(t.inputs).filter(([, x]) => x !== null).map(([k, x]) => `${k} ${typeof x === 'object' ? x.value : x}`).join(', ') : ''
    return row([when(t.time), el('span', { class: `level level-${t.level}`, text: t.level.toUpperCase() }), `${t.news2_score}${t.news2_partial ? ` (partial; missing ${t.news2_missing.join(', ')})` : ''}`,
      `${t.model_version}${t.model_level ? ` → ${t.model_level}` : ''}`, inputs, drivers || '—'])
  })
  frag.append(table('Triage verdicts', ['Time', 'Level', 'NEWS2', 'Model', 'Inputs', 'Top drivers'], triageRows, { class: 'triage' }))
  const orderRows = data.orders.map((o) => row([when(o.placed_time), o.text || o.code, o.status, o.ordered_by], { 'data-order': o.order_id }))
  frag.append(table('Orders', ['Placed', 'Order', 'Status', 'By'], orderRows, { class: 'orders handover' }))
  const orderText = new Map(data.orders.map((o) => [o.order_id, o.text || o.code]))
  const num = (v, unit) => (v === null || v === undefined ? '—' : `${Math.round(v * 100) / 100}${unit ? ` ${unit}` : ''}`)
  const infusionRows = data.infusions.map((i) => row([`${i.device_id}${i.channel ? ` ch ${i.channel}` : ''}`, i.drug ?? '—', num(i.rate, i.rate_unit), num(i.volume_infused, i.volume_unit),
    [i.program_state, i.pump_state].filter(Boolean).join(' · ') || '—', i.order_id ? `${orderText.get(i.order_id) ?? ''} (${i.order_id})`.trim() : '—', when(i.time)], { 'data-pump': i.device_id }))
  frag.append(table('Infusions', ['Pump', 'Drug', 'Rate', 'Infused', 'Status', 'Order', 'Last report'], infusionRows, { class: 'infusions handover' }))
  const suggestionRows = data.suggestions.map((d) => {
    const agreed = d.clinician_icd10 === null ? 'no diagnosis yet' : d.top1_agrees ? `agreed (${d.clinician_icd10})` : d.top3_agrees ? `agreed with a lower suggestion (${d.clinician_icd10})` : `set ${d.clinician_icd10} instead`
    return row([when(d.time), d.kind.replace('_', ' '), d.suggested.map((x) => `${x.icd10}${x.p === null ? '' : ` ${Math.round(x.p * 100)}%`}`).join(', '), d.model,
      el('span', { class: `agreement ${d.top1_agrees ? 'agrees' : d.clinician_icd10 === null ? 'pending' : 'differs'}`, text: agreed }), d.verdict ?? '—'], { 'data-suggestion': d.suggestion_id })
  })
  frag.append(table('Decision support', ['Time', 'Kind', 'Suggested', 'Model', 'Clinician', 'Check answer'], suggestionRows, { class: 'suggestions' }))
  frag.append(renderOrderSet(pid, data, () => load()))
  frag.append(table('Lab orders', ['Placed', 'Tests', 'Specimen', 'Priority', 'State', 'Since', 'By'], labOrderRows(data.lab_orders, row, when), { class: 'lab-orders handover' }))
  frag.append(renderEcg(data.ecg_minutes))

  const home = el('section', { class: 'home-record', 'aria-label': 'From home' })
  frag.append(home)

  main.replaceChildren(frag)
  main.setAttribute('aria-busy', 'false')
  renderCharts(charts, data)
  void renderHome(home)
}

/** What the patient sent from home (docs/surveys.md): symptom surveys with their risk, and readings marked patient-reported. */
async function renderHome(section) {
  const res = await fetch(`/v1/patients/${encodeURIComponent(pid)}/home`, { headers: { accept: 'application/json' } })
  if (!res.ok) return
  const home = await res.json()
  const surveyRows = home.surveys.map((s) => row([when(s.submitted_time), `day ${s.cycle_day}`, el('span', { class: `risk risk-${s.risk}`, text: s.risk.toUpperCase() }), s.reasons.join('; ') || '—',
    s.reviewed ? `${s.reviewed.by} at ${when(s.reviewed.at)}` : `due ${when(s.review_due)}`, s.consults.map((c) => `teleconsultation ${c.status}`).join('; ')], { 'data-response': s.response_id }))
  const readingRows = home.readings.map((r) => row([when(r.time), r.label || r.name, `${fmt(r.name, r.value)} ${displayUnit(r.unit)}`, 'patient-reported'], { class: 'patient-reported' }))
  section.replaceChildren(
    table('Symptom surveys (last 14 days)', ['Sent', 'Cycle', 'Risk', 'Reasons', 'Review', 'Consultation'], surveyRows, { class: 'surveys' }),
    table('Home readings (last 14 days)', ['Time', 'Measurement', 'Value', 'Source'], readingRows, { class: 'home-readings' }),
  )
}

async function load() {
  clearTimeout(timer)
  try {
    const res = await fetch(`/v1/patients/${encodeURIComponent(pid)}/summary?hours=${hours}`, { headers: { accept: 'application/json' } })
    if (res.status === 401) return location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`)
    const body = await res.json()
    if (!res.ok) {
      main.replaceChildren(el('p', { class: 'refused', role: 'alert', text: body.message ?? `error ${res.status}` }))
      statusEl.textContent = `refused (${res.status})`
      return
    }
    render(body)
    lastLoad = Date.now()
    statusEl.textContent = `updated ${new Date().toLocaleTimeString()} · ${live ? 'live' : 'refreshes every 60 s'}`
  } catch (err) {
    statusEl.textContent = `not updated: ${err.message}; retrying`
  }
  timer = setTimeout(load, 60_000)
}

// The stream: a change of this patient reads the summary again, no sooner than 2 s after the last.
let live = false
let lastLoad = 0
let soon = null
const stream = new EventSource(`/v1/patients/${encodeURIComponent(pid)}/live`)
stream.addEventListener('open', () => { live = true })
stream.addEventListener('changed', () => {
  if (soon) return
  soon = setTimeout(() => { soon = null; load() }, Math.max(0, lastLoad + 2000 - Date.now()))
})
stream.addEventListener('failure', (e) => {
  const { error } = JSON.parse(e.data)
  live = false
  // Too slow: the server ends the stream and EventSource reconnects by itself; read the page again.
  if (error === 'NEVA_CORE_STREAM_TOO_SLOW') return void load()
  stream.close()
  // Session over: log in again. Grants changed: reload, and be refused if the patient is no longer ours.
  if (error === 'NEVA_CORE_SESSION_ENDED') location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`)
  else if (error === 'NEVA_CORE_GRANTS_CHANGED') location.reload()
})
stream.onerror = () => { live = false }

addEventListener('resize', () => { for (const p of plots.values()) p.setSize({ width: Math.max(260, p.root.parentElement.clientWidth), height: 170 }) })
load()
