// GET /v1/live?board=ed|icu|triage: Server-Sent Events. On connect, a snapshot of the board
// (only what the user may see), then every delta the live bus publishes for the patients of that
// board the user may see. No Last-Event-ID: a reconnecting page gets a fresh snapshot, which is
// cheaper to reason about than replaying. A view, for the audit table, is a patient shown on one
// stream: one row per patient per board opened (the snapshot's patients), and one when a patient
// first appears on an open board through a delta (a new ICU bed, an ambulance en route); the
// deltas that follow for a patient already shown are the same view and add no row. No patient's
// data is written before its view is audited: the snapshot waits for its rows, a delta of a patient
// not yet shown waits for its row, and when the row cannot be written the data is withheld and the
// client told (`failure`); the next delta of that patient tries again.
//
// The session is checked where data flows (docs/security/sessions.md): before every delivery and
// heartbeat the user is re-read from memory (access.current: no query), and every change to an
// account or session, here or on another core, re-checks every stream at once. A session that
// ended or expired, or an account disabled, closes the stream (`failure` NEVA_CORE_SESSION_ENDED:
// the page goes to the login). Changed roles or grants close it too (NEVA_CORE_GRANTS_CHANGED):
// the page reconnects and gets a fresh snapshot of what the user may see now, rather than keep
// showing the patients of a ward no longer granted; until it closes, deliveries are filtered by
// the current grants. A client that does not read (its socket buffer above `maxBufferedBytes`)
// is dropped with a `failure` NEVA_CORE_STREAM_TOO_SLOW (which it reads, if ever, after what it
// had not read), never buffered forever; so a stream holds at most maxBufferedBytes plus one event
// (LiveStats.peakBuffered). A user has at most `maxStreamsPerUser` (429), the core `maxStreams` (503).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { BoardName } from '@neva/analytics'
import { CoreError, type CoreErrorCode } from '../errors.js'
import { BOARD_ROLES, type BoardAccess } from '../live/access.js'
import type { Delivery, LiveBus } from '../live/bus.js'
import { guardedSse } from '../live/sse.js'
import { buildSnapshot, patientsOf, type BoardStores } from '../live/snapshot.js'

export interface LiveOptions {
  bus: LiveBus
  access: BoardAccess
  stores: BoardStores
  heartbeatMs?: number
  maxBufferedBytes?: number
  maxStreamsPerUser?: number
  /** How long a stream closed with a `failure` may still drain before its socket goes (a client that reads gets the reason). */
  closeGraceMs?: number
  /** Streams open on this core, all users together. */
  maxStreams?: number
  /** Counted here, for the caller to read. */
  stats?: LiveStats
}

export const BOARDS: readonly BoardName[] = ['ed', 'icu', 'triage']

export interface LiveStats {
  open: number
  dropped: number
  refused: number
  /** Closed because the session ended or the grants changed. */
  ended: number
  /** Deliveries (and snapshots) withheld because their view could not be audited. */
  withheld: number
  /** Refused because the core had maxStreams open. */
  full: number
  /** The most bytes any stream held unsent after a write: bounded by maxBufferedBytes plus one event. */
  peakBuffered: number
  /** Each open stream's unsent bytes (socket buffer), by stream. */
  buffered(): number[]
}

export function newLiveStats(): LiveStats {
  return { open: 0, dropped: 0, refused: 0, ended: 0, withheld: 0, full: 0, peakBuffered: 0, buffered: () => [] }
}

export const livePlugin: FastifyPluginAsyncTypebox<LiveOptions> = async (app, options) => {
  const { bus, access, stores } = options
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024
  const maxStreams = options.maxStreamsPerUser ?? 4
  const maxTotal = options.maxStreams ?? 1000
  const closeGraceMs = options.closeGraceMs ?? 1000
  const perUser = new Map<string, number>()
  const stats: LiveStats = options.stats ?? newLiveStats()
  const closers = new Set<() => void>()
  const sockets = new Set<{ writableLength: number }>()
  // One event goes to every stream that may see it: serialized once, not once per stream.
  const frames = new WeakMap<object, string>()
  const frame = (event: string, data: unknown): string => {
    if (typeof data !== 'object' || data === null) return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    let text = frames.get(data)
    if (text === undefined) frames.set(data, (text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`))
    return text
  }
  stats.buffered = () => [...sockets].map((s) => s.writableLength)
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
      const opener = access.user(request)
      const open = perUser.get(opener.id) ?? 0
      if (stats.open >= maxTotal) {
        stats.full++
        void reply.header('retry-after', '5')
        throw new CoreError('NEVA_CORE_LIVE_FULL', '5')
      }
      if (open >= maxStreams) {
        stats.refused++
        throw new CoreError('NEVA_CORE_TOO_MANY_STREAMS', `${open} open, at most ${maxStreams}`)
      }
      perUser.set(opener.id, open + 1)
      stats.open++

      const raw = reply.raw
      let pending: Delivery[] | null = []
      let unsubscribe = (): void => {}
      const stream = guardedSse({
        request, raw, access, user: opener, maxBufferedBytes: maxBuffered, closeGraceMs, heartbeatMs, stats, frame, log: { board },
        onClose: () => {
          unsubscribe()
          closers.delete(close)
          stats.open--
          const n = (perUser.get(opener.id) ?? 1) - 1
          if (n > 0) perUser.set(opener.id, n)
          else perUser.delete(opener.id)
        },
      })
      const { write, check } = stream
      const close = (told = false): void => stream.close(told)
      const visible = (d: Delivery) => d.places.some((p) => p.board === board && access.canSee(stream.user, p))
      const deliver = (d: Delivery): void => {
        if (!check() || !visible(d)) return
        if (pending) pending.push(d)
        else write(d.event.type, d.event)
      }
      /** Patients whose view is written; patient → deltas waiting for their audit row. */
      const shown = new Set<string>()
      const auditing = new Map<string, Delivery[]>()
      const withhold = (patientId: string | null, err: unknown): void => {
        stats.withheld++
        request.log.error({ err, user: stream.user.id, board, patient: patientId }, 'record view not audited: data withheld')
        write('failure', { error: 'NEVA_CORE_STORAGE_UNAVAILABLE' satisfies CoreErrorCode, ...(patientId ? { patient_id: patientId } : {}), message: 'a view could not be audited, so its data is withheld; retrying with the next update' })
      }
      unsubscribe = bus.subscribe((d) => {
        if (!check() || !visible(d)) return
        // No patient's record in it: nothing to audit.
        if (d.event.type === 'place_alarm') return deliver(d)
        const patient = d.event.patient_id
        if (shown.has(patient)) return deliver(d)
        const waiting = auditing.get(patient)
        if (waiting) return void waiting.push(d)
        auditing.set(patient, [d])
        access.auditView(request, { patient_id: patient, what: `board:${board}` }).then(
          () => {
            shown.add(patient)
            const queued = auditing.get(patient) ?? []
            auditing.delete(patient)
            for (const q of queued) deliver(q)
          },
          (err: unknown) => {
            auditing.delete(patient)
            if (!stream.closed) withhold(patient, err)
          },
        )
      })
      closers.add(close)
      sockets.add(raw)
      raw.on('close', () => sockets.delete(raw))

      reply.hijack()
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      })
      raw.flushHeaders()
      let snapshot
      try {
        snapshot = await buildSnapshot(board, stream.user, access, stores)
      } catch (err) {
        request.log.error({ err }, 'live snapshot failed')
        write('failure', { error: 'NEVA_CORE_STORAGE_UNAVAILABLE' satisfies CoreErrorCode, message: 'the board could not be read; reconnecting' })
        close(true)
        return
      }
      // Ended while the snapshot was read (logout, grants changed): nothing to audit or send.
      if (!check()) return
      // Every view written before the snapshot goes out; none written, no snapshot.
      const fresh = [...new Set(patientsOf(snapshot))].filter((id) => !shown.has(id))
      try {
        await Promise.all(fresh.map((patient_id) => access.auditView(request, { patient_id, what: `board:${board}` })))
      } catch (err) {
        withhold(null, err)
        close(true)
        return
      }
      for (const id of fresh) shown.add(id)
      // The session may have ended while the snapshot was read (or its grants changed).
      if (!check()) return
      write('snapshot', snapshot)
      // Deltas that arrived while the snapshot was read follow it; the page applies them in order.
      const queued = pending
      pending = null
      for (const d of queued) deliver(d)
    },
  )
}
