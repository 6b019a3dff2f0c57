// The chemotherapists' review queue (GET /surveys): reads /v1/surveys/queue, shows each item with
// its risk, reasons and one-business-day deadline (escalated ones first, as the server orders
// them), and offers "Reviewed" and a one-click urgent telemedicine consultation.
import { el } from '/boards/assets/dom.js'

const main = document.getElementById('queue')
const status = document.getElementById('status')
const when = (ms) => new Date(ms).toLocaleString([], { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })

function deadline(item) {
  const left = item.review_due - Date.now()
  if (item.escalated) return el('span', { class: 'deadline overdue', text: `OVERDUE since ${when(item.review_due)} · escalated` })
  const h = Math.floor(left / 3600_000)
  return el('span', { class: 'deadline', text: `by ${when(item.review_due)} (${h >= 1 ? `${h} h` : `${Math.max(0, Math.round(left / 60_000))} min`} left)` })
}

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const data = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(data.message ?? `error ${res.status}`)
  return data
}

function actions(item) {
  const cell = el('td', { class: 'actions' })
  const open = item.consults.find((c) => c.status === 'requested' || c.status === 'scheduled')
  if (item.kind === 'survey' && !open) {
    const tc = el('button', { type: 'button', class: 'teleconsult', text: 'Urgent teleconsultation' })
    tc.addEventListener('click', async () => {
      tc.disabled = true
      try {
        await post(`/v1/surveys/${encodeURIComponent(item.id)}/teleconsult`, { note: '' })
        status.textContent = `Teleconsultation requested for ${item.patient_id}`
      } catch (err) { status.textContent = err.message }
      load()
    })
    cell.append(tc)
  }
  const done = el('button', { type: 'button', class: 'review', text: 'Reviewed' })
  done.addEventListener('click', async () => {
    done.disabled = true
    try {
      await post(`/v1/surveys/${encodeURIComponent(item.id)}/review`, {})
      status.textContent = `Reviewed: ${item.patient_id}`
    } catch (err) { status.textContent = err.message }
    load()
  })
  cell.append(done)
  return cell
}

async function load() {
  const res = await fetch('/v1/surveys/queue', { headers: { accept: 'application/json' } })
  if (res.status === 401) { location.href = `/login?next=${encodeURIComponent(location.pathname)}`; return }
  const { items } = await res.json()
  const t = el('table', { class: 'survey-queue' }, el('caption', { text: `${items.length} to review` }))
  t.append(el('thead', {}, el('tr', {}, ...['Risk', 'Patient', 'What', 'Reasons', 'Review by', 'Consultation', ''].map((c) => el('th', { scope: 'col', text: c })))))
  const body = el('tbody')
  for (const item of items) {
    const consult = item.consults.map((c) => `${c.status} (${when(c.at)})`).join('; ')
    body.append(el('tr', { 'data-id': item.id, class: `risk-${item.risk}${item.escalated ? ' escalated' : ''}` },
      el('td', {}, el('span', { class: `risk risk-${item.risk}`, text: item.risk.toUpperCase() })),
      el('td', {}, el('a', { href: `/patients/${encodeURIComponent(item.patient_id)}`, text: item.patient_id })),
      el('td', { text: item.kind === 'survey' ? `survey, cycle day ${item.cycle_day}, sent ${when(item.submitted_time)}` : `home reading, ${when(item.submitted_time)}` }),
      el('td', { text: item.reasons.map((r) => r.replace(/^\w+: /, '')).join('; ') || '—' }),
      el('td', {}, deadline(item)),
      el('td', { class: 'consult', text: consult || '—' }),
      actions(item)))
  }
  t.append(body)
  main.replaceChildren(t)
  main.setAttribute('aria-busy', 'false')
}
load()
setInterval(load, 60_000)
