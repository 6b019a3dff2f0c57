// Decodes a capture of an analyzer's serial output (`neva decode --protocol astm FILE`): E1381
// frames, with or without the ENQ/ACK/EOT around them, or bare E1394 records with no frames.
// Every problem carries the byte offset in the file.
//
// A capture cannot ask for a resend, so it is read more leniently than a live line:
// - frame numbers are not checked (captures are spliced and edited: a Yumizen file restarts at
//   1 three times), except that a frame equal to the one before it is read once;
// - a message ends with its L record, with EOT, or where the next H record starts.
// A frame that fails its checksum or is malformed is refused; the record it cut is refused
// with it (never glued to the next frame's text), and the records around it still decode.
import { screenIds } from '../ids.js'
import { FirmwareErrorCode, type DecodeProblem } from '../errors.js'
import { decodeAstmRecords, type AstmDecodeOptions, type DecodedAstm } from './decode.js'
import { CR, EOT, FrameReader, LF, STX, type FrameEvent } from './frames.js'
import { endsWithTerminator } from './receiver.js'
import { headerDelimiters } from './records.js'

export interface AstmCaptureOptions extends AstmDecodeOptions {
  maxFrameBytes?: number
}

interface Part {
  bytes: Uint8Array
  /** Offset of bytes[0] in the input. */
  at: number
}

const MAX_PROBLEMS = 1000
const latin1 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')

export function decodeAstmCapture(input: Uint8Array, options: AstmCaptureOptions): DecodedAstm {
  const out: DecodedAstm = { source: 'astm', deviceId: options.deviceId, observations: [], labResults: [], problems: [], ignored: [] }
  try {
    if (!input.includes(STX) && looksLikeRecords(input)) {
      decodeAstmRecords(input, options, out, (o) => o)
    } else {
      decodeFrames(input, options, out)
    }
  } catch (err) {
    out.problems.push({ code: FirmwareErrorCode.NEVA_ASTM_NOT_ASTM, reason: `decoder failed: ${(err as Error).message}`, payload: latin1(input.subarray(0, 256)), offset: 0 })
  }
  // A file is not one device message: no identity.
  delete out.key
  Object.assign(out, screenIds(out))
  if (out.problems.length > MAX_PROBLEMS) {
    const dropped = out.problems.length - MAX_PROBLEMS
    out.problems.length = MAX_PROBLEMS
    out.problems.push({ code: FirmwareErrorCode.NEVA_ASTM_TOO_MANY, reason: `${dropped} more problems not listed`, payload: '' })
  }
  return out
}

function decodeFrames(input: Uint8Array, options: AstmCaptureOptions, out: DecodedAstm): void {
  const reader = new FrameReader({ maxFrameBytes: options.maxFrameBytes })
  let parts: Part[] = []
  let goodFrames = 0
  let previous: { number: number; text: Uint8Array } | undefined
  /** A frame was lost: the next frame's text up to its first record end belongs to a cut record. */
  let cut = false
  const problem = (p: DecodeProblem) => out.problems.push(p)

  const flush = () => {
    if (parts.length === 0) return
    const bytes = parts.length === 1 ? parts[0]!.bytes : Buffer.concat(parts.map((p) => p.bytes))
    const map = parts
    decodeAstmRecords(bytes, options, out, (offset) => {
      let start = 0
      for (const p of map) {
        if (offset < start + p.bytes.length) return p.at + (offset - start)
        start += p.bytes.length
      }
      return map[map.length - 1]!.at + map[map.length - 1]!.bytes.length
    })
    parts = []
  }

  /** A frame was refused: drop the accumulated text's unfinished record, and what continues it. */
  const lose = () => {
    previous = undefined
    for (let i = parts.length - 1; i >= 0; i--) {
      const p = parts[i]!
      const lastEnd = Math.max(p.bytes.lastIndexOf(CR), p.bytes.lastIndexOf(LF))
      if (lastEnd >= 0) {
        parts = [...parts.slice(0, i), { bytes: p.bytes.subarray(0, lastEnd + 1), at: p.at }]
        cut = true
        return
      }
    }
    cut = true
    parts = []
  }

  const handle = (e: FrameEvent) => {
    switch (e.kind) {
      case 'control':
        if (e.byte === EOT) flush()
        return
      case 'noise':
        problem({ code: FirmwareErrorCode.NEVA_ASTM_NOISE, reason: `${e.length} byte(s) outside any frame at offset ${e.offset}`, payload: latin1(e.head), offset: e.offset })
        return
      case 'bad-frame':
        problem({ code: e.code, reason: `${e.reason}; the record it carried is refused`, payload: latin1(e.head), offset: e.offset })
        lose()
        return
      case 'frame': {
        if (!e.checksumOk) {
          problem({ code: FirmwareErrorCode.NEVA_ASTM_CHECKSUM, reason: `frame ${e.number} at offset ${e.offset}: checksum sent ${e.sent}, its content gives ${e.computed}; the record it carried is refused`, payload: latin1(e.text.subarray(0, 256)), offset: e.offset })
          lose()
          return
        }
        goodFrames++
        if (previous && previous.number === e.number && Buffer.compare(previous.text, e.text) === 0) {
          out.ignored.push({ code: FirmwareErrorCode.NEVA_ASTM_REPEATED_FRAME, reason: `frame ${e.number} at offset ${e.offset} repeats the frame before it`, payload: '', offset: e.offset })
          return
        }
        previous = { number: e.number, text: e.text }
        let text = e.text
        let at = e.offset + 2
        if (cut) {
          cut = false
          if (!startsRecord(text)) {
            const end = Math.max(text.indexOf(CR), text.indexOf(LF))
            const skip = end < 0 ? text.length : end + 1
            problem({ code: FirmwareErrorCode.NEVA_ASTM_FRAME_MALFORMED, reason: `frame ${e.number} at offset ${e.offset}: its first ${skip} byte(s) continue a record whose frame was refused; refused with it`, payload: latin1(text.subarray(0, Math.min(skip, 256))), offset: at })
            text = text.subarray(skip)
            at += skip
          }
        }
        // A header starts the next message, whether or not L ended this one.
        if (parts.length > 0 && startsHeader(text)) flush()
        if (text.length > 0) parts.push({ bytes: text, at })
        const delimiter = parts[0]?.bytes[0] === 0x48 ? (parts[0].bytes[1] ?? 0x7c) : 0x7c
        if (parts.length > 0 && endsWithTerminator(text, e.end, delimiter)) flush()
      }
    }
  }

  for (const e of reader.push(input)) handle(e)
  for (const e of reader.finish()) handle(e)
  flush()
  if (goodFrames === 0 && out.labResults.length === 0) {
    out.problems.unshift({
      code: FirmwareErrorCode.NEVA_ASTM_NOT_ASTM,
      reason: `not ASTM: no frame in the input has a valid E1381 form and checksum (STX, frame number 0-7, text, ETB or ETX, two hex digits), and it is not bare E1394 records (its first bytes are in payload)`,
      payload: latin1(input.subarray(0, 65_536)),
      offset: 0,
    })
  }
}

/** Text that begins with an E1394 record type and a delimiter (`H|`, `R|`), or an `L` alone. */
function startsRecord(text: Uint8Array): boolean {
  const t = text[0]
  return t !== undefined && t >= 0x41 && t <= 0x5a && (text.length === 1 || !(text[1]! >= 0x30 && text[1]! <= 0x39) && !(text[1]! >= 0x41 && text[1]! <= 0x7a) && text[1] !== 0x20)
}

/** `H` and four valid delimiters, then the field delimiter: a message's first record. */
function startsHeader(text: Uint8Array): boolean {
  if (text[0] !== 0x48) return false
  let end = Math.min(text.length, 6)
  const cr = text.subarray(0, end).findIndex((b) => b === CR || b === LF)
  if (cr >= 0) end = cr
  return typeof headerDelimiters(latin1(text.subarray(0, end))) !== 'string'
}

/** Bare records: after any blank lines, `H` and four delimiters. */
function looksLikeRecords(input: Uint8Array): boolean {
  let i = 0
  while (i < input.length && (input[i] === CR || input[i] === LF || input[i] === 0x20)) i++
  return input[i] === 0x48 && input.length >= i + 5
}
