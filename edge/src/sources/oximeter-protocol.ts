// Pulse oximeters on a serial port: the bytes go to the ASCII or binary decoder of
// firmware-adapters, what they decode goes to the durable stage. Oximeters only talk: there is
// nothing to acknowledge, and what cannot be made durable is lost (counted with link.error).
//
// Binary (Nonin) frames arrive 75 a second and carry values three times a second; stored as
// they come they would triple the outbox for nothing. They are coalesced to one reading per
// parameter per second of receive time: the last valid value of that second, with every flag
// any of that second's readings carried (an artifact a third of a second long still marks the
// second). A second is written once the clock has left it (checked on every chunk and tick),
// and on reset. ASCII records come once a second already and go through as they are.
import type { QualityFlag } from '@neva/contracts'
import {
  OximeterAsciiDecoder,
  OximeterBinaryDecoder,
  type Decoded,
  type DecodeProblem,
  type ObservationDraft,
  type OximeterFormat,
} from '@neva/firmware-adapters'
import type { SerialLink, SerialProtocol, SerialProtocolFactory } from './serial-protocol.js'
import { EdgeErrorCode } from '../errors.js'

export interface OximeterProtocolOptions {
  format: OximeterFormat
  deviceId: string
  patientId: string
  /** Minutes east of UTC of the zone the device clock shows (ASCII records). Default 0. */
  defaultUtcOffsetMinutes?: number
  maxLineBytes?: number
}

/**
 * Refusals kept per second at most; past it they are only counted (link.error). A cable that
 * corrupts every frame must not fill the outbox with 75 refusals a second.
 */
export const MAX_KEPT_PROBLEMS_PER_SECOND = 10

export function oximeterProtocol(options: OximeterProtocolOptions): SerialProtocolFactory {
  return (link) => new OximeterProtocol(options, link)
}

interface Pending {
  second: number
  last: ObservationDraft
  flags: Set<QualityFlag>
}

class OximeterProtocol implements SerialProtocol {
  private readonly decoder: OximeterAsciiDecoder | OximeterBinaryDecoder
  /** Per parameter, the second being coalesced. */
  private readonly pending = new Map<string, Pending>()
  /** Seconds finished by a newer reading, written with the next forward. */
  private ready: ObservationDraft[] = []
  private problemSecond = -1
  private problemsKept = 0

  constructor(
    private readonly options: OximeterProtocolOptions,
    private readonly link: SerialLink,
  ) {
    const decoderOptions = {
      deviceId: options.deviceId,
      patientId: options.patientId,
      defaultUtcOffsetMinutes: options.defaultUtcOffsetMinutes ?? 0,
      ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
    }
    this.decoder = options.format === 'ascii' ? new OximeterAsciiDecoder(decoderOptions) : new OximeterBinaryDecoder(decoderOptions)
  }

  receive(bytes: Uint8Array): void {
    const now = this.link.now()
    const decoded = this.decoder.push(bytes, now)
    const problems = this.keep(decoded.problems, now)
    if (this.options.format === 'ascii') {
      this.forward(decoded.observations, problems, decoded.ignored)
      return
    }
    for (const o of decoded.observations) this.coalesce(o)
    this.forward(this.due(now), problems, decoded.ignored)
  }

  tick(): void {
    this.forward(this.due(this.link.now()), [])
  }

  reset(): void {
    this.decoder.reset()
    // Readings already decoded are complete: they are written, not dropped with the partial frame.
    this.forward(this.due(Infinity), [])
  }

  private keep(problems: DecodeProblem[], now: number): DecodeProblem[] {
    const second = Math.floor(now / 1000)
    if (second !== this.problemSecond) {
      this.problemSecond = second
      this.problemsKept = 0
    }
    const kept: DecodeProblem[] = []
    for (const p of problems) {
      this.link.error(p.code, p.reason)
      if (this.problemsKept < MAX_KEPT_PROBLEMS_PER_SECOND) {
        this.problemsKept++
        kept.push(p)
      }
    }
    return kept
  }

  private coalesce(o: ObservationDraft): void {
    const second = Math.floor(o.device_time / 1000)
    const p = this.pending.get(o.name)
    if (p && p.second === second) {
      p.last = o
      for (const f of o.flags) p.flags.add(f)
      return
    }
    if (p) this.ready.push(this.done(p))
    this.pending.set(o.name, { second, last: o, flags: new Set(o.flags) })
  }

  /** Readings of seconds the clock has left (all of them for Infinity). */
  private due(now: number): ObservationDraft[] {
    const out = this.ready
    this.ready = []
    for (const [name, p] of this.pending) {
      if ((p.second + 1) * 1000 <= now) {
        out.push(this.done(p))
        this.pending.delete(name)
      }
    }
    return out
  }

  private done(p: Pending): ObservationDraft {
    return { ...p.last, flags: [...p.flags] }
  }

  private forward(observations: ObservationDraft[], problems: DecodeProblem[], ignored?: DecodeProblem[]): void {
    if (observations.length === 0 && problems.length === 0) return
    const decoded: Decoded = { source: 'serial', deviceId: this.options.deviceId, patientId: this.options.patientId, observations, problems }
    if (ignored?.length) decoded.ignored = ignored
    this.link.consume(decoded).catch((err: Error & { code?: string }) => {
      // Nothing to refuse to: the oximeter does not resend. The loss is counted, loudly.
      this.link.error(err.code ?? EdgeErrorCode.NEVA_EDGE_NOT_DURABLE, `${observations.length} reading(s) from ${this.options.deviceId} could not be made durable: ${err.message}`)
    })
  }
}
