// The boards' client: one EventSource, a snapshot then deltas, applied to tables built once.
// Text goes in with textContent only (patient data never becomes markup).
import uPlot from './uPlot.esm.js'
import { drawEcg } from './ecg.js'
import { displayUnit } from './units.js'
import { el } from './dom.js'

const board = document.body.dataset.board
const main = document.getElementById('board')
const statusEl = document.getElementById('status')
const VITALS = {
  ed: ['heart_rate', 'spo2', 'respiratory_rate', 'nibp_systolic', 'temperature'],
  icu: ['heart_rate', 'spo2', 'respiratory_rate', 'nibp_systolic', 'art_systolic', 'temperature'],
  triage: ['heart_rate', 'spo2', 'respiratory_rate', 'nibp_systolic', 'temperature'],
}[board]
const LABELS = { heart_rate: 'HR', spo2: 'SpO₂', respiratory_rate: 'RR', nibp_systolic: 'NIBP sys', art_systolic: 'ART sys', temperature: 'Temp' }
/** How far a value moves before it counts as changed since the last look. */
const MOVED = { heart_rate: 10, spo2: 3, respiratory_rate: 4, nibp_systolic: 15, art_systolic: 15, temperature: 0.5 }
const LEVEL_ORDER = { red: 0, yellow: 1, green: 2 }
const TREND_MS = 15 * 60_000

let state = null
const rows = new Map() // patient → { tr, cells: { vital → td }, level, plots }
// Patients' last values stay in this tab only (sessionStorage, cleared when the session ends),
// never in localStorage, which outlives a logout on a shared workstation.
const seenKey = `neva.seen.${board}`
localStorage.removeItem(seenKey)
let seen = JSON.parse(sessionStorage.getItem(seenKey) || 'null')

const fmt = (name, v) => (name === 'temperature' ? v.toFixed(1) : String(Math.round(v)))
const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })

function card(pid) {
  let c = state.cards.find((x) => x.patient_id === pid)
  if (!c) state.cards.push((c = { patient_id: pid, vitals: {}, trends: {}, triage: null }))
  return c
}

function levelOf(pid) {
  const c = state.cards.find((x) => x.patient_id === pid)
  if (c?.triage) return c.triage.level
  const e = state.encounters?.find((x) => x.patient_id === pid)
  return e?.triage_level ?? null
}

function levelBadge(level) {
  return el('span', { class: `level level-${level ?? 'unknown'}`, text: level ? level.toUpperCase() : 'NOT TRIAGED' })
}

function renderLevel(pid) {
  const r = rows.get(pid)
  if (!r) return
  const c = card(pid)
  const t = c.triage
  const level = levelOf(pid)
  const parts = [levelBadge(level)]
  if (t) {
    parts.push(el('div', { text: `NEWS2 ${t.news2_score}${t.news2_partial ? ' (partial)' : ''} → ${t.news2_level}` }))
    parts.push(el('div', { text: t.model_level ? `model: ${t.model_level}` : 'model: none' }))
  }
  const was = seen?.[pid]?.level
  if (seen && was !== undefined && was !== level) parts.push(el('span', { class: 'chg', text: `changed, was ${was ? was.toUpperCase() : 'not triaged'}` }))
  r.level.replaceChildren(...parts)
}

function renderVital(pid, name) {
  const r = rows.get(pid)
  const td = r?.cells[name]
  if (!td) return
  const v = card(pid).vitals[name]
  const parts = []
  if (!v) parts.push(el('span', { class: 'missing', text: '—' }), el('span', { class: 'u', text: ' no reading' }))
  else {
    // The unit as clinicians read it; the UCUM code the data carries in its title.
    parts.push(el('span', { class: 'v', text: fmt(name, v.value) }), el('span', { class: 'u', text: ` ${displayUnit(v.unit, name)}`, title: v.unit }))
    if (v.flags?.length) parts.push(el('span', { class: 'u', text: ` (${v.flags.join(', ')})` }))
    const was = seen?.[pid]?.vitals?.[name]
    if (seen && was !== undefined && Math.abs(v.value - was) >= (MOVED[name] ?? 0.001)) {
      parts.push(el('span', { class: 'chg', text: `${v.value > was ? '▲' : '▼'} was ${fmt(name, was)}` }))
    }
  }
  td.querySelector('.reading').replaceChildren(...parts)
  // One point is no trend: uPlot would draw it as a lone marker, so a line starts at two.
  const points = card(pid).trends[name] ?? []
  const data = points.length < 2 ? [[], []] : [points.map((p) => p[0] / 1000), points.map((p) => p[1])]
  const box = td.querySelector('.spark')
  if (!r.plots[name]) {
    r.plots[name] = new uPlot({ width: box.clientWidth || 100, height: 34, cursor: { show: false }, legend: { show: false }, select: { show: false },
      axes: [{ show: false }, { show: false }], scales: { x: { time: true } }, series: [{}, { stroke: '#1d3557', width: 1.5, spanGaps: false, points: { show: false } }] }, data, box)
  } else r.plots[name].setData(data)
}

function patientRow(pid, leading, trailing = []) {
  const tr = el('tr', { 'data-patient': pid })
  // The row's heading opens the patient page (/patients/:id), under the same grants.
  const head = leading[0]
  if (head) head.replaceChildren(el('a', { class: 'patient-link', href: `/patients/${encodeURIComponent(pid)}`, text: head.textContent }))
  const cells = {}
  const level = el('td', { class: 'level-cell' })
  tr.append(...leading, level)
  for (const name of VITALS) {
    const td = el('td', { class: 'vital', 'data-vital': name }, el('div', { class: 'reading' }), el('div', { class: 'spark', 'aria-hidden': 'true' }))
    cells[name] = td
    tr.append(td)
  }
  tr.append(...trailing)
  rows.set(pid, { tr, cells, level, plots: {} })
  return tr
}

function fillRow(pid) {
  renderLevel(pid)
  for (const name of VITALS) renderVital(pid, name)
}

function table(caption, columns) {
  const head = el('tr')
  for (const c of columns) head.append(el('th', { scope: 'col', text: c }))
  for (const name of VITALS) head.append(el('th', { scope: 'col', text: LABELS[name] }))
  return { table: el('table', {}, el('caption', { text: caption }), el('thead', {}, head)), body: el('tbody') }
}

function render() {
  rows.clear()
  main.replaceChildren()
  if (board === 'ed') renderEd()
  else if (board === 'icu') renderIcu()
  else renderTriage()
  main.setAttribute('aria-busy', 'false')
}

function renderEd() {
  const { table: t, body } = table('Ambulances en route', ['Unit / patient', 'ETA', 'Level'])
  const span = 3 + VITALS.length
  for (const tr of state.transports) {
    const eta = tr.state !== 'en_route' ? tr.state.replace('_', ' ') : tr.eta === null ? 'no ETA sent' : `${time(tr.eta)} (in ${Math.max(0, Math.round((tr.eta - Date.now()) / 60_000))} min)`
    const row = patientRow(tr.patient_id, [el('th', { scope: 'row', text: `${tr.unit} · ${tr.patient_id}` }), el('td', { class: 'eta', text: eta })])
    if (seen && !seen[tr.patient_id]) row.classList.add('new')
    body.append(row)
    const canvas = el('canvas', { class: 'ecg', role: 'img', 'aria-label': `ECG of ${tr.patient_id}, last 10 seconds, 12 leads and lead II rhythm strip` })
    body.append(el('tr', { class: 'ecg-row', 'data-ecg': tr.patient_id }, Object.assign(el('td', {}, canvas), { colSpan: span })))
    rows.get(tr.patient_id).ecg = canvas
  }
  if (state.transports.length === 0) body.append(el('tr', {}, Object.assign(el('td', { text: 'No ambulance en route to your sites.' }), { colSpan: span })))
  t.append(body)
  main.append(t)
  for (const tr of state.transports) {
    fillRow(tr.patient_id)
    drawEcg(rows.get(tr.patient_id).ecg, state.ecg[tr.patient_id] ?? [])
  }
}

/** Alarms naming no patient (a gateway silent), above the beds: a technical line per alarm. */
function renderPlaceAlarms() {
  const list = state.place_alarms ?? []
  if (list.length === 0) return
  const section = el('section', { class: 'place-alarms', 'aria-label': 'Technical alarms' })
  section.append(...list.map((a) => {
    const priority = a.priority ?? 'unknown'
    return el('div', { class: `alarm alarm-${priority}`, 'data-alarm': a.alarm_id },
      el('span', { class: 'alarm-priority', text: priority === 'unknown' ? 'PRIORITY ?' : priority.toUpperCase() }), ' ',
      el('span', { text: `${a.alert_type ?? 'alarm'} · ${a.site}${a.ward ? ` ${a.ward}` : ''}: ${a.event_text ?? a.event_name ?? 'alarm'} (since ${time(a.first_time)})` }))
  }))
  main.append(section)
}

function renderIcu() {
  renderPlaceAlarms()
  const { table: t, body } = table('ICU beds', ['Bed', 'Level'])
  t.querySelector('thead tr').append(el('th', { scope: 'col', text: 'Alarms' }), el('th', { scope: 'col', text: 'Orders' }))
  const beds = [...state.encounters].sort((a, b) => `${a.ward}/${a.bed}`.localeCompare(`${b.ward}/${b.bed}`))
  for (const e of beds) {
    const alarms = el('td', { class: 'alarms' })
    const orders = el('td', { class: 'orders' })
    body.append(patientRow(e.patient_id, [el('th', { scope: 'row', text: `${e.ward ?? ''} ${e.bed ?? '(no bed)'} · ${e.patient_id}` })], [alarms, orders]))
    Object.assign(rows.get(e.patient_id), { alarms, orders, encounter: e })
  }
  if (beds.length === 0) body.append(el('tr', {}, Object.assign(el('td', { text: 'No ICU bed on your wards.' }), { colSpan: 4 + VITALS.length })))
  t.append(body)
  main.append(t)
  for (const e of beds) {
    fillRow(e.patient_id)
    renderOrders(e.patient_id)
    renderAlarms(e.patient_id)
  }
}

function renderTriage() {
  const { table: t, body } = table('Arrivals waiting, most urgent first', ['Patient', 'Waiting', 'Level'])
  const rank = (pid) => { const l = levelOf(pid); return l === null ? -1 : LEVEL_ORDER[l] }
  // Not yet triaged first (nobody knows how urgent they are), then red, yellow, green; longest wait first.
  const arrivals = [...state.encounters].sort((a, b) => rank(a.patient_id) - rank(b.patient_id) || a.start_time - b.start_time)
  for (const e of arrivals) {
    const waited = Math.round((Date.now() - e.start_time) / 60_000)
    body.append(patientRow(e.patient_id, [el('th', { scope: 'row', text: `${e.patient_id} · ${e.site}` }), el('td', { text: `${waited} min (since ${time(e.start_time)})` })]))
  }
  if (arrivals.length === 0) body.append(el('tr', {}, Object.assign(el('td', { text: 'Nobody waiting.' }), { colSpan: 3 + VITALS.length })))
  t.append(body)
  main.append(t)
  for (const e of arrivals) fillRow(e.patient_id)
}

const NEXT = { placed: ['in_progress', 'done', 'cancelled'], in_progress: ['done', 'cancelled'], done: [], cancelled: [] }
const ACTION = { in_progress: 'Start', done: 'Done', cancelled: 'Cancel' }

function renderOrders(pid) {
  const r = rows.get(pid)
  if (!r?.orders) return
  const list = el('ul')
  for (const o of state.orders.filter((x) => x.patient_id === pid)) {
    const li = el('li', { 'data-order': o.order_id }, el('span', { text: `${o.text} — ` }), el('span', { class: 'order-status', text: o.status.replace('_', ' ') }))
    for (const next of NEXT[o.status]) {
      const b = el('button', { type: 'button', text: ACTION[next] })
      b.addEventListener('click', () => post(`/v1/orders/${encodeURIComponent(o.order_id)}/status`, { status: next }))
      li.append(' ', b)
    }
    // An order a pump carries out (its OBR-2) shows what the pump does now.
    const pump = (state.infusions ?? []).find((i) => i.patient_id === pid && i.order_id === o.order_id)
    if (pump) li.append(' ', el('span', { class: 'order-pump', text: `(pump: ${pumpState(pump)})` }))
    list.append(li)
  }
  // Every pump channel of the bed: drug, rate, volume infused and state, as last reported.
  for (const i of (state.infusions ?? []).filter((x) => x.patient_id === pid)) {
    const rate = i.rate === null ? 'rate not sent' : `${i.rate} ${i.rate_unit ?? ''}`.trim()
    const volume = i.volume_infused === null ? '' : `, ${i.volume_infused} ${i.volume_unit ?? ''} infused`.trimEnd()
    list.append(el('li', { class: 'infusion', 'data-pump': i.device_id }, el('span', { text: `${i.drug ?? 'unnamed drug'} ${rate}${volume} — ` }), el('span', { class: 'pump-state', text: pumpState(i) }), el('span', { class: 'pump-device', text: ` · ${i.device_id} ${time(i.time)}` })))
  }
  r.orders.replaceChildren(list.children.length ? list : el('span', { text: 'no orders' }))
}

/** A pump's state in words: "pump-delivery-status-delivering" → "delivering". */
function pumpState(i) {
  const s = i.program_state ?? i.pump_state
  return s === null ? 'state not sent' : s.replace(/^pump-(delivery-status|status)-/, '').replace(/-/g, ' ')
}

const PRIORITY_ORDER = { high: 0, medium: 1, low: 2, none: 4 }

/** "88 % (limits 90–96 %)": the value that raised the alarm and the limits it crossed, as the device sent them. */
function alarmNumbers(a) {
  const unit = a.unit ? displayUnit(a.unit) : ''
  const withUnit = (n) => `${n}${unit ? ` ${unit}` : ''}`
  const value = a.value === null || a.value === undefined ? null : withUnit(a.value)
  const low = a.limit_low ?? null
  const high = a.limit_high ?? null
  const limits = low !== null && high !== null ? `limits ${low}–${withUnit(high)}` : low !== null ? `low limit ${withUnit(low)}` : high !== null ? `high limit ${withUnit(high)}` : null
  if (value === null) return limits
  return limits === null ? value : `${value} (${limits})`
}

function renderAlarms(pid) {
  const r = rows.get(pid)
  if (!r?.alarms) return
  const active = (state.alarms ?? []).filter((a) => a.patient_id === pid)
    .sort((a, b) => (PRIORITY_ORDER[a.priority] ?? 3) - (PRIORITY_ORDER[b.priority] ?? 3) || a.first_time - b.first_time)
  if (active.length === 0) return r.alarms.replaceChildren(el('span', { text: 'none' }))
  r.alarms.replaceChildren(...active.map((a) => {
    // Priority as colour and as text; a priority the device did not give is said, not guessed.
    const priority = a.priority ?? 'unknown'
    const what = [a.event_text ?? a.event_name ?? 'alarm', alarmNumbers(a)].filter(Boolean).join(' · ')
    const div = el('div', { class: `alarm alarm-${priority}`, 'data-alarm': a.alarm_id },
      el('span', { class: 'alarm-priority', text: priority === 'unknown' ? 'PRIORITY ?' : priority.toUpperCase() }), ' ', el('span', { text: `${what} (since ${time(a.first_time)})` }))
    if (a.ack) div.append(el('span', { class: 'alarm-ack', text: `acknowledged by ${a.ack.user} at ${time(a.ack.acked_at)}` }))
    else {
      const b = el('button', { type: 'button', class: 'ack', text: 'Acknowledge' })
      b.addEventListener('click', () => { b.disabled = true; post(`/v1/alarms/${encodeURIComponent(a.alarm_id)}/ack`, {}).finally(() => { b.disabled = false }) })
      div.append(' ', b)
    }
    return div
  }))
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) statusEl.textContent = `refused: ${(await res.json().catch(() => ({}))).message ?? res.status}`
}

function markSeen() {
  seen = {}
  for (const c of state?.cards ?? []) seen[c.patient_id] = { level: levelOf(c.patient_id), vitals: Object.fromEntries(Object.entries(c.vitals).map(([k, v]) => [k, v.value])) }
  sessionStorage.setItem(seenKey, JSON.stringify(seen))
  if (state) render()
}
document.getElementById('seen').addEventListener('click', markSeen)

const handlers = {
  snapshot(s) {
    state = s
    if (!seen) markSeen()
    else render()
  },
  vitals(e) {
    const c = card(e.patient_id)
    for (const r of e.readings) {
      const before = c.vitals[r.name]
      if (!before || before.time <= r.time) c.vitals[r.name] = { value: r.value, unit: r.unit, time: r.time, flags: r.flags }
      if (r.name in MOVED) {
        const t = (c.trends[r.name] ??= [])
        t.push([r.time, r.value])
        while (t.length && t[0][0] < r.time - TREND_MS) t.shift()
      }
    }
    for (const name of new Set(e.readings.map((r) => r.name))) renderVital(e.patient_id, name)
  },
  triage(e) {
    card(e.patient_id).triage = e.triage
    renderLevel(e.patient_id)
    if (board === 'triage') render()
  },
  ecg(e) {
    if (!state.ecg) return
    const traces = (state.ecg[e.patient_id] ??= [])
    traces.push(...e.traces)
    const end = Math.max(...traces.map((t) => t.start_time + (t.samples.length * 1000) / t.sample_rate_hz))
    state.ecg[e.patient_id] = traces.filter((t) => t.start_time + (t.samples.length * 1000) / t.sample_rate_hz > end - 10_000)
    const canvas = rows.get(e.patient_id)?.ecg
    if (canvas) drawEcg(canvas, state.ecg[e.patient_id])
  },
  transport(e) {
    const list = state.transports.filter((t) => !(t.unit === e.transport.unit && t.patient_id === e.patient_id))
    state.transports = e.transport.state === 'cancelled' ? list : [e.transport, ...list]
    render()
  },
  encounter(e) {
    const kind = board === 'icu' ? 'icu_stay' : 'ed_arrival'
    if (!state.encounters || e.encounter.kind !== kind) return
    const list = state.encounters.filter((x) => x.encounter_id !== e.encounter.encounter_id)
    state.encounters = e.encounter.end_time === null ? [...list, { bed: null, triage_level: null, ...e.encounter }] : list
    render()
  },
  order(e) {
    if (!state.orders) return
    state.orders = [e.order, ...state.orders.filter((o) => o.order_id !== e.order.order_id)]
    renderOrders(e.patient_id)
  },
  infusion(e) {
    if (!state.infusions) return
    const same = (i) => i.device_id === e.infusion.device_id && i.channel === e.infusion.channel
    const before = state.infusions.find(same)
    if (before && before.time > e.infusion.time) return
    state.infusions = [e.infusion, ...state.infusions.filter((i) => !same(i))]
    renderOrders(e.patient_id)
  },
  alarm(e) {
    if (!state.alarms) return
    const before = state.alarms.find((a) => a.alarm_id === e.alarm.alarm_id)
    const rest = state.alarms.filter((a) => a.alarm_id !== e.alarm.alarm_id)
    // A later update keeps when the alarm began and who acknowledged it; an ended alarm leaves.
    state.alarms = e.alarm.state === 'active'
      ? [{ ...e.alarm, patient_id: e.patient_id, first_time: before?.first_time ?? e.alarm.first_time, ack: before?.ack ?? e.alarm.ack }, ...rest]
      : rest
    renderAlarms(e.patient_id)
  },
  place_alarm(e) {
    if (!state.place_alarms) return
    const before = state.place_alarms.find((a) => a.alarm_id === e.alarm.alarm_id)
    const rest = state.place_alarms.filter((a) => a.alarm_id !== e.alarm.alarm_id)
    state.place_alarms = e.alarm.state === 'active' ? [{ ...e.alarm, first_time: before?.first_time ?? e.alarm.first_time }, ...rest] : rest
    render()
  },
  alarm_ack(e) {
    const a = state.alarms?.find((x) => x.alarm_id === e.ack.alarm_id)
    if (!a || a.ack) return
    a.ack = e.ack
    renderAlarms(e.patient_id)
  },
  heartbeat(e) {
    statusEl.textContent = `live · ${new Date(e.time).toLocaleTimeString()}`
  },
  failure(e) {
    statusEl.textContent = e.message
    // The stream ended for good: the session ended (logout, disabled account) → the login; the
    // grants changed → a fresh page, so that no patient of a ward no longer granted stays shown.
    if (e.error === 'NEVA_CORE_SESSION_ENDED') {
      source.close()
      sessionStorage.clear()
      location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`)
    } else if (e.error === 'NEVA_CORE_GRANTS_CHANGED') {
      source.close()
      sessionStorage.clear()
      location.reload()
    }
  },
}

const source = new EventSource(`/v1/live?board=${encodeURIComponent(board)}`)
for (const [type, handle] of Object.entries(handlers)) {
  source.addEventListener(type, (m) => {
    if (type !== 'snapshot' && type !== 'failure' && !state) return
    handle(JSON.parse(m.data))
    if (type !== 'heartbeat' && type !== 'failure') statusEl.textContent = `live · ${new Date().toLocaleTimeString()}`
  })
}
source.addEventListener('error', () => { statusEl.textContent = 'reconnecting…' })
