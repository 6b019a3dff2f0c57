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

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const NAV = '<nav aria-label="Boards"><a href="/boards/ed">ED pre-arrival</a> <a href="/boards/icu">ICU</a> <a href="/boards/triage">Triage queue</a></nav>'

function shell(id: string, userName: string): string {
  const pid = escape(id)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CTG ${pid} · Neva</title>
<link rel="stylesheet" href="/boards/assets/boards.css">
<link rel="stylesheet" href="/boards/assets/ctg-page.css">
<script type="module" src="/boards/assets/ctg-page.js"></script>
</head>
<body data-patient="${pid}">
<header>
  <h1>CTG <a class="pid" href="/patients/${encodeURIComponent(id)}">${pid}</a></h1>
  ${NAV}
  <p class="who">${escape(userName)} · <span id="status" role="status" aria-live="polite">loading…</span>
    <form method="post" action="/logout"><button type="submit">Log out</button></form></p>
</header>
<main id="ctg" aria-busy="true"><p>Loading…</p></main>
</body>
</html>
`
}

function refusal(id: string, userName: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not allowed · Neva</title><link rel="stylesheet" href="/boards/assets/boards.css"></head>
<body><header><h1>Not allowed</h1>${NAV}</header>
<main><p class="refused" role="alert">${escape(userName)} may not open the CTG of patient ${escape(id)}: they are not on a ward or site granted to you (or have no open encounter). This attempt is recorded.</p></main>
</body></html>
`
}

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
    if (!(await granted(request, id, 'ctg page'))) return reply.status(403).send(refusal(id, request.user!.name))
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
