// GET /v1/live?board=ed|icu|triage: Server-Sent Events. On connect, a snapshot of the board
// (only what the user may see), then every delta the live bus publishes for the patients of that
// board the user may see. No Last-Event-ID: a reconnecting page gets a fresh snapshot, which is
// cheaper to reason about than replaying. A view, for the audit table, is a patient shown on one
// stream: one row per patient per board opened (the snapshot's patients), and one when a patient
// first appears on an open board through a delta (a new ICU bed, an ambulance en route); the
// deltas that follow for a patient already shown are the same view and add no row. A client that does not read (its socket buffer above
// `maxBufferedBytes`) is dropped, never buffered forever; a user has at most `maxStreamsPerUser`.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { BoardName } from '@neva/analytics'
import { CoreError } from '../errors.js'
import { BOARD_ROLES, type BoardAccess } from '../live/access.js'
import type { Delivery, LiveBus } from '../live/bus.js'
import { buildSnapshot, patientsOf, type BoardStores } from '../live/snapshot.js'

export interface LiveOptions {
  bus: LiveBus
  access: BoardAccess
  stores: BoardStores
  heartbeatMs?: number
  maxBufferedBytes?: number
  maxStreamsPerUser?: number
  /** Counted here, for the caller to read. */
  stats?: LiveStats
}

export const BOARDS: readonly BoardName[] = ['ed', 'icu', 'triage']

export interface LiveStats {
  open: number
  dropped: number
  refused: number
}

export const livePlugin: FastifyPluginAsyncTypebox<LiveOptions> = async (app, options) => {
  const { bus, access, stores } = options
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024
  const maxStreams = options.maxStreamsPerUser ?? 4
  const perUser = new Map<string, number>()
  const stats: LiveStats = options.stats ?? { open: 0, dropped: 0, refused: 0 }
  const closers = new Set<() => void>()
  // Streams never end by themselves: close them so that the server can.
  app.addHook('preClose', async () => {
    for (const close of closers) close()
  })

  app.get(
    '/v1/live',
    {
      schema: { querystring: Type.Object({ board: Type.String() }, { additionalProperties: false }) },
      preHandler: access.require(...BOARD_ROLES),
    },
    async (request, reply) => {
      const board = request.query.board as BoardName
      if (!BOARDS.includes(board)) throw new CoreError('NEVA_CORE_BAD_BOARD', JSON.stringify(request.query.board))
      const user = access.user(request)
      const open = perUser.get(user.id) ?? 0
      if (open >= maxStreams) {
        stats.refused++
        throw new CoreError('NEVA_CORE_TOO_MANY_STREAMS', `${open} open, at most ${maxStreams}`)
      }
      perUser.set(user.id, open + 1)
      stats.open++

      const raw = reply.raw
      let closed = false
      let pending: Delivery[] | null = []
      const visible = (d: Delivery) => d.places.some((p) => p.board === board && access.canSee(user, p))
      const write = (event: string, data: unknown): void => {
        if (closed) return
        if (raw.writableLength > maxBuffered) {
          // The client does not keep up: drop it; it reconnects and starts from a fresh snapshot.
          stats.dropped++
          request.log.warn({ user: user.id, board, buffered: raw.writableLength }, 'live stream dropped: client too slow')
          close()
          return
        }
        raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      }
      const shown = new Set<string>()
      const audit = (patientIds: Iterable<string>): Promise<unknown> => {
        const fresh = [...patientIds].filter((id) => !shown.has(id))
        for (const id of fresh) shown.add(id)
        return Promise.all(fresh.map((patient_id) => access.auditView(request, { patient_id, what: `board:${board}` })))
      }
      const unsubscribe = bus.subscribe((d) => {
        if (!visible(d)) return
        // Written while the event goes out: the bus is synchronous, and a failed audit write is logged, not silent.
        if (!shown.has(d.event.patient_id)) audit([d.event.patient_id]).catch((err: unknown) => request.log.error({ err, patient: d.event.patient_id }, 'record view not audited'))
        if (pending) pending.push(d)
        else write(d.event.type, d.event)
      })
      const heartbeat = setInterval(() => write('heartbeat', { time: Date.now() }), heartbeatMs)
      function close(): void {
        if (closed) return
        closed = true
        clearInterval(heartbeat)
        unsubscribe()
        closers.delete(close)
        stats.open--
        const n = (perUser.get(user.id) ?? 1) - 1
        if (n > 0) perUser.set(user.id, n)
        else perUser.delete(user.id)
        raw.destroy()
      }
      closers.add(close)
      raw.on('close', close)

      reply.hijack()
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      })
      raw.flushHeaders()
      try {
        const snapshot = await buildSnapshot(board, user, access, stores)
        await audit(patientsOf(snapshot))
        write('snapshot', snapshot)
        // Deltas that arrived while the snapshot was read follow it; the page applies them in order.
        const queued = pending
        pending = null
        for (const d of queued) write(d.event.type, d.event)
      } catch (err) {
        request.log.error({ err }, 'live snapshot failed')
        write('failure', { error: 'NEVA_CORE_STORAGE_UNAVAILABLE', message: 'the board could not be read; reconnecting' })
        close()
      }
    },
  )
}
