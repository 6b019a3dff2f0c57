// The ASCII oximeter stream: bytes as the port delivers them, cut into lines (CR, LF or CR LF;
// blank lines skipped) of bounded length, each decoded as a record. Pure: the receive time is
// an argument, nothing is read or written.
import type { Decoded } from '../decoded.js'
import { decodeAsciiRecord } from './ascii-record.js'
import { emptyDecoded, problem, type OximeterOptions } from './common.js'
import { FirmwareErrorCode } from '../errors.js'

export const DEFAULT_MAX_LINE_BYTES = 512
const CR = 0x0d
const LF = 0x0a

/**
 * Cuts a byte stream into lines of at most `maxBytes`. A longer line is reported once, with
 * the offset where it started, and its bytes are dropped up to the next line end.
 */
export class LineSplitter {
  private readonly buffer: Uint8Array
  private length = 0
  private lineStart = 0
  private offset = 0
  private discarding = false

  constructor(
    readonly maxBytes: number,
    private readonly onLine: (line: Uint8Array, offset: number) => void,
    private readonly onTooLong: (head: Uint8Array, offset: number) => void,
  ) {
    this.buffer = new Uint8Array(maxBytes)
  }

  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++, this.offset++) {
      const b = bytes[i]!
      if (b === CR || b === LF) {
        if (this.length > 0 && !this.discarding) this.onLine(this.buffer.subarray(0, this.length), this.lineStart)
        this.length = 0
        this.discarding = false
        this.lineStart = this.offset + 1
      } else if (this.discarding) {
        continue
      } else if (this.length < this.maxBytes) {
        this.buffer[this.length++] = b
      } else {
        this.onTooLong(this.buffer.subarray(0, this.length), this.lineStart)
        this.discarding = true
        this.length = 0
      }
    }
  }

  /** End of input: a last line without a line end is a line. */
  end(): void {
    if (this.length > 0 && !this.discarding) this.onLine(this.buffer.subarray(0, this.length), this.lineStart)
    this.reset(this.offset)
  }

  /** Forgets a partial line; offsets count on from `offset`. */
  reset(offset = 0): void {
    this.length = 0
    this.discarding = false
    this.offset = offset
    this.lineStart = offset
  }
}

/** Decodes an ASCII oximeter stream chunk by chunk. */
export class OximeterAsciiDecoder {
  private readonly splitter: LineSplitter
  private out: Decoded
  private receivedTime = 0

  constructor(private readonly options: OximeterOptions) {
    this.out = emptyDecoded(options)
    // Bounded either way: a misconfigured limit must not disable the cap nor every line.
    const max = Math.min(65_536, Math.max(64, Math.trunc(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES) || DEFAULT_MAX_LINE_BYTES))
    this.splitter = new LineSplitter(
      max,
      (line, offset) => decodeAsciiRecord(Buffer.from(line).toString('latin1'), offset, this.receivedTime, this.options, this.out),
      (head, offset) => {
        const shown = Buffer.from(head.subarray(0, 256)).toString('latin1')
        this.out.problems.push(problem(FirmwareErrorCode.NEVA_OXIMETER_LINE_TOO_LONG, `line at byte ${offset} is longer than ${max} bytes; dropped up to the next line end`, shown, offset))
      },
    )
  }

  /** The records completed by `bytes`. */
  push(bytes: Uint8Array, receivedTime: number): Decoded {
    this.receivedTime = receivedTime
    this.splitter.push(bytes)
    return this.take()
  }

  /** End of input (a capture file): decodes a last line that has no line end. */
  end(receivedTime: number): Decoded {
    this.receivedTime = receivedTime
    this.splitter.end()
    return this.take()
  }

  /** The port closed: a partial line is dropped. */
  reset(): void {
    this.splitter.reset()
    this.out = emptyDecoded(this.options)
  }

  private take(): Decoded {
    const out = this.out
    this.out = emptyDecoded(this.options)
    return out
  }
}
