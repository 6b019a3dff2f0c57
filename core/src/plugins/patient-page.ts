// The patient page behind every board: GET /patients/:id (an HTML shell; the client is
// core/public/patient.js) and GET /v1/patients/:id/summary?hours=1|8|24|168, the data it reads.
// Same locks as the boards: a board role, and the patient's open encounter on a ward or site
// granted to the user. A refusal answers no patient data but is written to the record-view audit
// (what: "patient page refused"), so an attempt to open someone else's patient leaves a trace.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { canSee, Identifier } from '@neva/contracts'
import { LabOrderSetStore, PatientPageStore, PatientRecordStore, type ClickHouse, type FhirRow } from '@neva/analytics'
import { CoreError, stored } from '../errors.js'
import { BOARD_ROLES } from '../live/access.js'
import { pageOrderSet } from '../patient-order-set.js'
import { escapeHtml, patientShell, refusalPage } from './patient-shell.js'

/**
 * Window (hours) → bucket (seconds) the vitals are averaged over: 720, 960, 288 and 168 points a
 * vital. 1 h and 8 h from the readings; 24 h and 7 days from the 5-minute rollup (0034), each
 * bucket with its min and max, so a spike stays on the chart. Zoom is drawn from the data already
 * read: the exact readings are the 1 h window's (5 s buckets).
 */
export const WINDOWS: Record<string, number> = { '1': 5, '8': 30, '24': 300, '168': 3600 }
const LIMIT = 2000

const shell = (id: string, userName: string) => patientShell({
  patientId: id, userName, title: id, styles: ['uPlot.min.css', 'boards.css', 'patient.css'], script: 'patient.js', mainId: 'patient',
  heading: `Patient <span class="pid">${escapeHtml(id)}</span> <a class="ctg-link" href="/patients/${encodeURIComponent(id)}/ctg">CTG</a>`,
  afterNav: '<form class="search" action="/patients" method="get" role="search"><label>Patient id <input name="id" required></label> <button type="submit">Open</button></form>',
})

/** The open encounter's id (none ended), or null. */
const openEncounter = (rows: FhirRow[]): string | null => {
  const open = rows.find((e) => e.end_ms === null || e.end_ms === undefined)
  return open ? String(open.encounter_id) : null
}
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v))

export async function patientPagePlugin(app: FastifyInstance, { clickhouse }: { clickhouse: ClickHouse }): Promise<void> {
  const pages = new PatientPageStore(clickhouse)
  const record = new PatientRecordStore(clickhouse)
  const orderSets = new LabOrderSetStore(clickhouse)
  const requireBoardUser = app.requireUser(...BOARD_ROLES)

  /** Whether the user may see the patient; a refusal is audited before it is answered. */
  async function granted(request: FastifyRequest, id: string, what: string): Promise<boolean> {
    const place = await stored(() => app.people.placeOf(id))
    if (place && canSee(request.user, place)) return true
    await app.auditView(request, { patient_id: id, what: `${what} refused` })
    return false
  }

  // The search box: a GET form; the id is checked by the same rule before it goes in a path.
  app.get('/patients', { onRequest: requireBoardUser, schema: { querystring: Type.Object({ id: Identifier }) } }, async (request, reply) =>
    reply.redirect(`/patients/${encodeURIComponent((request.query as { id: string }).id)}`, 303))

  app.get('/patients/:id', { onRequest: requireBoardUser, schema: { params: Type.Object({ id: Identifier }) } }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const user = request.user!
    void reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
    if (!(await granted(request, id, 'patient page'))) return reply.status(403).send(refusalPage(`patient ${id}`, user.name))
    return reply.send(shell(id, user.name))
  })

  app.get('/v1/patients/:id/summary', {
    onRequest: requireBoardUser,
    schema: { params: Type.Object({ id: Identifier }), querystring: Type.Object({ hours: Type.Optional(Type.String({ maxLength: 16 })) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const hours = (request.query as { hours?: string }).hours ?? '24'
    const step = Object.hasOwn(WINDOWS, hours) ? WINDOWS[hours]! : undefined
    if (step === undefined) throw new CoreError('NEVA_CORE_PATIENT_BAD_HOURS', `hours=${JSON.stringify(hours)}`)
    const now = Date.now()
    const from = now - Number(hours) * 3600_000
    // The page's reads (one query) go out beside the grant check; on a refusal they are dropped
    // unanswered and unread by anyone, and the refusal is audited as before.
    const reading = stored(() => pages.read(id, { from, to: now, stepS: step, labsFrom: now - 7 * 86_400_000, limit: LIMIT }))
    reading.catch(() => {})
    if (!(await granted(request, id, 'patient summary'))) throw new CoreError('NEVA_CORE_NOT_GRANTED', `${request.user!.id} may not read ${id}`)
    const { vitals, latest, labs, alarms, acks, triage, encounters, conditions, orders, infusions, suggestions, ecgMinutes, labOrders: labOrderList } = await reading
    const orderSet = pageOrderSet(suggestions, openEncounter(encounters))
    if (orderSet) orderSet.orders_placed = await stored(() => orderSets.ordersFrom(orderSet.suggestion_id))
    await app.auditView(request, { patient_id: id, what: `patient summary ${hours}h` })
    void reply.header('cache-control', 'no-store')
    return {
      patient_id: id, hours: Number(hours), from, to: now, step_s: step,
      vitals,
      // Each vital's latest reading itself (name, value, time): a bucket of the chart is a mean.
      latest,
      labs: labs.map((l) => ({
        time: l.t_ms, test_code: l.test_code, loinc: l.loinc || null, value: l.value, numeric_value: num(l.numeric_value), unit: l.unit,
        reference_range: l.reference_range, abnormal_flag: l.abnormal_flag, status: l.status, order_id: l.order_id,
      })).reverse(),
      alarms: alarms.map((a: FhirRow) => ({
        alarm_id: a.k, time: a.t_ms, last_time: num(a.last_ms), state: a.state, priority: a.priority, event_name: a.event_name, event_text: a.event_text,
        device_id: a.device_id, acks: acks.filter((k) => k.alarm_id === a.k),
      })).reverse(),
      triage,
      encounters: encounters.map((e) => ({ encounter_id: e.encounter_id, kind: e.kind, site: e.site, ward: e.ward, bed: e.bed, start_time: num(e.start_ms), end_time: num(e.end_ms) })).reverse(),
      diagnoses: conditions.map((c) => ({ time: c.t_ms, icd10: c.icd10, kind: c.kind, set_by: c.set_by, encounter_id: c.encounter_id })).reverse(),
      orders,
      infusions,
      suggestions,
      ecg_minutes: ecgMinutes,
      // Lab orders with their state; the order set of the latest preliminary suggestion of the open
      // encounter; whether this user may place it (POST /v1/lab/orders takes clinicians only).
      lab_orders: labOrderList.map(({ order_id, encounter_id, specimen_id, tests, priority, state, placed_time, updated_time, ordered_by }) =>
        ({ order_id, encounter_id, specimen_id, tests, priority, state, placed_time, updated_time, ordered_by })),
      order_set: orderSet,
      can_order_labs: request.user!.roles.includes('clinician'),
    }
  })

  // Full disclosure: every lead of one stored minute (?minute= its start, ms, a whole minute).
  app.get('/v1/patients/:id/ecg', {
    onRequest: requireBoardUser,
    schema: { params: Type.Object({ id: Identifier }), querystring: Type.Object({ minute: Type.String({ pattern: '^\\d{1,15}$' }) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const minute = Number((request.query as { minute: string }).minute)
    if (minute % 60_000 !== 0) throw new CoreError('NEVA_CORE_PATIENT_BAD_MINUTE', `minute=${minute} is not the start of a minute (ms, a multiple of 60000)`)
    if (!(await granted(request, id, 'patient ecg'))) throw new CoreError('NEVA_CORE_NOT_GRANTED', `${request.user!.id} may not read ${id}`)
    const traces = await stored(() => record.ecgMinute(id, minute))
    await app.auditView(request, { patient_id: id, what: 'patient ecg' })
    void reply.header('cache-control', 'no-store')
    return { patient_id: id, minute, traces }
  })
}
