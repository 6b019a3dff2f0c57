// The sending side of ASTM E1381 (the instrument's role), as a pure state machine for the
// simulator: it holds a queue of messages (each a list of frames) and sends them one transfer
// each, returning the bytes to write and which messages were delivered or aborted.
//
//          message queued / ENQ                   ACK / first frame
//   idle ─────────────────────► establishing ───────────────────────► transferring
//    ▲                            │    │                                │ ACK (or EOT) / next frame
//    │                            │    │ NAK (receiver busy) /          │ NAK / same frame again
//    │                            │    │   wait busyRetryMs             │   (at most maxRetransmits)
//    │                            │    │ ENQ (contention) /             │ last frame ACKed / EOT:
//    │                            │    ▼   wait contentionRetryMs       │   delivered, next message
//    │                            │  waiting ─── time is up / ENQ ──►   │ 7th NAK or 15 s silence /
//    │                            │    ▲                                │   EOT: aborted; the
//    └── queue empty ◄────────────┘    └────────────────────────────────┘   message stays first
//
// Contention (E1381: both ends sent ENQ): this sender plays the instrument, which has priority.
// It ignores the other ENQ, waits `contentionRetryMs` (1 s) and sends ENQ again; the computer
// system is the one that must yield and answer it.
// An aborted message stays at the head of the queue and is sent again from its first frame:
// the receiver stores a resent message once (its identity is the hash of its records).
import { ACK, ENQ, EOT, NAK } from './frames.js'

export type AstmSenderState = 'idle' | 'establishing' | 'transferring' | 'waiting'

export interface AstmSenderOptions {
  /** E1381: the sender waits 15 s for a reply to ENQ or to a frame, then ends with EOT. */
  replyTimeoutMs?: number
  /** How often one frame is sent again after NAK before the transfer is aborted. */
  maxRetransmits?: number
  /** E1381: after a busy NAK to ENQ, wait 10 s. */
  busyRetryMs?: number
  /** E1381 contention: the instrument waits 1 s before its next ENQ. */
  contentionRetryMs?: number
  /** After an aborted transfer, wait this long before trying the message again. */
  abortRetryMs?: number
}

export interface AstmOutgoingMessage {
  id: string
  frames: Uint8Array[]
}

export interface AstmSenderOutput {
  write: Uint8Array[]
  /** Messages whose transfer got past ENQ (again, for a message sent after an abort). */
  started: string[]
  delivered: string[]
  aborted: Array<{ id: string; reason: string }>
}

export interface AstmSenderStats {
  /** Transfers that got past ENQ (a message sent again after an abort counts again). */
  transfers: number
  framesSent: number
  /** Frames sent again after a NAK. */
  framesResent: number
  delivered: number
  aborted: number
}

const bytes = (b: number) => Uint8Array.of(b)

export class AstmSender {
  private readonly queue: AstmOutgoingMessage[] = []
  private current: AstmSenderState = 'idle'
  private frameIndex = 0
  private retransmits = 0
  private sentAt = 0
  private retryAt = 0
  private readonly o: Required<AstmSenderOptions>
  readonly stats: AstmSenderStats = { transfers: 0, framesSent: 0, framesResent: 0, delivered: 0, aborted: 0 }

  constructor(options: AstmSenderOptions = {}) {
    this.o = {
      replyTimeoutMs: options.replyTimeoutMs ?? 15_000,
      maxRetransmits: options.maxRetransmits ?? 6,
      busyRetryMs: options.busyRetryMs ?? 10_000,
      contentionRetryMs: options.contentionRetryMs ?? 1000,
      abortRetryMs: options.abortRetryMs ?? 10_000,
    }
  }

  get state(): AstmSenderState {
    return this.current
  }

  /** Messages not yet delivered, the one in transfer included. */
  get queued(): number {
    return this.queue.length
  }

  enqueue(message: AstmOutgoingMessage, now: number): AstmSenderOutput {
    const out = output()
    this.queue.push(message)
    if (this.current === 'idle') this.establish(now, out)
    return out
  }

  /** Drops the oldest message not in transfer (a bounded memory); returns its id. */
  dropOldest(): string | undefined {
    const index = this.current === 'transferring' || this.current === 'establishing' ? 1 : 0
    return this.queue.splice(index, 1)[0]?.id
  }

  receive(data: Uint8Array, now: number): AstmSenderOutput {
    const out = output()
    for (const b of data) {
      if (this.current === 'establishing') {
        if (b === ACK) {
          this.current = 'transferring'
          this.frameIndex = 0
          this.retransmits = 0
          this.stats.transfers++
          out.started.push(this.queue[0]!.id)
          this.sendFrame(now, out)
        } else if (b === NAK) {
          this.wait(now + this.o.busyRetryMs)
        } else if (b === ENQ) {
          this.wait(now + this.o.contentionRetryMs)
        }
      } else if (this.current === 'transferring') {
        // E1381: EOT in reply to a frame is an ACK with a request to stop soon; one message per
        // transfer here, so it is simply an ACK.
        if (b === ACK || b === EOT) {
          this.frameIndex++
          this.retransmits = 0
          const message = this.queue[0]!
          if (this.frameIndex < message.frames.length) {
            this.sendFrame(now, out)
          } else {
            this.queue.shift()
            this.stats.delivered++
            out.delivered.push(message.id)
            out.write.push(bytes(EOT))
            this.current = 'idle'
            this.establish(now, out)
          }
        } else if (b === NAK) {
          if (this.retransmits >= this.o.maxRetransmits) {
            this.abort(now, out, `frame ${this.frameIndex + 1} NAKed ${this.retransmits + 1} times`)
          } else {
            this.retransmits++
            this.stats.framesResent++
            this.sendFrame(now, out)
          }
        }
      }
      // idle and waiting: nothing is expected (this instrument takes no messages from the host).
    }
    return out
  }

  tick(now: number): AstmSenderOutput {
    const out = output()
    if ((this.current === 'establishing' || this.current === 'transferring') && now - this.sentAt >= this.o.replyTimeoutMs) {
      this.abort(now, out, `no reply within ${this.o.replyTimeoutMs} ms`)
    } else if (this.current === 'waiting' && now >= this.retryAt) {
      this.current = 'idle'
      this.establish(now, out)
    } else if (this.current === 'idle') {
      this.establish(now, out)
    }
    return out
  }

  /** The link dropped: the transfer is lost; the message stays first and is sent again from ENQ. */
  reset(now: number): void {
    this.wait(now)
  }

  private establish(now: number, out: AstmSenderOutput): void {
    if (this.queue.length === 0) return
    out.write.push(bytes(ENQ))
    this.current = 'establishing'
    this.sentAt = now
  }

  private sendFrame(now: number, out: AstmSenderOutput): void {
    out.write.push(this.queue[0]!.frames[this.frameIndex]!)
    this.stats.framesSent++
    this.sentAt = now
  }

  private abort(now: number, out: AstmSenderOutput, reason: string): void {
    out.write.push(bytes(EOT))
    if (this.current === 'transferring') {
      this.stats.aborted++
      out.aborted.push({ id: this.queue[0]!.id, reason })
    }
    this.wait(now + this.o.abortRetryMs)
  }

  private wait(until: number): void {
    this.current = 'waiting'
    this.retryAt = until
  }
}

const output = (): AstmSenderOutput => ({ write: [], started: [], delivered: [], aborted: [] })
