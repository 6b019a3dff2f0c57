// The CTG page of a mother: GET /patients/:id/ctg (an HTML shell; the client is
// core/public/ctg-page.js) and GET /v1/patients/:id/ctg?minutes=&to=, the trace and the FIGO
// verdicts it reads: live (no `to`: the last minutes, polled) or from the record (`to` an earlier
// time). Same locks and audit as the patient page: a board role and a grant on the patient's
// ward or site; a refusal reads nothing and is audited.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { canSee, Identifier } from '@neva/contracts'
import { CtgStore, type ClickHouse } from '@neva/analytics'
import { CoreError, stored } from '../errors.js'
import { BOARD_ROLES } from '../live/access.js'
import { escapeHtml, patientShell, refusalPage } from './patient-shell.js'

const shell = (id: string, userName: string) => patientShell({
  patientId: id, userName, title: `CTG ${id}`, styles: ['boards.css', 'ctg-page.css'], script: 'ctg-page.js', mainId: 'ctg',
  heading: `CTG <a class="pid" href="/patients/${encodeURIComponent(id)}">${escapeHtml(id)}</a>`,
})

export async function ctgPagePlugin(app: FastifyInstance, { clickhouse }: { clickhouse: ClickHouse }): Promise<void> {
  const ctg = new CtgStore(clickhouse)
  const requireBoardUser = app.requireUser(...BOARD_ROLES)

  async function granted(request: FastifyRequest, id: string, what: string): Promise<boolean> {
    const place = await stored(() => app.people.placeOf(id))
    if (place && canSee(request.user, place)) return true
    await app.auditView(request, { patient_id: id, what: `${what} refused` })
    return false
  }

  app.get('/patients/:id/ctg', { onRequest: requireBoardUser, schema: { params: Type.Object({ id: Identifier }) } }, async (request, reply) => {
    const { id } = request.params as { id: string }
    void reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
    if (!(await granted(request, id, 'ctg page'))) return reply.status(403).send(refusalPage(`the CTG of patient ${id}`, request.user!.name))
    return reply.send(shell(id, request.user!.name))
  })

  app.get('/v1/patients/:id/ctg', {
    onRequest: requireBoardUser,
    schema: {
      params: Type.Object({ id: Identifier }),
      querystring: Type.Object({
        /** Minutes shown: FIGO reads 10–60 min; a whole labour is up to 24 h. */
        minutes: Type.Optional(Type.String({ pattern: '^(10|20|30|60|120|240|480|720|1440)$' })),
        /** The window's end (epoch ms): from the record; absent: now (live). */
        to: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
      }, { additionalProperties: false }),
    },
  }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const query = request.query as { minutes?: string; to?: string }
    const q = { minutes: query.minutes === undefined ? undefined : Number(query.minutes), to: query.to === undefined ? undefined : Number(query.to) }
    if (!(await granted(request, id, 'ctg'))) throw new CoreError('NEVA_CORE_NOT_GRANTED', `${request.user!.id} may not read ${id}`)
    const live = q.to === undefined
    const to = q.to ?? Date.now()
    const from = to - (q.minutes ?? 60) * 60_000
    // Chunks that started up to a minute before the window still reach into it.
    const [signals, verdicts] = await stored(() => Promise.all([ctg.signals(id, from - 60_000, to), ctg.verdicts(id, from, to + 1)]))
    await app.auditView(request, { patient_id: id, what: `ctg ${q.minutes ?? 60} min${live ? ' live' : ''}` })
    void reply.header('cache-control', 'no-store')
    return { patient_id: id, from, to, live, signals, verdicts }
  })
}
