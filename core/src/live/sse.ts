// Server-Sent Events for the boards' stream and the patient page's stream: one guarded stream
// both use, so that they check the session, bound their buffer and tell a client why they end it
// the same way. The session is rechecked as data flows (before every event and heartbeat, from
// memory) and at once on any account or session change; a client whose unsent bytes pass the
// bound is dropped with a `failure` NEVA_CORE_STREAM_TOO_SLOW rather than buffered.
import type { FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'
import { CORE_ERRORS } from '../errors.js'
import type { BoardAccess, BoardUser } from './access.js'

export const sseFrame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** The last frame of a stream that ends for `error` (the client reconnects, or reloads, and learns why). */
export const failureFrame = (error: keyof typeof CORE_ERRORS): string => sseFrame('failure', { error, message: CORE_ERRORS[error].message })

const grantsOf = (u: BoardUser) => JSON.stringify([[...u.roles].sort(), [...u.wards].sort(), [...u.sites].sort()])

/** What a guarded stream counts (the boards' LiveStats, shared by both kinds of stream). */
export interface SseCounters {
  dropped: number
  ended: number
  peakBuffered: number
}

export interface GuardedSseOptions {
  request: FastifyRequest
  raw: ServerResponse
  access: BoardAccess
  user: BoardUser
  /** Beyond the roles and grants it opened with: may the user (as of now) still have this stream? */
  stillAllowed?: (user: BoardUser) => boolean
  maxBufferedBytes: number
  closeGraceMs: number
  heartbeatMs: number
  stats: SseCounters
  /** Fields for the log lines (which board, which patient). */
  log: Record<string, unknown>
  /** Serializes an event (the boards' cache one frame per event for all streams). */
  frame?: (event: string, data: unknown) => string
  /** Runs once when the stream closes, however it closes. */
  onClose: () => void
}

export interface GuardedSse {
  /** The user as of the last check. */
  readonly user: BoardUser
  readonly closed: boolean
  /** Writes an event, or drops the client (with the reason) when it holds more than the bound unsent. */
  write(event: string, data: unknown): void
  /** The session and grants as of now; false (and the stream closed with the reason) when it may go on no longer. */
  check(): boolean
  /** Ends the stream; `told`: the client was just sent why, so let that reach it before the socket goes. */
  close(told?: boolean): void
}

export function guardedSse(o: GuardedSseOptions): GuardedSse {
  const { request, raw, access, stats } = o
  const frame = o.frame ?? sseFrame
  const grants = grantsOf(o.user)
  let user = o.user
  let closed = false
  const write = (event: string, data: unknown): void => {
    if (closed) return
    if (raw.writableLength > o.maxBufferedBytes) {
      // The client does not keep up: drop it; it reconnects and starts afresh.
      stats.dropped++
      request.log.warn({ user: user.id, ...o.log, buffered: raw.writableLength }, 'live stream dropped: client too slow')
      raw.write(failureFrame('NEVA_CORE_STREAM_TOO_SLOW'))
      return close(true)
    }
    raw.write(frame(event, data))
    if (raw.writableLength > stats.peakBuffered) stats.peakBuffered = raw.writableLength
  }
  const end = (error: 'NEVA_CORE_SESSION_ENDED' | 'NEVA_CORE_GRANTS_CHANGED'): void => {
    stats.ended++
    request.log.info({ user: user.id, ...o.log, reason: error }, 'live stream closed')
    write('failure', { error, message: CORE_ERRORS[error].message })
    close(true)
  }
  const check = (): boolean => {
    if (closed) return false
    const now = access.current(request)
    if (now === user) return true
    if (!now) {
      end('NEVA_CORE_SESSION_ENDED')
      return false
    }
    user = now
    // Roles are part of it: a board role taken away closes the stream the same way.
    if (grantsOf(now) !== grants || (o.stillAllowed && !o.stillAllowed(now))) {
      end('NEVA_CORE_GRANTS_CHANGED')
      return false
    }
    return true
  }
  const heartbeat = setInterval(() => {
    if (check()) write('heartbeat', { time: Date.now() })
  }, o.heartbeatMs)
  const unwatch = access.watch(() => void check())
  function close(told = false): void {
    if (closed) return
    closed = true
    clearInterval(heartbeat)
    unwatch()
    o.onClose()
    if (!told) return void raw.destroy()
    raw.end()
    // A client that does not read would hold the socket: it goes after the grace regardless.
    setTimeout(() => raw.destroy(), o.closeGraceMs).unref()
  }
  raw.on('close', () => close())
  return {
    get user() {
      return user
    },
    get closed() {
      return closed
    },
    write,
    check,
    close,
  }
}
