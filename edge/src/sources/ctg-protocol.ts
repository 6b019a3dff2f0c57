// Fetal monitors on a serial port speaking the CTG line protocol (firmware-adapters ctg/lines.ts,
// docs/ctg.md): lines decoded as they come, a chunk per signal every 15 s of trace handed to the
// durable stage (and on to the live FIGO classification), whatever is gathered written once the
// monitor has been quiet for 2 s or the port closes. Monitors only talk: nothing to acknowledge.
import { CtgLineDecoder, type Decoded } from '@neva/firmware-adapters'
import type { SerialLink, SerialProtocol, SerialProtocolFactory } from './serial-protocol.js'
import { EdgeErrorCode } from '../errors.js'

export interface CtgProtocolOptions {
  deviceId: string
  patientId?: string
  secondsPerChunk?: number
  /** Quiet this long: the chunk being gathered is written. */
  quietMs?: number
}

/** Problems kept per push at most (the rest only counted): a bad cable must not fill the outbox. */
const MAX_KEPT_PROBLEMS = 10

export function ctgProtocol(options: CtgProtocolOptions): SerialProtocolFactory {
  return (link) => new CtgProtocol(options, link)
}

class CtgProtocol implements SerialProtocol {
  private decoder: CtgLineDecoder
  private lastReceive = 0
  private gathering = false

  constructor(private readonly options: CtgProtocolOptions, private readonly link: SerialLink) {
    this.decoder = this.fresh()
  }

  private fresh(): CtgLineDecoder {
    return new CtgLineDecoder({ deviceId: this.options.deviceId, ...(this.options.patientId ? { patientId: this.options.patientId } : {}), ...(this.options.secondsPerChunk ? { secondsPerChunk: this.options.secondsPerChunk } : {}) })
  }

  receive(bytes: Uint8Array): void {
    this.lastReceive = this.link.now()
    this.gathering = true
    this.forward(this.decoder.push(bytes, this.lastReceive))
  }

  tick(): void {
    if (this.gathering && this.link.now() - this.lastReceive >= (this.options.quietMs ?? 2000)) {
      this.gathering = false
      this.forward(this.decoder.flush(this.link.now()))
    }
  }

  reset(): void {
    // Seconds already decoded are complete: written, not dropped with the partial line.
    this.forward(this.decoder.flush(this.link.now()))
    this.gathering = false
    this.decoder = this.fresh()
  }

  private forward(decoded: Decoded): void {
    for (const p of decoded.problems) this.link.error(p.code, p.reason)
    decoded.problems = decoded.problems.slice(0, MAX_KEPT_PROBLEMS)
    if ((decoded.waveforms?.length ?? 0) === 0 && decoded.problems.length === 0) return
    const chunks = decoded.waveforms?.length ?? 0
    this.link.consume(decoded).catch((err: Error & { code?: string }) => {
      // Nothing to refuse to: the monitor does not resend. The loss is counted, loudly.
      this.link.error(err.code ?? EdgeErrorCode.NEVA_EDGE_NOT_DURABLE, `${chunks} CTG chunk(s) from ${this.options.deviceId} could not be made durable: ${err.message}`)
    })
  }
}
