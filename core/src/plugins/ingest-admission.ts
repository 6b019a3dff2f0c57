// Admission to POST /v1/ingest: at most so many batches and so many body bytes being handled at
// once. When many gateways flush their backlogs together (after a core restart or an outage) the
// rest are answered 429 with Retry-After at once, so a gateway backs off instead of queueing in the
// core's memory and timing out (docs/store-and-forward.md). A batch is in flight from its request
// line to the end of its handler (or its connection closing, if the handler never ran).

export interface IngestLimits {
  /** Batches being read, validated or stored at once. */
  maxInFlightBatches: number
  /** Their bodies' bytes together (Content-Length; a body without one counts as `unknownBytes`). */
  maxInFlightBytes: number
  /** What Retry-After says when full (seconds); gateways add their own jitter. */
  retryAfterS: number
}

export interface Ticket {
  /** The handler took the batch: only its end releases it now. */
  handling: boolean
  release(): void
}

export class IngestAdmission {
  private batches = 0
  private bytes = 0
  /** Refused since start, for /metrics and tests. */
  refused = 0
  /** The most batches in flight at once since start. */
  peakBatches = 0

  constructor(private readonly limits: IngestLimits, private readonly unknownBytes: number) {}

  /** A ticket, or undefined when full. One batch is always admitted when none is in flight. */
  admit(contentLength: number | undefined): Ticket | undefined {
    const size = contentLength ?? this.unknownBytes
    const idle = this.batches === 0
    if (!idle && (this.batches >= this.limits.maxInFlightBatches || this.bytes + size > this.limits.maxInFlightBytes)) {
      this.refused++
      return undefined
    }
    this.batches++
    this.bytes += size
    this.peakBatches = Math.max(this.peakBatches, this.batches)
    let released = false
    return {
      handling: false,
      release: () => {
        if (released) return
        released = true
        this.batches--
        this.bytes -= size
      },
    }
  }

  inFlight(): { batches: number; bytes: number } {
    return { batches: this.batches, bytes: this.bytes }
  }

  get retryAfterS(): number {
    return this.limits.retryAfterS
  }
}

/** Content-Length as a number, or undefined when absent or not a plain decimal. */
export function contentLength(header: string | undefined): number | undefined {
  return header !== undefined && /^[0-9]{1,15}$/.test(header) ? Number(header) : undefined
}
