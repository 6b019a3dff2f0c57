// The chemotherapists' side of the surveys (docs/surveys.md): the review queue (answers and
// out-of-range home readings of the patients on wards or sites granted to the clinician, most
// urgent first, with the one-business-day deadline), marking one reviewed, and an urgent
// telemedicine consultation requested with the survey attached and followed to done or cancelled.
// Every answer that shows a patient is written to the record-view audit first.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { randomBytes } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { canSee, Identifier } from '@neva/contracts'
import { CoreError, stored } from '../errors.js'
import { CONSULT_NEXT, type Surveys } from '../surveys/service.js'
import { DAY_MS } from '../surveys/schedule.js'
import { BOARD_ROLES } from '../live/access.js'

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const page = (userName: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Symptom survey review · Neva</title>
<link rel="stylesheet" href="/boards/assets/boards.css">
<link rel="stylesheet" href="/home/assets/queue.css">
<script type="module" src="/home/assets/queue.js"></script>
</head>
<body>
<header>
  <h1>Symptom surveys to review</h1>
  <nav aria-label="Boards"><a href="/boards/ed">ED pre-arrival</a> <a href="/boards/icu">ICU</a> <a href="/boards/triage">Triage queue</a></nav>
  <p class="who">${escape(userName)} · <span id="status" role="status" aria-live="polite">loading…</span>
    <form method="post" action="/logout"><button type="submit">Log out</button></form></p>
</header>
<main id="queue" aria-busy="true"><p>Loading…</p></main>
</body>
</html>
`

const Note = Type.Optional(Type.String({ maxLength: 2000 }))
const ItemId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:/-]+$' })

export async function surveyReviewPlugin(app: FastifyInstance, { surveys }: { surveys: Surveys }): Promise<void> {
  const store = surveys.store
  const clinician = app.requireUser('clinician')

  /** The place the item was queued at, if this user may see it; refusals audited. */
  async function item(request: FastifyRequest, id: string, what: string) {
    const response = await stored(() => store.response(id))
    const vital = response ? null : (await stored(() => store.events('vitals_out_of_range', [id])))[0]
    const found = response ?? vital
    if (!found) throw new CoreError('NEVA_CORE_SURVEY_NOT_FOUND', id)
    if (!canSee(request.user, { site: found.site, ward: found.ward || null })) {
      await app.auditView(request, { patient_id: found.patient_id, what: `${what} refused` })
      throw new CoreError('NEVA_CORE_NOT_GRANTED', `${request.user!.id} may not read ${found.patient_id}`)
    }
    return { patient_id: found.patient_id, site: found.site, ward: found.ward, survey: response !== null }
  }

  // The patient page's "From home" section: the same locks as its summary (a board role, the
  // patient on a granted ward or site; a refusal audited), the last 14 days.
  app.get('/v1/patients/:id/home', { onRequest: app.requireUser(...BOARD_ROLES), schema: { params: Type.Object({ id: Identifier }) } }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const place = await stored(() => app.people.placeOf(id))
    if (!place || !canSee(request.user, place)) {
      await app.auditView(request, { patient_id: id, what: 'home record refused' })
      throw new CoreError('NEVA_CORE_NOT_GRANTED', `${request.user!.id} may not read ${id}`)
    }
    const from = Date.now() - 14 * DAY_MS
    const [readings, responses] = await stored(() => Promise.all([store.homeReadings(id, from), store.responses(id)]))
    const recent = responses.filter((r) => r.submitted_time >= from).reverse()
    const ids = recent.map((r) => r.response_id)
    const [reviews, consults] = await stored(() => Promise.all([store.events('reviewed', ids), store.consults({ response_ids: ids })]))
    await app.auditView(request, { patient_id: id, what: 'home record' })
    void reply.header('cache-control', 'no-store')
    return {
      patient_id: id,
      readings,
      surveys: recent.map((r) => ({
        response_id: r.response_id, cycle_day: r.cycle_day, submitted_time: r.submitted_time, risk: r.risk, reasons: r.reasons, review_due: r.review_due,
        reviewed: reviews.find((e) => e.response_id === r.response_id) ? { by: reviews.find((e) => e.response_id === r.response_id)!.by, at: reviews.find((e) => e.response_id === r.response_id)!.at } : null,
        consults: consults.filter((c) => c.response_id === r.response_id).map((c) => ({ consult_id: c.consult_id, status: c.status, at: c.at })),
      })),
    }
  })

  app.get('/surveys', { onRequest: clinician }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page(request.user!.name)))

  app.get('/v1/surveys/queue', { onRequest: clinician }, async (request, reply) => {
    const items = await stored(() => surveys.queue(request.user!, Date.now()))
    for (const p of new Set(items.map((i) => i.patient_id))) await app.auditView(request, { patient_id: p, what: 'survey queue' })
    void reply.header('cache-control', 'no-store')
    return { items }
  })

  app.post('/v1/surveys/:id/review', { onRequest: clinician, schema: { params: Type.Object({ id: ItemId }), body: Type.Object({ note: Note }, { additionalProperties: false }) } }, async (request) => {
    const { id } = request.params as { id: string }
    const found = await item(request, id, 'survey review')
    await app.auditView(request, { patient_id: found.patient_id, what: 'survey reviewed' })
    const at = Date.now()
    await stored(() => store.putEvent({ response_id: id, patient_id: found.patient_id, kind: 'reviewed', by: request.user!.id, at, detail: (request.body as { note?: string }).note ?? '', site: found.site, ward: found.ward }))
    return { id, reviewed_by: request.user!.id, reviewed_time: at }
  })

  app.post('/v1/surveys/:id/teleconsult', { onRequest: clinician, schema: { params: Type.Object({ id: ItemId }), body: Type.Object({ note: Note }, { additionalProperties: false }) } }, async (request) => {
    const { id } = request.params as { id: string }
    const found = await item(request, id, 'teleconsult request')
    await app.auditView(request, { patient_id: found.patient_id, what: 'teleconsult requested' })
    const consult = { consult_id: `tc-${randomBytes(8).toString('hex')}`, response_id: id, patient_id: found.patient_id, status: 'requested', by: request.user!.id, at: Date.now(), scheduled_time: null, note: (request.body as { note?: string }).note ?? '' }
    await stored(() => store.putConsult(consult))
    return consult
  })

  app.post('/v1/teleconsults/:consult_id/status', {
    onRequest: clinician,
    schema: {
      params: Type.Object({ consult_id: Identifier }),
      body: Type.Object({ status: Type.Union([Type.Literal('scheduled'), Type.Literal('done'), Type.Literal('cancelled')]), scheduled_time: Type.Optional(Type.Integer({ minimum: 0 })), note: Note }, { additionalProperties: false }),
    },
  }, async (request) => {
    const { consult_id } = request.params as { consult_id: string }
    const body = request.body as { status: string; scheduled_time?: number; note?: string }
    const current = (await stored(() => store.consults({ consult_id })))[0]
    if (!current) throw new CoreError('NEVA_CORE_CONSULT_NOT_FOUND', consult_id)
    await item(request, current.response_id, 'teleconsult update')
    if (!CONSULT_NEXT[current.status]?.includes(body.status)) throw new CoreError('NEVA_CORE_CONSULT_TRANSITION', `${current.status} → ${body.status}`)
    await app.auditView(request, { patient_id: current.patient_id, what: `teleconsult ${body.status}` })
    const next = { ...current, status: body.status, by: request.user!.id, at: Math.max(Date.now(), current.at + 1), scheduled_time: body.scheduled_time ?? current.scheduled_time, note: body.note ?? '' }
    await stored(() => store.putConsult(next))
    return next
  })
}
