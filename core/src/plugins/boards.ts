// The clinical boards' pages: an HTML shell per board, the client (core/public) and uPlot served
// from node_modules; no CDN, nothing fetched from outside. The data comes over /v1/live, and
// GET /v1/boards/:board answers the same snapshot as JSON.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { BoardName } from '@neva/analytics'
import { CoreError, type CoreErrorCode } from '../errors.js'
import { BOARD_ROLES, type BoardAccess } from '../live/access.js'
import { buildSnapshot, patientsOf, type BoardStores } from '../live/snapshot.js'
import { BOARDS } from './live.js'

export interface BoardsOptions {
  access: BoardAccess
  stores: BoardStores
}

const PUBLIC = fileURLToPath(new URL('../../public/', import.meta.url))
const UPLOT = join(dirname(createRequire(import.meta.url).resolve('uplot')), '')

/** File name → where it is and what it is. Nothing else is served. */
const ASSETS: Record<string, { path: string; type: string }> = {
  'boards.js': { path: join(PUBLIC, 'boards.js'), type: 'text/javascript; charset=utf-8' },
  'ecg.js': { path: join(PUBLIC, 'ecg.js'), type: 'text/javascript; charset=utf-8' },
  'units.js': { path: join(PUBLIC, 'units.js'), type: 'text/javascript; charset=utf-8' },
  'dom.js': { path: join(PUBLIC, 'dom.js'), type: 'text/javascript; charset=utf-8' },
  'boards.css': { path: join(PUBLIC, 'boards.css'), type: 'text/css; charset=utf-8' },
  'uPlot.esm.js': { path: join(UPLOT, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { path: join(UPLOT, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'patient.js': { path: join(PUBLIC, 'patient.js'), type: 'text/javascript; charset=utf-8' },
  'patient.css': { path: join(PUBLIC, 'patient.css'), type: 'text/css; charset=utf-8' },
  'ctg-page.js': { path: join(PUBLIC, 'ctg-page.js'), type: 'text/javascript; charset=utf-8' },
  'ctg-page.css': { path: join(PUBLIC, 'ctg-page.css'), type: 'text/css; charset=utf-8' },
  'order-set.js': { path: join(PUBLIC, 'order-set.js'), type: 'text/javascript; charset=utf-8' },
}

const TITLES: Record<BoardName, string> = { ed: 'ED pre-arrival', icu: 'ICU', triage: 'Triage queue' }

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(board: BoardName, userName: string): string {
  const nav = BOARDS.map((b) => `<a href="/boards/${b}"${b === board ? ' aria-current="page"' : ''}>${TITLES[b]}</a>`).join(' ')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${TITLES[board]} · Neva</title>
<link rel="stylesheet" href="/boards/assets/uPlot.min.css">
<link rel="stylesheet" href="/boards/assets/boards.css">
<script type="module" src="/boards/assets/boards.js"></script>
</head>
<body data-board="${board}">
<header>
  <h1>${TITLES[board]}</h1>
  <nav aria-label="Boards">${nav}</nav>
  <form class="search" action="/patients" method="get" role="search"><label>Patient id <input name="id" required></label> <button type="submit">Open</button></form>
  <p class="who">${escape(userName)} · <span id="status" role="status" aria-live="polite">connecting…</span>
    <button type="button" id="seen">Mark all as seen</button>
    <form method="post" action="/logout"><button type="submit">Log out</button></form></p>
</header>
<main id="board" aria-busy="true"><p>Loading…</p></main>
</body>
</html>
`
}

export const boardsPlugin: FastifyPluginAsyncTypebox<BoardsOptions> = async (app, { access, stores }) => {
  const cache = new Map<string, Buffer>()
  app.get('/boards/assets/:file', { schema: { params: Type.Object({ file: Type.String() }) } }, async (request, reply) => {
    const asset = ASSETS[request.params.file]
    if (!asset) return reply.status(404).send({ error: 'NEVA_CORE_NOT_FOUND' satisfies CoreErrorCode, message: 'no such asset' })
    let body = cache.get(asset.path)
    if (!body) cache.set(asset.path, (body = await readFile(asset.path)))
    return reply.header('content-type', asset.type).header('cache-control', 'no-cache').send(body)
  })

  app.get('/boards', async (_request, reply) => reply.redirect('/boards/ed'))

  app.get(
    '/boards/:board',
    { schema: { params: Type.Object({ board: Type.String() }) }, preHandler: access.require(...BOARD_ROLES) },
    async (request, reply) => {
      const board = request.params.board as BoardName
      if (!BOARDS.includes(board)) throw new CoreError('NEVA_CORE_BAD_BOARD', JSON.stringify(request.params.board))
      return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(page(board, access.user(request).name))
    },
  )

  app.get(
    '/v1/boards/:board',
    { schema: { params: Type.Object({ board: Type.String() }) }, preHandler: access.require(...BOARD_ROLES) },
    async (request) => {
      const board = request.params.board as BoardName
      if (!BOARDS.includes(board)) throw new CoreError('NEVA_CORE_BAD_BOARD', JSON.stringify(request.params.board))
      const snapshot = await buildSnapshot(board, access.user(request), access, stores)
      for (const patient_id of patientsOf(snapshot)) await access.auditView(request, { patient_id, what: `board:${board}` })
      return snapshot
    },
  )
}
