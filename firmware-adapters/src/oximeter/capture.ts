// A whole capture file (what `neva decode --protocol oximeter-ascii|oximeter-binary FILE`
// reads): the bytes a port delivered, decoded as one stream.
import type { Decoded } from '../decoded.js'
import { OximeterAsciiDecoder } from './ascii-stream.js'
import { OximeterBinaryDecoder } from './binary-stream.js'
import { emptyDecoded, mergeDecoded, problem, type OximeterFormat, type OximeterOptions } from './common.js'
import { NONIN_FRAMES_PER_SECOND, NONIN_FRAME_BYTES, NONIN_PACKET_BYTES } from './nonin-format2.js'
import { FirmwareErrorCode } from '../errors.js'

/** 64 MiB: days of either format; a larger file is cut there, and says so. */
export const MAX_OXIMETER_CAPTURE_BYTES = 64 * 1024 * 1024

export interface OximeterCaptureOptions extends OximeterOptions {
  /** When the capture started (epoch ms): the receive time of its first byte. */
  receivedTime: number
}

/**
 * Decodes a capture. ASCII records carry their own clock (a capture's records may be old, so
 * the clock-lag check is off unless `maxClockLagMs` is given). Binary frames carry none: each
 * packet is timed at the capture start plus its frames at the nominal 75 a second.
 */
export function decodeOximeterCapture(bytes: Uint8Array, format: OximeterFormat, options: OximeterCaptureOptions): Decoded {
  const out = emptyDecoded(options)
  let input = bytes
  if (bytes.length > MAX_OXIMETER_CAPTURE_BYTES) {
    input = bytes.subarray(0, MAX_OXIMETER_CAPTURE_BYTES)
    out.problems.push(problem(FirmwareErrorCode.NEVA_OXIMETER_SKIPPED_BYTES, `capture is ${bytes.length} bytes; only the first ${MAX_OXIMETER_CAPTURE_BYTES} were decoded`, '', MAX_OXIMETER_CAPTURE_BYTES))
  }
  const t0 = options.receivedTime
  if (format === 'ascii') {
    const decoder = new OximeterAsciiDecoder({ maxClockLagMs: Infinity, ...options })
    mergeDecoded(out, decoder.push(input, t0))
    return mergeDecoded(out, decoder.end(t0))
  }
  const decoder = new OximeterBinaryDecoder(options)
  const frameMs = 1000 / NONIN_FRAMES_PER_SECOND
  for (let at = 0; at < input.length; at += NONIN_PACKET_BYTES) {
    const chunk = input.subarray(at, at + NONIN_PACKET_BYTES)
    const time = Math.round(t0 + ((at + chunk.length) / NONIN_FRAME_BYTES) * frameMs)
    mergeDecoded(out, decoder.push(chunk, time))
  }
  return mergeDecoded(out, decoder.end(Math.round(t0 + (input.length / NONIN_FRAME_BYTES) * frameMs)))
}
