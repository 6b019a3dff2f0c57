// The patient's page (GET /home): the link the hospital gives carries the patient id and token in
// the fragment (never sent to a server, not in logs or Referer); they move to sessionStorage and
// leave the address bar. Shows the surveys due, asks each symptom's PRO-CTCAE attributes as large
// radio buttons, sends the answers; a second form sends home vitals with an id made once per
// form, so a retry after a lost answer is stored once.
const main = document.getElementById('home')
const status = document.getElementById('status')
const h = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : String(v))
  for (const c of children.flat()) el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  return el
}

const fragment = new URLSearchParams(location.hash.slice(1))
if (fragment.get('token')) {
  sessionStorage.setItem('neva.home', JSON.stringify({ patient: fragment.get('patient'), token: fragment.get('token') }))
  history.replaceState(null, '', location.pathname)
}
const auth = JSON.parse(sessionStorage.getItem('neva.home') ?? 'null')

async function api(path, body) {
  const res = await fetch(`/v1/home/${encodeURIComponent(auth.patient)}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${auth.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const data = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(data.message ?? `error ${res.status}`)
  return data
}

const dayText = (t) => new Date(t).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' })

function surveyForm(q, survey) {
  const form = h('form', { class: 'survey', 'data-response': survey.response_id })
  form.append(h('h2', {}, `Survey for ${dayText(survey.due_time)}`), h('p', { class: 'hint' }, `Answer for ${q.recall}. Leave a question out if you cannot answer it.`))
  for (const item of q.items) {
    const fs = h('fieldset', { 'data-item': item.id }, h('legend', {}, item.label))
    for (const attr of item.attributes) {
      const group = h('div', { class: 'scale', role: 'radiogroup', 'aria-label': `${item.label}: ${attr}` }, h('p', { class: 'attr' }, attr === 'presence' ? 'Did you have it?' : `How ${attr === 'frequency' ? 'often' : attr === 'severity' ? 'severe at its worst' : 'much did it interfere with your usual activities'}?`))
      q.scales[attr].forEach((label, grade) => group.append(h('label', {}, h('input', { type: 'radio', name: `${item.id}.${attr}`, value: grade }), label)))
      fs.append(group)
    }
    if (item.temperature) fs.append(h('label', { class: 'temp' }, 'Highest temperature (°C), if measured ', h('input', { type: 'number', name: `${item.id}.temperature_c`, step: '0.1', min: q.temperature_c.min, max: q.temperature_c.max, inputmode: 'decimal' })))
    form.append(fs)
  }
  form.append(h('button', { type: 'submit' }, 'Send answers'))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const answers = {}
    for (const [name, value] of new FormData(form)) {
      if (value === '') continue
      const [item, attr] = name.split('.')
      answers[item] ??= {}
      answers[item][attr] = Number(value)
    }
    form.querySelector('button').disabled = true
    try {
      await api(`/surveys/${encodeURIComponent(survey.response_id)}`, { answers })
      form.replaceWith(h('p', { class: 'done', role: 'status' }, 'Thank you: your answers were sent to your care team.'))
      status.textContent = 'Answers sent'
    } catch (err) {
      status.textContent = `Not sent: ${err.message}`
      form.querySelector('button').disabled = false
    }
  })
  return form
}

function vitalsForm(vitals) {
  let id = crypto.randomUUID()
  const form = h('form', { class: 'vitals' }, h('h2', {}, 'Home measurements'))
  for (const [key, v] of Object.entries(vitals)) {
    const unit = h('select', { name: `${key}.unit`, 'aria-label': `${v.label} unit` }, v.units.map((u) => h('option', { value: u }, u)))
    form.append(h('label', {}, `${v.label} `, h('input', { type: 'number', name: key, step: 'any', inputmode: 'decimal' }), unit))
  }
  form.append(h('button', { type: 'submit' }, 'Send measurements'))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const data = new FormData(form)
    const values = {}
    for (const key of Object.keys(vitals)) if (data.get(key) !== '') values[key] = { value: Number(data.get(key)), unit: data.get(`${key}.unit`) }
    try {
      const r = await api('/vitals', { id, time: Date.now(), values })
      status.textContent = r.out_of_range.length > 0 ? 'Sent; your care team will look at these values' : 'Measurements sent'
      form.reset()
      id = crypto.randomUUID()
    } catch (err) {
      status.textContent = `Not sent: ${err.message}`
    }
  })
  return form
}

async function load() {
  if (!auth) {
    main.replaceChildren(h('p', { role: 'alert' }, 'Open this page from the link your hospital gave you.'))
    status.textContent = 'No link'
    return
  }
  try {
    const data = await api('/surveys')
    // Today's survey and yesterday's if missed: older ones recall too far back to be worth asking.
    const open = data.surveys.filter((s) => s.state === 'due' || (s.state === 'overdue' && Date.now() - s.overdue_time < 86_400_000))
    const next = data.surveys.find((s) => s.state === 'upcoming')
    main.replaceChildren(
      ...open.map((s) => surveyForm(data.questionnaire, s)),
      open.length === 0 ? h('p', { class: 'none' }, next ? `No survey is due now. The next one: ${dayText(next.due_time)}.` : 'No survey is due now.') : '',
      vitalsForm(data.home_vitals),
    )
    status.textContent = open.length > 0 ? `${open.length} survey${open.length > 1 ? 's' : ''} to answer` : 'Nothing due'
  } catch (err) {
    main.replaceChildren(h('p', { role: 'alert' }, err.message))
    status.textContent = 'Not available'
  }
  main.setAttribute('aria-busy', 'false')
}
load()
