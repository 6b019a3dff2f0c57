// The receiving side of ASTM E1381 (the LIS's role), as a pure state machine: fed bytes and the
// time, it returns the bytes to write, the messages it completed and the problems it met.
//
//            ENQ / ACK (NAK when busy)          good frame, not the last / ACK
//   idle ─────────────────────────────► receiving ◄───────────────────────────┐
//    ▲  ▲    (a frame without ENQ also      │  │ bad checksum or number / NAK  │
//    │  │     opens a transfer)             │  │ repeat of the last good / ACK ┘
//    │  └───── EOT, or 30 s without a frame ┘  │      (not appended twice)
//    │         (partial message discarded)     │ frame completing a message (its last
//    │                                         ▼ record is L) / no reply yet: `messages`
//    │                                      awaiting ── ack(id, true) / ACK → receiving
//    └──── EOT before L: the sender gave    (durable?) ── ack(id, false) / NAK → receiving,
//          up; the part is discarded                      the frame is forgotten: the
//          (a problem): it will resend                    analyzer resends it
//          (messageEndsAtEot: handed over)
//
// Durability: the frame that completes a message is answered only when the caller says the
// message is durable (`ack`). E1381 gives the receiver 15 s to answer; when the caller takes
// longer than `replyLimitMs` the frame is NAKed (the sender resends it) and the answer waits
// for the resend: ACK once durable (the resend is then a repeat), else the resend completes
// the message again.
import { FirmwareErrorCode, type DecodeProblem, type AstmErrorCode } from '../errors.js'
import { ACK, CR, ENQ, EOT, FrameReader, LF, NAK, type FrameEvent } from './frames.js'

export type AstmReceiverState = 'idle' | 'receiving' | 'awaiting'

export interface AstmReceiverOptions {
  /** E1381 receiver timeout: a transfer with no frame for this long is abandoned. */
  receiverTimeoutMs?: number
  /** How long a completing frame may wait for durability before it is NAKed (E1381 allows 15 s). */
  replyLimitMs?: number
  maxFrameBytes?: number
  /** A longer message is acknowledged and dropped, with a problem. */
  maxMessageBytes?: number
  /** The caller cannot take a message now (an ENQ is answered NAK; the sender retries in 10 s). */
  isBusy?: () => boolean
  /**
   * For analyzers that send no L record: a message ends with EOT. Its last frame was then ACKed
   * before the message was durable. Default false: EOT before L means the sender gave up
   * mid-message (it will send it again), so the partial message is discarded, as a problem.
   */
  messageEndsAtEot?: boolean
}

export interface AstmReceivedMessage {
  id: number
  /** The text of its frames, concatenated: records ending with CR. */
  bytes: Uint8Array
  /** Stream offset of its first frame. */
  offset: number
  frames: number
  /** False when EOT came before an L record: its last frame was already acknowledged. */
  terminated: boolean
}

export interface AstmReceiverOutput {
  write: Uint8Array[]
  messages: AstmReceivedMessage[]
  problems: DecodeProblem[]
}

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024
const PAYLOAD_MAX = 65_536
const ACK_BYTES = Uint8Array.of(ACK)
const NAK_BYTES = Uint8Array.of(NAK)

interface Pending {
  id: number
  fn: number
  /** State to return to when the message is not durable. */
  partsBefore: number
  sizeBefore: number
  lastGoodBefore: number | null
  replyOwed: boolean
  owedSince: number
  /** The sender ended the transfer (EOT) meanwhile. */
  ended: boolean
}

export class AstmReceiver {
  private readonly reader: FrameReader
  private readonly receiverTimeoutMs: number
  private readonly replyLimitMs: number
  private readonly maxMessageBytes: number
  private readonly isBusy: () => boolean
  private readonly messageEndsAtEot: boolean
  private current: AstmReceiverState = 'idle'
  private lastGood: number | null = null
  /** The transfer began with a frame, not ENQ: its first frame number is taken as it comes. */
  private implicit = false
  private parts: Uint8Array[] = []
  private size = 0
  private frames = 0
  private messageOffset = 0
  /** The message outgrew the cap: frames are acknowledged and dropped until its end. */
  private dropping = false
  private lastActivity = 0
  private pending: Pending | null = null
  private nextId = 1

  constructor(options: AstmReceiverOptions = {}) {
    this.reader = new FrameReader({ maxFrameBytes: options.maxFrameBytes })
    this.receiverTimeoutMs = options.receiverTimeoutMs ?? 30_000
    this.replyLimitMs = options.replyLimitMs ?? 10_000
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.isBusy = options.isBusy ?? (() => false)
    this.messageEndsAtEot = options.messageEndsAtEot ?? false
  }

  get state(): AstmReceiverState {
    return this.current
  }

  receive(bytes: Uint8Array, now: number): AstmReceiverOutput {
    const out: AstmReceiverOutput = { write: [], messages: [], problems: [] }
    for (const event of this.reader.push(bytes)) this.handle(event, now, out)
    return out
  }

  tick(now: number): AstmReceiverOutput {
    const out: AstmReceiverOutput = { write: [], messages: [], problems: [] }
    if (this.current === 'receiving' && now - this.lastActivity >= this.receiverTimeoutMs) {
      this.discard(out, FirmwareErrorCode.NEVA_ASTM_RECEIVER_TIMEOUT, `no frame for ${Math.round((now - this.lastActivity) / 1000)} s (E1381 receiver timeout)`)
      this.current = 'idle'
    } else if (this.current === 'awaiting' && this.pending?.replyOwed && now - this.pending.owedSince >= this.replyLimitMs) {
      // Answer within E1381's 15 s: the sender resends the frame, and gets ACK once durable.
      this.pending.replyOwed = false
      out.write.push(NAK_BYTES)
    }
    return out
  }

  /** The caller made message `id` durable (ok) or could not (not ok: the analyzer must resend it). */
  ack(id: number, ok: boolean, now: number): AstmReceiverOutput {
    const out: AstmReceiverOutput = { write: [], messages: [], problems: [] }
    const p = this.pending
    if (!p || p.id !== id) return out
    this.pending = null
    if (p.replyOwed) out.write.push(ok ? ACK_BYTES : NAK_BYTES)
    this.lastActivity = now
    if (p.ended) {
      this.clearMessage()
      this.current = 'idle'
    } else if (ok) {
      this.clearMessage()
      this.current = 'receiving'
    } else {
      this.parts = this.parts.slice(0, p.partsBefore)
      this.size = p.sizeBefore
      this.frames = p.partsBefore
      this.lastGood = p.lastGoodBefore
      this.current = 'receiving'
    }
    return out
  }

  /** The link dropped: forget the transfer; a pending `ack` becomes a no-op. */
  reset(): AstmReceiverOutput {
    const out: AstmReceiverOutput = { write: [], messages: [], problems: [] }
    if (this.current === 'receiving') this.discard(out, FirmwareErrorCode.NEVA_ASTM_INTERRUPTED, 'the link dropped during the transfer')
    this.reader.reset()
    this.pending = null
    this.clearMessage()
    this.current = 'idle'
    return out
  }

  private handle(event: FrameEvent, now: number, out: AstmReceiverOutput): void {
    switch (event.kind) {
      case 'control':
        if (event.byte === ENQ) this.enq(event.offset, now, out)
        else if (event.byte === EOT) this.eot(out)
        // ACK and NAK are a sender's business; a receiver ignores them.
        return
      case 'noise':
        out.problems.push(problem(FirmwareErrorCode.NEVA_ASTM_NOISE, `${event.length} byte(s) outside any frame at offset ${event.offset}`, text(event.head), event.offset))
        return
      case 'bad-frame':
        out.problems.push(problem(event.code, event.reason, text(event.head), event.offset))
        if (this.current !== 'awaiting') out.write.push(NAK_BYTES)
        return
      case 'frame':
        this.frame(event, now, out)
    }
  }

  private enq(offset: number, now: number, out: AstmReceiverOutput): void {
    // E1381: a receiver that cannot take a message now answers NAK; the sender retries in 10 s.
    if (this.current === 'awaiting' || this.isBusy()) {
      out.write.push(NAK_BYTES)
      return
    }
    if (this.current === 'receiving') this.discard(out, FirmwareErrorCode.NEVA_ASTM_INTERRUPTED, `the sender sent ENQ at offset ${offset} before ending its transfer`)
    this.open(false, now)
    out.write.push(ACK_BYTES)
  }

  private eot(out: AstmReceiverOutput): void {
    if (this.current === 'awaiting') {
      // The sender gave up waiting: it reads no answer now, and will send the message again.
      this.pending!.ended = true
      this.pending!.replyOwed = false
      return
    }
    if (this.current !== 'receiving') return
    if (!this.messageEndsAtEot) {
      // Stored now, the part would be stored again when the analyzer resends the whole message.
      if (hasRecords(this.parts)) this.discard(out, FirmwareErrorCode.NEVA_ASTM_INTERRUPTED, 'EOT before the L record: the sender ended the transfer mid-message and sends the message again')
      this.clearMessage()
      this.current = 'idle'
      return
    }
    if (this.size > 0 && !this.dropping && hasRecords(this.parts)) {
      // No L record: the message ends with the transfer. Its frames were all ACKed already.
      const message = this.take(false)
      out.messages.push(message)
      this.pending = { id: message.id, fn: this.lastGood ?? 0, partsBefore: 0, sizeBefore: 0, lastGoodBefore: null, replyOwed: false, owedSince: 0, ended: true }
      this.current = 'awaiting'
      return
    }
    this.clearMessage()
    this.current = 'idle'
  }

  private frame(f: Extract<FrameEvent, { kind: 'frame' }>, now: number, out: AstmReceiverOutput): void {
    if (this.current === 'awaiting') {
      const p = this.pending!
      // The sender resends the frame we NAKed while waiting for durability: answer it when we know.
      if (!p.replyOwed && f.checksumOk && f.number === p.fn) {
        p.replyOwed = true
        p.owedSince = now
      }
      return
    }
    if (this.current === 'idle') this.open(true, now)
    this.lastActivity = now
    if (!f.checksumOk) {
      out.problems.push(problem(FirmwareErrorCode.NEVA_ASTM_CHECKSUM, `frame ${f.number} at offset ${f.offset}: checksum sent ${f.sent}, its content gives ${f.computed}`, text(f.text.subarray(0, 256)), f.offset))
      out.write.push(NAK_BYTES)
      return
    }
    const expected = this.lastGood === null ? (this.implicit ? f.number : 1) : (this.lastGood + 1) % 8
    if (f.number !== expected) {
      if (this.lastGood !== null && f.number === this.lastGood) {
        // Our ACK was lost and the sender sent the frame again: acknowledge, do not append.
        out.write.push(ACK_BYTES)
        return
      }
      out.problems.push(problem(FirmwareErrorCode.NEVA_ASTM_FRAME_NUMBER, `frame at offset ${f.offset} has number ${f.number}, expected ${expected}`, text(f.text.subarray(0, 256)), f.offset))
      out.write.push(NAK_BYTES)
      return
    }
    const lastGoodBefore = this.lastGood
    this.lastGood = f.number
    if (this.dropping) {
      if (endsWithTerminator(f.text, f.end, 0x7c)) {
        this.dropping = false
        this.clearMessage()
      }
      out.write.push(ACK_BYTES)
      return
    }
    if (this.size + f.text.length > this.maxMessageBytes) {
      const head = Buffer.concat(this.parts.slice(0, 4)).subarray(0, PAYLOAD_MAX)
      out.problems.push(problem(FirmwareErrorCode.NEVA_ASTM_MESSAGE_TOO_LONG, `message from offset ${this.messageOffset} is longer than ${this.maxMessageBytes} bytes; acknowledged and dropped`, text(head), this.messageOffset))
      this.clearMessage()
      this.dropping = !endsWithTerminator(f.text, f.end, 0x7c)
      out.write.push(ACK_BYTES)
      return
    }
    if (this.parts.length === 0) this.messageOffset = f.offset
    const partsBefore = this.parts.length
    const sizeBefore = this.size
    this.parts.push(f.text)
    this.size += f.text.length
    this.frames++
    if (!this.completes(f)) {
      out.write.push(ACK_BYTES)
      return
    }
    const message = this.take(true)
    out.messages.push(message)
    this.pending = { id: message.id, fn: f.number, partsBefore, sizeBefore, lastGoodBefore, replyOwed: true, owedSince: now, ended: false }
    this.current = 'awaiting'
  }

  /** The message's last record is the L terminator. */
  private completes(f: Extract<FrameEvent, { kind: 'frame' }>): boolean {
    const first = this.parts[0]!
    const fieldDelimiter = first[0] === 0x48 /* H */ && first.length > 1 ? first[1]! : 0x7c
    const { bytes, truncated } = tail(this.parts, 1024)
    return endsWithTerminator(bytes, f.end, fieldDelimiter, truncated)
  }

  private open(implicit: boolean, now: number): void {
    this.current = 'receiving'
    this.implicit = implicit
    this.lastGood = null
    this.lastActivity = now
    this.dropping = false
    this.clearMessage()
  }

  private take(terminated: boolean): AstmReceivedMessage {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)
    return { id: this.nextId++, bytes, offset: this.messageOffset, frames: this.frames, terminated }
  }

  private discard(out: AstmReceiverOutput, code: AstmErrorCode, reason: string): void {
    if (this.size > 0 && !this.dropping) {
      const bytes = Buffer.concat(this.parts).subarray(0, PAYLOAD_MAX)
      out.problems.push(problem(code, `partial message from offset ${this.messageOffset} (${this.frames} frame(s)) discarded: ${reason}`, text(bytes), this.messageOffset))
    }
    this.clearMessage()
  }

  private clearMessage(): void {
    this.parts = []
    this.size = 0
    this.frames = 0
    this.dropping = false
  }
}

function problem(code: AstmErrorCode, reason: string, payload: string, offset: number): DecodeProblem {
  return { code, reason, payload, offset }
}

const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')

/** The last `n` bytes of the concatenated parts, and whether there were more. */
function tail(parts: Uint8Array[], n: number): { bytes: Uint8Array; truncated: boolean } {
  const picked: Uint8Array[] = []
  let size = 0
  let i = parts.length - 1
  for (; i >= 0 && size < n; i--) {
    picked.unshift(parts[i]!)
    size += parts[i]!.length
  }
  const all = picked.length === 1 ? picked[0]! : Buffer.concat(picked)
  return { bytes: all.subarray(Math.max(0, all.length - n)), truncated: i >= 0 || all.length > n }
}

/**
 * Whether the text's last record is an L record (a record ends with CR, or with the end frame).
 * `truncated`: `bytes` is the tail of a longer text, so its first record may be cut.
 */
export function endsWithTerminator(bytes: Uint8Array, endFrame: boolean, fieldDelimiter: number, truncated = false): boolean {
  let end = bytes.length
  if (end > 0 && bytes[end - 1] !== CR && bytes[end - 1] !== LF && !endFrame) return false
  while (end > 0 && (bytes[end - 1] === CR || bytes[end - 1] === LF)) end--
  if (end === 0) return false
  let start = end - 1
  while (start > 0 && bytes[start - 1] !== CR && bytes[start - 1] !== LF) start--
  if (start === 0 && truncated) return false
  return bytes[start] === 0x4c /* L */ && (end - start === 1 || bytes[start + 1] === fieldDelimiter)
}

function hasRecords(parts: Uint8Array[]): boolean {
  for (const p of parts) for (const b of p) if (b !== CR && b !== LF && b !== 0x20) return true
  return false
}
