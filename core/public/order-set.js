// The patient page's order set (docs/lab.md): the tests of the latest preliminary suggestion's
// sets as a checklist, all checked; the clinician unticks what they do not want and places the
// order in one click (POST /v1/lab/orders naming the suggestion, so the use is recorded). The
// section outlives the page's refreshes: what was unticked stays unticked until the suggestion
// changes. Text goes in with textContent only.
import { el } from './dom.js'

const PRIORITIES = ['routine', 'urgent', 'stat']
// Still waiting for the lab: kept on the printed handover (contracts' LAB_PENDING_STATES).
const PENDING = ['ordered', 'collected', 'received', 'in_analysis']
let section = null
let shownFor = ''

/** A tube label for the order; the desk may type the real one over it. Neva's id rule. */
const newSpecimenId = () => `SP-${Date.now().toString(36).toUpperCase()}-${Math.random().toString(36).slice(2, 6).toUpperCase()}`

/** The order-set section for `data` (the patient summary); `placed()` reads the summary again. */
export function renderOrderSet(pid, data, placed) {
  section ??= el('section', { class: 'order-set', 'aria-label': 'Order set' })
  const set = data.order_set
  const key = set ? `${set.suggestion_id}|${data.can_order_labs}` : ''
  if (key === shownFor) return placedNote(set)
  shownFor = key
  section.replaceChildren(el('h2', { text: 'Order set' }))
  if (!set) {
    section.append(el('p', { text: 'No order set: no preliminary suggestion with lab tests for the open encounter.' }))
    return section
  }
  section.dataset.suggestion = set.suggestion_id
  section.append(el('p', { text: `From the suggestion of ${new Date(set.time).toLocaleString()} (${set.suggested.join(', ')}). Sources: ${set.sources.join('; ')}.` +
    (set.without_set.length ? ` No lab set for ${set.without_set.join(', ')}.` : '') }))
  const form = el('form', { class: 'order-set-form' })
  const list = el('ul', { class: 'order-set-tests' })
  for (const t of set.tests) {
    const box = el('input', { type: 'checkbox', name: 'test', value: t.loinc })
    box.checked = t.checked
    box.disabled = !data.can_order_labs
    const why = `${t.purpose === 'exclude' ? 'excludes' : 'confirms'} ${t.for.join(', ')} · ${t.sources.join('; ')}`
    list.append(el('li', { 'data-loinc': t.loinc, 'data-lab-code': t.lab_code },
      el('label', {}, box, el('span', { class: 'test-name', text: ` ${t.name} (${t.lab_code}, LOINC ${t.loinc})` })),
      el('span', { class: 'test-why', text: ` — ${why}` })))
  }
  form.append(list, el('p', { class: 'order-set-used' }))
  const note = el('p', { class: 'order-set-result', role: 'status', 'aria-live': 'polite' })
  if (!data.can_order_labs) {
    form.append(el('p', { class: 'order-set-readonly', text: 'Placing lab orders needs the clinician role.' }))
    section.append(form)
    return placedNote(set)
  }
  const priority = el('select', { name: 'priority' })
  for (const p of PRIORITIES) priority.append(el('option', { value: p, text: p }))
  const specimen = el('input', { name: 'specimen_id', required: '', maxlength: '64', value: newSpecimenId() })
  const button = el('button', { type: 'submit', class: 'place-order', text: 'Order checked tests' })
  form.append(el('p', {}, el('label', { text: 'Priority ' }, priority), ' ', el('label', { text: 'Specimen ' }, specimen), ' ', button), note)
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const chosen = set.tests.filter((t) => form.querySelector(`input[name="test"][value="${CSS.escape(t.loinc)}"]`).checked)
    if (chosen.length === 0) return void (note.textContent = 'No test checked: nothing ordered.')
    button.disabled = true
    note.textContent = 'ordering…'
    try {
      // Same-origin fetch: the browser sends Origin, which the core's CSRF check asks of every session POST.
      const res = await fetch('/v1/lab/orders', {
        method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          patient_id: pid, encounter_id: set.encounter_id, specimen_id: specimen.value, priority: priority.value,
          tests: chosen.map((t) => ({ loinc: t.loinc, lab_code: t.lab_code })),
          diagnosis: { code: set.suggested[0], text: 'preliminary (decision support)' },
          order_set: { suggestion_id: set.suggestion_id },
        }),
      })
      const body = await res.json().catch(() => ({}))
      if (!res.ok) {
        note.className = 'order-set-result refused'
        note.setAttribute('role', 'alert')
        note.textContent = `Not ordered (${res.status} ${body.error ?? ''}): ${body.message ?? ''}`
        return
      }
      note.className = 'order-set-result placed'
      note.setAttribute('role', 'status')
      note.dataset.order = body.order_id
      note.textContent = `Ordered ${chosen.map((t) => t.lab_code).join(', ')} (${body.priority}, specimen ${body.specimen_id}).`
      specimen.value = newSpecimenId()
      placed()
    } catch (err) {
      note.textContent = `Not ordered: ${err.message}`
    } finally {
      button.disabled = false
    }
  })
  section.append(form)
  return placedNote(set)
}

/** How many orders were placed from this set already, so a second click is a choice, not a slip. */
function placedNote(set) {
  const used = section.querySelector('.order-set-used')
  if (used && set) {
    const n = set.orders_placed.length
    used.dataset.orders = String(n)
    used.textContent = n === 0 ? 'Not ordered from this set yet.' : `Already ordered from this set: ${n} order${n === 1 ? '' : 's'} (see Lab orders).`
  }
  return section
}

/** The patient's lab orders with their state, newest first. */
export function labOrderRows(orders, row, when) {
  return orders.map((o) => row([when(o.placed_time), o.tests.map((t) => t.lab_code).join(', '), o.specimen_id, o.priority,
    el('span', { class: `lab-state lab-state-${o.state}`, text: o.state }), when(o.updated_time), o.ordered_by], { 'data-lab-order': o.order_id, class: PENDING.includes(o.state) ? 'pending' : '' }))
}
