// MLLP (HL7 v2.6 Appendix C / IHE PCD TF-2 Appendix I): each message travels as
// 0x0B <message> 0x1C 0x0D. The deframer is a pure state machine fed with whatever chunks the
// socket delivers; it never holds more than one frame (bounded by maxFrameBytes).
import { FirmwareErrorCode, type DecodeProblem, type Hl7v2ErrorCode } from '../errors.js'
import { HL7_MAX_MESSAGE_BYTES } from './parse.js'

export const MLLP_START = 0x0b
export const MLLP_END = 0x1c
export const MLLP_CR = 0x0d
const LF = 0x0a

export function mllpFrame(message: string | Uint8Array): Uint8Array {
  const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message
  const out = new Uint8Array(body.length + 3)
  out[0] = MLLP_START
  out.set(body, 1)
  out[body.length + 1] = MLLP_END
  out[body.length + 2] = MLLP_CR
  return out
}

export interface MllpDeframerOptions {
  /** Largest message accepted; a longer frame is discarded as a problem. Default 1 MiB. */
  maxFrameBytes?: number
}

export interface MllpOutput {
  messages: Uint8Array[]
  /** Stream offset of each message's start block (messages[i] began at offsets[i]). */
  offsets: number[]
  problems: DecodeProblem[]
}

type State = 'outside' | 'inside' | 'afterEnd' | 'discarding'

const PREVIEW_BYTES = 256

export class MllpDeframer {
  private readonly maxFrameBytes: number
  private state: State = 'outside'
  /** Stream offset of the next byte pushed. */
  private offset = 0
  private frame: Uint8Array[] = []
  private frameBytes = 0
  private frameStart = 0
  private garbageStart = -1
  private garbageBytes = 0
  private garbagePreview: number[] = []

  constructor(options: MllpDeframerOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? HL7_MAX_MESSAGE_BYTES
  }

  /** Bytes of the frame being received. */
  get buffered(): number {
    return this.frameBytes
  }

  push(bytes: Uint8Array): MllpOutput {
    const out: MllpOutput = { messages: [], offsets: [], problems: [] }
    let copyFrom = 0 // start of the run of frame content in `bytes` not yet copied
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!
      const at = this.offset + i
      if (this.state === 'afterEnd') {
        this.state = 'outside'
        if (b === MLLP_CR) continue
        // A sender that omits the CR after 0x1C: read the byte as outside a frame.
      }
      if (this.state === 'outside') {
        if (b === MLLP_START) {
          this.flushGarbage(out)
          this.startFrame(at)
          copyFrom = i + 1
        } else if (b !== MLLP_CR && b !== LF) {
          // CR/LF between frames are tolerated (senders that end frames with 0x1C 0x0D 0x0A).
          this.garbage(b, at)
        }
      } else if (this.state === 'inside') {
        if (b === MLLP_START) {
          this.append(bytes, copyFrom, i)
          out.problems.push(this.problem(FirmwareErrorCode.NEVA_HL7V2_MLLP_RESTARTED, `frame started at offset ${this.frameStart} was cut short by a new start block at offset ${at} after ${this.frameBytes} bytes; the partial message is not read`))
          this.startFrame(at)
          copyFrom = i + 1
        } else if (b === MLLP_END) {
          this.append(bytes, copyFrom, i)
          out.offsets.push(this.frameStart)
          out.messages.push(this.takeFrame())
          this.state = 'afterEnd'
        } else if (this.frameBytes + (i + 1 - copyFrom) > this.maxFrameBytes) {
          out.problems.push(this.problem(FirmwareErrorCode.NEVA_HL7V2_MLLP_FRAME_TOO_LARGE, `frame started at offset ${this.frameStart} exceeds ${this.maxFrameBytes} bytes; discarded up to its end block`, bytes.subarray(copyFrom, copyFrom + PREVIEW_BYTES)))
          this.frame = []
          this.frameBytes = 0
          this.state = 'discarding'
        }
      } else if (b === MLLP_END) {
        this.state = 'afterEnd'
      } else if (b === MLLP_START) {
        this.startFrame(at)
        copyFrom = i + 1
      }
    }
    if (this.state === 'inside') this.append(bytes, copyFrom, bytes.length)
    this.offset += bytes.length
    this.flushGarbage(out)
    return out
  }

  /** The stream ended: a frame still open is reported (its content was never acknowledged). */
  end(): DecodeProblem[] {
    const problems: DecodeProblem[] = []
    if (this.state === 'inside' || this.state === 'discarding') {
      problems.push(this.problem(FirmwareErrorCode.NEVA_HL7V2_MLLP_TRUNCATED, `connection ended inside the frame started at offset ${this.frameStart} (${this.frameBytes} bytes received, no end block)`))
    }
    this.state = 'outside'
    this.frame = []
    this.frameBytes = 0
    return problems
  }

  private startFrame(at: number): void {
    this.state = 'inside'
    this.frame = []
    this.frameBytes = 0
    this.frameStart = at
  }

  private append(bytes: Uint8Array, from: number, to: number): void {
    if (to <= from || this.state !== 'inside') return
    this.frame.push(bytes.slice(from, to))
    this.frameBytes += to - from
  }

  private takeFrame(): Uint8Array {
    const frame = this.frame.length === 1 ? this.frame[0]! : Buffer.concat(this.frame)
    this.frame = []
    this.frameBytes = 0
    return frame
  }

  private garbage(b: number, at: number): void {
    if (this.garbageStart < 0) this.garbageStart = at
    this.garbageBytes++
    if (this.garbagePreview.length < PREVIEW_BYTES) this.garbagePreview.push(b)
  }

  private flushGarbage(out: MllpOutput): void {
    if (this.garbageStart < 0) return
    const preview = printable(this.garbagePreview)
    const more = this.garbageBytes > this.garbagePreview.length ? '…' : ''
    out.problems.push({
      code: FirmwareErrorCode.NEVA_HL7V2_MLLP_GARBAGE,
      // The bytes themselves stay in payload: a reason names the rule, never the content.
      reason: `${this.garbageBytes} bytes outside an MLLP frame at offset ${this.garbageStart} (expected 0x0B)`,
      payload: preview + more,
      offset: this.garbageStart,
    })
    this.garbageStart = -1
    this.garbageBytes = 0
    this.garbagePreview = []
  }

  /** A problem with the frame being received, showing its first bytes. */
  private problem(code: Hl7v2ErrorCode, reason: string, fallback?: Uint8Array): DecodeProblem {
    const head = this.frame[0] ?? fallback ?? new Uint8Array(0)
    return { code, reason, payload: printable([...head.subarray(0, PREVIEW_BYTES)]), offset: this.frameStart }
  }
}

/** Bytes as text a person can read: printable ASCII as is, anything else as \xNN. */
function printable(bytes: number[]): string {
  return bytes.map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')
}
