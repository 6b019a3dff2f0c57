// One bedside monitor's MLLP link for a replay: messages go one at a time (HL7 original mode),
// the next only once the gateway's ACK for this one arrives; no ACK or a lost connection: the
// same bytes again on a new connection. Unlike the physiology monitor, it sends what it is given.
import { connect, type Socket } from 'node:net'
import { MllpDeframer, mllpFrame, parseHl7 } from '@neva/firmware-adapters'

export interface MllpClientStats {
  sent: number
  resent: number
  acked: number
  /** AE or AR: the gateway refused some or all of the message. */
  refused: number
  queued: number
}

export class ReplayMllpClient {
  private readonly queue: { controlId: string; bytes: Uint8Array; attempts: number }[] = []
  private readonly counts = { sent: 0, resent: 0, acked: 0, refused: 0 }
  private socket: Socket | undefined
  private connected = false
  private inFlight = false
  private closed = false
  private ackTimer: NodeJS.Timeout | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private deframer = new MllpDeframer()
  private idleWaiters: (() => void)[] = []

  constructor(private readonly host: string, private readonly port: number, private readonly ackTimeoutMs = 10_000) {}

  send(controlId: string, message: string): void {
    this.queue.push({ controlId, bytes: mllpFrame(message), attempts: 0 })
    if (!this.socket) this.connect()
    else this.pump()
  }

  stats(): MllpClientStats {
    return { ...this.counts, queued: this.queue.length }
  }

  /** Resolves once every message given so far is acknowledged. */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.ackTimer)
    clearTimeout(this.retryTimer)
    const socket = this.socket
    if (!socket || socket.destroyed) return
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve())
      socket.end(() => socket.destroy())
    })
  }

  private connect(): void {
    if (this.closed) return
    const socket = connect({ host: this.host, port: this.port })
    this.socket = socket
    this.deframer = new MllpDeframer()
    socket.setNoDelay(true)
    socket.on('connect', () => {
      this.connected = true
      this.pump()
    })
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.deframer.push(chunk).messages) this.answer(frame)
    })
    socket.on('error', () => {}) // 'close' follows
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.connected = false
      this.inFlight = false
      clearTimeout(this.ackTimer)
      if (!this.closed) this.retryTimer = setTimeout(() => this.connect(), 250)
    })
  }

  private pump(): void {
    const head = this.queue[0]
    if (!this.connected || this.inFlight || !head || this.closed) return
    this.inFlight = true
    if (head.attempts++ === 0) this.counts.sent++
    else this.counts.resent++
    this.socket!.write(head.bytes)
    this.ackTimer = setTimeout(() => this.socket?.destroy(), this.ackTimeoutMs)
  }

  private answer(frame: Uint8Array): void {
    const msa = parseHl7(frame).message?.segment('MSA')
    const head = this.queue[0]
    if (!msa || !head || !this.inFlight || msa.value(2) !== head.controlId) return
    clearTimeout(this.ackTimer)
    this.inFlight = false
    // AE and AR are not resent: the same message would be refused again; the count says so.
    if (msa.value(1) === 'AA') this.counts.acked++
    else this.counts.refused++
    this.queue.shift()
    if (this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w()
    this.pump()
  }
}
