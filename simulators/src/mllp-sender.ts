// One device's MLLP connection to a gateway, sending HL7 v2 in original mode: one message in
// flight, the next only once the ACK whose MSA-2 echoes this one's MSH-10 arrives. The bedside
// monitor simulator and the PhysioNet replay both send through it.
//
//   queued ──sent──► in flight ──AA──────────► done (acked)
//     ▲                 │ ──AR──────────────► done (rejected: resending would not help)
//     │                 │ ──AE──► resent after a pause (gave up after maxErrorResends: rejected)
//     └─────────────────┘ no ACK in ackTimeoutMs, or connection lost: reconnect with backoff,
//                          then the same bytes again (resent)
import { connect, type Socket } from 'node:net'
import { MllpDeframer, mllpFrame, parseHl7 } from '@neva/firmware-adapters'

export interface MllpSenderOptions {
  host: string
  port: number
  /** No ACK this long: reconnect and resend. Default 10 s. */
  ackTimeoutMs?: number
  /** Reconnection backoff, first and longest delay (doubling between). Defaults 250 ms and 5 s. */
  reconnectMinMs?: number
  reconnectMaxMs?: number
  /** Resends after an AE before giving the message up. Default 5; 0 gives up at the first AE. */
  maxErrorResends?: number
  /** Messages kept while the gateway is unreachable; the oldest not in flight go first. Default: no bound. */
  maxQueue?: number
}

/** What a sender did; several senders may add to one (a ward of monitors). */
export interface MllpSenderCounters {
  /** Messages written for the first time. */
  sent: number
  /** Messages written again (no ACK in time, connection lost, AE). */
  resent: number
  /** AA received. */
  acked: number
  /** AE received. */
  errors: number
  /** AR received, or given up after repeated AE. */
  rejected: number
  /** Dropped because the queue was full. */
  dropped: number
  reconnects: number
}

export const newMllpSenderCounters = (): MllpSenderCounters => ({ sent: 0, resent: 0, acked: 0, errors: 0, rejected: 0, dropped: 0, reconnects: 0 })

interface Pending {
  controlId: string
  bytes: Uint8Array
  attempts: number
  errors: number
}

export class MllpSender {
  private readonly queue: Pending[] = []
  private socket: Socket | undefined
  private deframer = new MllpDeframer()
  private inFlight: Pending | undefined
  private ackTimer: NodeJS.Timeout | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private backoffMs: number
  private idleWaiters: (() => void)[] = []
  private closed = false
  connected = false

  constructor(private readonly options: MllpSenderOptions, readonly counters: MllpSenderCounters = newMllpSenderCounters()) {
    this.backoffMs = options.reconnectMinMs ?? 250
  }

  /** Waiting, the one in flight included. */
  get queued(): number {
    return this.queue.length
  }

  /** Queues a message (its MSH-10 is `controlId`); connects on the first. */
  send(controlId: string, message: string): void {
    if (this.queue.length >= (this.options.maxQueue ?? Infinity)) {
      // A device's buffer is finite: the oldest message not in flight makes room.
      this.queue.splice(this.inFlight === this.queue[0] ? 1 : 0, 1)
      this.counters.dropped++
    }
    this.queue.push({ controlId, bytes: mllpFrame(message), attempts: 0, errors: 0 })
    if (!this.socket) this.connect()
    else this.pump()
  }

  /** Resolves once every message given so far is settled (acknowledged or refused). */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  connect(): void {
    if (this.closed) return
    const socket = connect({ host: this.options.host, port: this.options.port })
    this.socket = socket
    this.deframer = new MllpDeframer()
    socket.setNoDelay(true)
    socket.on('connect', () => {
      this.connected = true
      this.backoffMs = this.options.reconnectMinMs ?? 250
      this.pump()
    })
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.deframer.push(chunk).messages) this.answer(frame)
    })
    socket.on('error', () => {}) // 'close' follows
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.connected = false
      this.inFlight = undefined
      clearTimeout(this.ackTimer)
      if (this.closed) return
      this.counters.reconnects++
      this.retryTimer = setTimeout(() => this.connect(), this.backoffMs)
      this.backoffMs = Math.min(this.backoffMs * 2, this.options.reconnectMaxMs ?? 5000)
    })
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.ackTimer)
    clearTimeout(this.retryTimer)
    const socket = this.socket
    if (!socket || socket.destroyed) return
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve())
      if (this.connected) socket.end(() => socket.destroy())
      else socket.destroy()
    })
    this.connected = false
  }

  private pump(): void {
    const head = this.queue[0]
    if (!this.connected || this.inFlight || !head || this.closed) return
    this.inFlight = head
    if (head.attempts++ === 0) this.counters.sent++
    else this.counters.resent++
    this.socket!.write(head.bytes)
    // No answer: the connection may be half dead; a new one and the same message again.
    this.ackTimer = setTimeout(() => this.socket?.destroy(), this.options.ackTimeoutMs ?? 10_000)
  }

  private answer(frame: Uint8Array): void {
    const msa = parseHl7(frame).message?.segment('MSA')
    const head = this.inFlight
    // An ACK for an earlier copy of a message already settled: nothing to do.
    if (!msa || !head || msa.value(2) !== head.controlId) return
    clearTimeout(this.ackTimer)
    this.inFlight = undefined
    const code = msa.value(1)
    if (code === 'AE' && ++head.errors <= (this.options.maxErrorResends ?? 5)) {
      this.counters.errors++
      this.retryTimer = setTimeout(() => this.pump(), this.options.reconnectMinMs ?? 250)
      return
    }
    if (code === 'AA') this.counters.acked++
    else {
      if (code === 'AE') this.counters.errors++
      this.counters.rejected++
    }
    this.queue.shift()
    if (this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w()
    this.pump()
  }
}
