// GET /v1/patients/:id/live: the patient page's stream (Server-Sent Events). It carries no patient
// data: a `changed` event (what kind of record, when) whenever the live bus hears something of this
// patient (readings, verdicts, alarms, orders, lab orders; on a board or not), and the page reads
// its summary again (granted and audited there). A page that does not read its stream is dropped
// past maxBufferedBytes with a `failure` NEVA_CORE_STREAM_TOO_SLOW, as the boards' streams are. Like the boards'
// stream, the session is checked where data flows (docs/security/sessions.md): before every event
// and heartbeat the user is re-read from memory, and every change to an account or session
// re-checks the stream at once; a session ended closes it (`failure` NEVA_CORE_SESSION_ENDED), and
// changed roles or grants (or the patient no longer on a ward or site granted) close it with
// NEVA_CORE_GRANTS_CHANGED, so the page reloads and is refused if it must be. These streams count
// toward the core's cap of live streams with the boards' (LiveStats.open, 503 NEVA_CORE_LIVE_FULL),
// and a user has at most maxStreamsPerUser of them (429), taken before any query or audit row.
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { Identifier } from '@neva/contracts'
import { CoreError, stored } from '../errors.js'
import { BOARD_ROLES, type BoardAccess } from '../live/access.js'
import type { LiveBus } from '../live/bus.js'
import { guardedSse } from '../live/sse.js'
import { newLiveStats, type LiveStats } from './live.js'

export interface PatientLiveOptions {
  bus: LiveBus
  access: BoardAccess
  heartbeatMs?: number
  maxBufferedBytes?: number
  /** How long a stream closed with a `failure` may still drain before its socket goes. */
  closeGraceMs?: number
  maxStreamsPerUser?: number
  maxStreams?: number
  /** Shared with the boards' streams: the core's total. */
  stats?: LiveStats
}

export async function patientLivePlugin(app: FastifyInstance, options: PatientLiveOptions): Promise<void> {
  const { bus, access } = options
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024
  const closeGraceMs = options.closeGraceMs ?? 1000
  const closers = new Set<() => void>()
  const stats = options.stats ?? newLiveStats()
  const maxPerUser = options.maxStreamsPerUser ?? 4
  const maxTotal = options.maxStreams ?? 1000
  const perUser = new Map<string, number>()
  app.addHook('preClose', async () => {
    for (const close of closers) close()
  })

  app.get('/v1/patients/:id/live', { onRequest: access.require(...BOARD_ROLES), schema: { params: Type.Object({ id: Identifier }) } }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const user = access.user(request)
    const owner = user.id
    const open = perUser.get(owner) ?? 0
    if (stats.open >= maxTotal) {
      stats.full++
      void reply.header('retry-after', '5')
      throw new CoreError('NEVA_CORE_LIVE_FULL', '5')
    }
    if (open >= maxPerUser) {
      stats.refused++
      throw new CoreError('NEVA_CORE_TOO_MANY_STREAMS', `${open} patient streams open, at most ${maxPerUser}`)
    }
    perUser.set(owner, open + 1)
    stats.open++
    let released = false
    const release = () => {
      if (released) return
      released = true
      stats.open--
      const n = (perUser.get(owner) ?? 1) - 1
      if (n > 0) perUser.set(owner, n)
      else perUser.delete(owner)
    }
    let place
    try {
      place = await stored(() => app.people.placeOf(id))
      if (!place || !access.canSee(user, place)) {
        await access.auditView(request, { patient_id: id, what: 'patient live refused' })
        throw new CoreError('NEVA_CORE_NOT_GRANTED', `${user.id} may not read ${id}`)
      }
      await access.auditView(request, { patient_id: id, what: 'patient live' })
    } catch (err) {
      release()
      throw err
    }
    const granted = place

    const raw = reply.raw
    let unsubscribe = (): void => {}
    const stream = guardedSse({
      request, raw, access, user, stillAllowed: (now) => access.canSee(now, granted), maxBufferedBytes: maxBuffered, closeGraceMs, heartbeatMs, stats,
      log: { patient: id },
      onClose: () => {
        unsubscribe()
        closers.delete(close)
        release()
      },
    })
    const close = (): void => stream.close()
    // Every change of this patient, on a board or not (the bus keeps the pages open per patient).
    unsubscribe = bus.watch(id, (type) => {
      if (stream.check()) stream.write('changed', { type, time: Date.now() })
    })
    closers.add(close)
    reply.hijack()
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' })
    stream.write('open', { patient_id: id, time: Date.now() })
  })
}
