// ASTM E1381 (CLSI LIS1-A) frames: building them for a sender, and a streaming reader that turns
// bytes into frames and control characters, with byte offsets, for the receiver and for captures.
//
//   <STX> FN text <ETB|ETX> C1 C2 <CR><LF>
//
// FN is the frame number '0'-'7'; C1 C2 the checksum in hex. The reader is lenient where real
// analyzers are (frames longer than 240 characters, CR-only or LF-only trailers, lower-case
// checksums) and strict where a mistake would corrupt data (checksum, frame number byte).
import { FirmwareErrorCode } from '../errors.js'

export const STX = 0x02
export const ETX = 0x03
export const EOT = 0x04
export const ENQ = 0x05
export const ACK = 0x06
export const NAK = 0x15
export const ETB = 0x17
export const CR = 0x0d
export const LF = 0x0a

/** E1381: at most 240 characters of text per frame. */
export const MAX_FRAME_TEXT = 240
/** What the reader accepts from analyzers that ignore the 240 limit (a GeneXpert sends 4 KB frames). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024

const HEX = '0123456789ABCDEF'

/** ASTM E1381 checksum: sum of the bytes from the frame number through ETB/ETX inclusive, mod 256. */
export function frameChecksum(frameNumber: number, text: Uint8Array, end: typeof ETB | typeof ETX): string {
  let sum = 0x30 + frameNumber + end
  for (const b of text) sum += b
  sum &= 0xff
  return HEX[sum >> 4]! + HEX[sum & 0xf]!
}

export function buildFrame(frameNumber: number, text: Uint8Array, end: typeof ETB | typeof ETX): Uint8Array {
  const out = new Uint8Array(text.length + 7)
  out[0] = STX
  out[1] = 0x30 + (frameNumber & 7)
  out.set(text, 2)
  let i = 2 + text.length
  out[i++] = end
  const cs = frameChecksum(frameNumber & 7, text, end)
  out[i++] = cs.charCodeAt(0)
  out[i++] = cs.charCodeAt(1)
  out[i++] = CR
  out[i] = LF
  return out
}

/**
 * The frames of one message, as LIS2-A2 sends them: each record (ending with CR) in its own
 * frames, at most 240 text bytes each; ETB on a frame the record continues after, ETX on its
 * last. Frame numbers start at `firstFrameNumber` (1 for a new transfer) and count modulo 8.
 */
export function frameAstmMessage(message: string | Uint8Array, options: { maxText?: number; firstFrameNumber?: number } = {}): Uint8Array[] {
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message
  const maxText = Math.max(1, Math.min(options.maxText ?? MAX_FRAME_TEXT, MAX_FRAME_TEXT))
  const frames: Uint8Array[] = []
  let fn = options.firstFrameNumber ?? 1
  let start = 0
  while (start < bytes.length) {
    let end = bytes.indexOf(CR, start)
    end = end < 0 ? bytes.length : end + 1
    for (let i = start; i < end; i += maxText) {
      const chunkEnd = Math.min(end, i + maxText)
      frames.push(buildFrame(fn, bytes.subarray(i, chunkEnd), chunkEnd === end ? ETX : ETB))
      fn = (fn + 1) % 8
    }
    start = end
  }
  return frames
}

export type FrameEvent =
  /** ENQ, EOT, ACK or NAK outside a frame. */
  | { kind: 'control'; byte: number; offset: number }
  | {
      kind: 'frame'
      /** Offset of the STX. */
      offset: number
      number: number
      text: Uint8Array
      /** ETX (the end frame of a record) rather than ETB (intermediate). */
      end: boolean
      checksumOk: boolean
      /** The checksum as sent, and the one the content gives. */
      sent: string
      computed: string
    }
  | { kind: 'bad-frame'; offset: number; code: typeof FirmwareErrorCode.NEVA_ASTM_FRAME_MALFORMED | typeof FirmwareErrorCode.NEVA_ASTM_FRAME_TOO_LONG; reason: string; head: Uint8Array }
  /** A run of bytes outside any frame (line noise, a device's own format); `head` is its start. */
  | { kind: 'noise'; offset: number; length: number; head: Uint8Array }

type State = 'out' | 'number' | 'text' | 'skip' | 'cs1' | 'cs2'

const NOISE_HEAD = 256
const hex = (b: number) => `0x${b.toString(16).padStart(2, '0')}`
const isHex = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)

/**
 * Turns a byte stream into frame events; chunk boundaries are arbitrary. Memory is bounded by
 * `maxFrameBytes`: a longer frame is reported and skipped, never buffered.
 */
export class FrameReader {
  private state: State = 'out'
  /** Bytes consumed before the current chunk. */
  private base = 0
  private frameOffset = 0
  private frameNumber = 0
  private end = false
  private sum = 0
  private chunks: Uint8Array[] = []
  private size = 0
  private cs1 = 0
  /** The checksum being read closes an oversized frame already reported: no event for it. */
  private skipped = false
  private noiseOffset = -1
  private noiseLength = 0
  private noiseHead: number[] = []
  private readonly maxFrameBytes: number

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
  }

  /** Offset of the next byte to be read. */
  get position(): number {
    return this.base
  }

  /** Forgets any partial frame (the line dropped). Offsets keep counting. */
  reset(): void {
    this.state = 'out'
    this.skipped = false
    this.chunks = []
    this.size = 0
    this.noiseOffset = -1
  }

  push(bytes: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = []
    let textStart = -1
    const keepText = (to: number) => {
      if (textStart >= 0 && to > textStart) this.chunks.push(bytes.slice(textStart, to))
      textStart = -1
    }
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!
      const at = this.base + i
      switch (this.state) {
        case 'out':
          if (b === STX) {
            this.flushNoise(events)
            this.startFrame(at)
          } else if (b === ENQ || b === EOT || b === ACK || b === NAK) {
            this.flushNoise(events)
            events.push({ kind: 'control', byte: b, offset: at })
          } else if (b === CR || b === LF) {
            // Frame trailers (CR LF, CR alone, LF alone) and blank lines between frames.
            this.flushNoise(events)
          } else {
            if (this.noiseOffset < 0) this.noiseOffset = at
            this.noiseLength++
            if (this.noiseHead.length < NOISE_HEAD) this.noiseHead.push(b)
          }
          break
        case 'number':
          if (b >= 0x30 && b <= 0x37) {
            this.frameNumber = b - 0x30
            this.sum = b
            this.state = 'text'
            textStart = i + 1
          } else {
            events.push(this.bad(`frame at offset ${this.frameOffset}: frame number byte ${hex(b)} is not a digit 0-7`, FirmwareErrorCode.NEVA_ASTM_FRAME_MALFORMED))
            this.state = 'out'
            i-- // the byte is read again outside a frame
          }
          break
        case 'text':
          if (textStart < 0) textStart = i
          if (b === ETX || b === ETB) {
            keepText(i)
            this.end = b === ETX
            this.sum = (this.sum + b) & 0xff
            this.state = 'cs1'
          } else if (b === STX || b === EOT || b === ENQ) {
            keepText(i)
            events.push(this.bad(`frame at offset ${this.frameOffset}: ${b === STX ? 'STX' : b === EOT ? 'EOT' : 'ENQ'} at offset ${at} before its ETB or ETX (frame cut short)`, FirmwareErrorCode.NEVA_ASTM_FRAME_MALFORMED))
            this.state = 'out'
            i--
          } else {
            this.sum = (this.sum + b) & 0xff
            this.size++
            if (this.size > this.maxFrameBytes) {
              keepText(i)
              events.push(this.bad(`frame at offset ${this.frameOffset}: text longer than ${this.maxFrameBytes} bytes`, FirmwareErrorCode.NEVA_ASTM_FRAME_TOO_LONG))
              this.state = 'skip'
            }
          }
          break
        case 'skip':
          // The rest of an oversized frame: up to its end, or to whatever starts the next thing.
          if (b === ETX || b === ETB) {
            this.skipped = true
            this.state = 'cs1'
          } else if (b === STX || b === EOT || b === ENQ) {
            this.state = 'out'
            i--
          }
          break
        case 'cs1':
          if (isHex(b)) {
            this.cs1 = b
            this.state = 'cs2'
          } else if (this.skipped) {
            this.skipped = false
            this.state = 'out'
            i--
          } else {
            events.push(this.bad(`frame at offset ${this.frameOffset}: ${this.end ? 'ETX' : 'ETB'} is not followed by two hex checksum digits (got ${hex(b)} at offset ${at})`, FirmwareErrorCode.NEVA_ASTM_FRAME_MALFORMED))
            this.state = 'out'
            i--
          }
          break
        case 'cs2':
          if (this.skipped) {
            this.skipped = false
            this.state = 'out'
            if (!isHex(b)) i--
          } else if (isHex(b)) {
            const text = this.takeText()
            const sent = String.fromCharCode(this.cs1, b).toUpperCase()
            const computed = HEX[this.sum >> 4]! + HEX[this.sum & 0xf]!
            events.push({ kind: 'frame', offset: this.frameOffset, number: this.frameNumber, text, end: this.end, checksumOk: sent === computed, sent, computed })
            this.state = 'out'
          } else {
            events.push(this.bad(`frame at offset ${this.frameOffset}: checksum is one hex digit, then ${hex(b)} at offset ${at}`, FirmwareErrorCode.NEVA_ASTM_FRAME_MALFORMED))
            this.state = 'out'
            i--
          }
          break
      }
    }
    if (this.state === 'text') keepText(bytes.length)
    this.base += bytes.length
    return events
  }

  /** End of input: a frame still open is cut short; pending noise is reported. */
  finish(): FrameEvent[] {
    const events: FrameEvent[] = []
    if (this.state !== 'out') events.push(this.bad(`frame at offset ${this.frameOffset}: input ended before the frame did`, FirmwareErrorCode.NEVA_ASTM_FRAME_MALFORMED))
    this.state = 'out'
    this.flushNoise(events)
    return events
  }

  private startFrame(at: number): void {
    this.state = 'number'
    this.skipped = false
    this.frameOffset = at
    this.chunks = []
    this.size = 0
  }

  private takeText(): Uint8Array {
    const text = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
    this.chunks = []
    this.size = 0
    return text
  }

  private bad(reason: string, code: typeof FirmwareErrorCode.NEVA_ASTM_FRAME_MALFORMED | typeof FirmwareErrorCode.NEVA_ASTM_FRAME_TOO_LONG): FrameEvent {
    const text = this.takeText()
    return { kind: 'bad-frame', offset: this.frameOffset, code, reason, head: text.slice(0, NOISE_HEAD) }
  }

  private flushNoise(events: FrameEvent[]): void {
    if (this.noiseOffset < 0) return
    events.push({ kind: 'noise', offset: this.noiseOffset, length: this.noiseLength, head: Uint8Array.from(this.noiseHead) })
    this.noiseOffset = -1
    this.noiseLength = 0
    this.noiseHead = []
  }
}
