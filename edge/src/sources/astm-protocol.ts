// ASTM E1381/E1394 lab analyzers on a serial port: the receiver state machine of
// firmware-adapters answers the analyzer; each complete message is decoded into lab results and
// handed to the durable stage, and only once they are durable is the message's last frame
// acknowledged (not durable → NAK, and the analyzer sends it again).
//
// What is kept aside (durably, as rejected input): records the decoder refused, which travel
// with their message (the durable stage counts them against the device), and a message too long
// to take, which is acknowledged and would otherwise be lost. Line trouble that the analyzer
// repairs by resending (bad checksums, frame numbers, transfers it abandoned) is only counted,
// with link.error.
import { LabDeliveries, type DeliveredOrders } from './lab-deliveries.js'
import {
  AstmReceiver,
  AstmSender,
  astmQueries,
  encodeAstmOrderAnswerFrames,
  encodeAstmOrderDownloadFrames,
  type AstmOrderAnswer,
  type AstmSenderOptions,
  type AstmSenderOutput,
  decodeAstmMessage,
  type AstmReceivedMessage,
  type AstmReceiverOptions,
  type AstmReceiverOutput,
  type Decoded,
  type LabCodeTable,
} from '@neva/firmware-adapters'
import { FirmwareErrorCode } from '@neva/firmware-adapters'
import type { SerialLink, SerialProtocol, SerialProtocolFactory } from './serial-protocol.js'
import { EdgeErrorCode } from '../errors.js'

export interface AstmProtocolOptions {
  deviceId: string
  labCodes: LabCodeTable
  /** The zone the analyzer's clock is set to, minutes east of UTC. */
  defaultUtcOffsetMinutes: number
  /** Which R-3 components make the test code (see firmware-adapters/src/astm/README.md). */
  testCodeComponents?: readonly number[]
  /** The analyzer sends no L record: a message ends with EOT. */
  messageEndsAtEot?: boolean
  /** E1381 timings and caps (the defaults follow the standard), and isBusy (e.g. the outbox is full). */
  receiver?: Omit<AstmReceiverOptions, 'messageEndsAtEot'>
  /**
   * Answers the analyzer's host queries (Q records) with the pending order of each tube, looked
   * up in the gateway's worklist (lab-worklist.ts), over the same line: the gateway turns sender
   * once the analyzer's message ended, yielding to the analyzer on contention (E1381).
   */
  hostQuery?: { lookup(specimenId: string): AstmOrderAnswer | undefined; sender?: AstmSenderOptions }
  /**
   * Download: the gateway sends the pending orders to the analyzer unprompted (O-26 O), each once
   * it was delivered (ACKed to its last frame), over the same line and contention rules as the
   * answers; an order whose transfer was aborted is offered again while it is pending. `pending`
   * gives the orders this analyzer runs (astm-download.ts trims them to its tests).
   */
  download?: {
    pending(): readonly AstmOrderAnswer[]
    everyMs?: number
    sender?: AstmSenderOptions
    /** Orders it already took, kept across restarts (lab-deliveries.ts); default memory only. */
    delivered?: DeliveredOrders
    /** False until the worklist was loaded since start: nothing is forgotten against an empty list. */
    known?: () => boolean
  }
}

/** E1381 contention: the computer system yields and waits at least 20 s before its next ENQ. */
export const HOST_CONTENTION_RETRY_MS = 20_000

export function astmProtocol(options: AstmProtocolOptions): SerialProtocolFactory {
  return (link) => new AstmProtocol(options, link)
}

const KEPT_ASIDE = new Set<string>([FirmwareErrorCode.NEVA_ASTM_MESSAGE_TOO_LONG])

const ENQ = 0x05
const URGENCY = { stat: 0, urgent: 1, routine: 2 } as const
const sending = (s: AstmSender) => s.state === 'establishing' || s.state === 'transferring'

class AstmProtocol implements SerialProtocol {
  private readonly receiver: AstmReceiver
  /** The host's side of the line, when it answers queries. */
  private readonly sender: AstmSender | undefined
  /** Answers made, waiting for the line to be neutral (the analyzer's EOT). */
  private readonly answers: Array<{ id: string; frames: Uint8Array[] }> = []
  private answered = 0
  /** Downloads: specimen ids delivered to the analyzer, and those in the sender's queue by message id. */
  private readonly downloaded: DeliveredOrders
  private readonly downloading = new Map<string, string>()
  private downloadsCheckedAt = -Infinity
  private backlog: AstmOrderAnswer[] = []

  constructor(
    private readonly options: AstmProtocolOptions,
    private readonly link: SerialLink,
  ) {
    this.receiver = new AstmReceiver({ ...options.receiver, messageEndsAtEot: options.messageEndsAtEot ?? false })
    this.downloaded = options.download?.delivered ?? LabDeliveries.memory().for(options.deviceId)
    if (options.hostQuery || options.download) this.sender = new AstmSender({ contentionRetryMs: HOST_CONTENTION_RETRY_MS, ...(options.hostQuery?.sender ?? options.download?.sender) })
  }

  receive(bytes: Uint8Array): void {
    const sender = this.sender
    if (!sender || !sending(sender)) {
      this.apply(this.receiver.receive(bytes, this.link.now()))
    } else {
      // While the gateway sends, the analyzer's bytes answer it (ACK, NAK, EOT), byte by byte,
      // since the transfer may end inside this chunk and the rest belongs to the receiver.
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes.subarray(i, i + 1)
        if (!sending(sender)) {
          this.apply(this.receiver.receive(bytes.subarray(i), this.link.now()))
          break
        }
        const wasEstablishing = sender.state === 'establishing'
        this.send(sender.receive(b, this.link.now()))
        // Contention: both sent ENQ. The analyzer has priority: the gateway's sender waits and
        // the receiver answers the analyzer's ENQ.
        if (wasEstablishing && b[0] === ENQ) this.apply(this.receiver.receive(b, this.link.now()))
      }
    }
    this.offerAnswers()
  }

  tick(): void {
    this.apply(this.receiver.tick(this.link.now()))
    this.offerAnswers()
    this.offerDownloads()
    if (this.sender && this.receiver.state === 'idle') this.send(this.sender.tick(this.link.now()))
  }

  reset(): void {
    this.apply(this.receiver.reset())
    this.sender?.reset(this.link.now())
  }

  /** Hands waiting answers to the sender once the line is neutral (never while the analyzer sends). */
  private offerAnswers(): void {
    if (!this.sender || this.answers.length === 0 || this.receiver.state !== 'idle' || sending(this.sender)) return
    for (const answer of this.answers.splice(0)) this.send(this.sender.enqueue(answer, this.link.now()))
  }

  /**
   * Downloads, one order per message and one message at a time in the sender's queue, so that an
   * answer to a query waits behind one order at most (the analyzer times out after 15 s), and the
   * line goes neutral between orders, letting the analyzer send. The worklist is read every
   * `everyMs`; delivered orders that left it are forgotten (bounded memory).
   */
  private offerDownloads(): void {
    const download = this.options.download
    const sender = this.sender
    if (!download || !sender) return
    const now = this.link.now()
    if (now - this.downloadsCheckedAt >= (download.everyMs ?? 1000)) {
      this.downloadsCheckedAt = now
      const pending = download.pending()
      const still = new Set(pending.map((o) => o.specimen_id))
      if (download.known?.() ?? true) for (const s of this.downloaded.keys()) if (!still.has(s)) this.downloaded.delete(s)
      const queued = new Set(this.downloading.values())
      // Stat first, then urgent, then routine; the worklist's order within a priority.
      this.backlog = pending.filter((o) => !this.downloaded.has(o.specimen_id) && !queued.has(o.specimen_id)).sort((a, b) => URGENCY[a.priority] - URGENCY[b.priority])
    }
    if (this.receiver.state !== 'idle' || sender.state !== 'idle' || sender.queued > 0 || this.answers.length > 0) return
    const order = this.backlog.shift()
    if (!order) return
    const id = `download-${order.specimen_id}`
    this.downloading.set(id, order.specimen_id)
    this.send(sender.enqueue({ id, frames: encodeAstmOrderDownloadFrames([order], now) }, now))
  }

  private send(out: AstmSenderOutput): void {
    for (const bytes of out.write) this.link.write(bytes)
    for (const id of out.delivered) {
      const specimen = this.downloading.get(id)
      if (specimen === undefined) continue
      this.downloading.delete(id)
      this.downloaded.set(specimen, 'accepted')
    }
    for (const a of out.aborted) {
      this.sender?.dropOldest()
      const specimen = this.downloading.get(a.id)
      if (specimen !== undefined) {
        // Offered again at the next check while the order is pending (a cancelled one is not).
        this.downloading.delete(a.id)
        this.link.error(EdgeErrorCode.NEVA_EDGE_ASTM_DOWNLOAD_ABORTED, `order ${specimen} to ${this.options.deviceId}: ${a.reason}`)
        continue
      }
      // An answer the analyzer did not take is not sent again: it has timed out and asks again.
      this.link.error(EdgeErrorCode.NEVA_EDGE_ASTM_ANSWER_ABORTED, `answer ${a.id} to ${this.options.deviceId}: ${a.reason}`)
    }
  }

  /** The answer to a message's queries: each tube's pending order, or "no information". */
  private answer(message: Uint8Array): void {
    const lookup = this.options.hostQuery?.lookup
    if (!lookup) return
    const queries = astmQueries(message)
    if (queries.length === 0) return
    const found = queries.map((q) => lookup(q.specimenId)).filter((o): o is AstmOrderAnswer => o !== undefined)
    this.answers.push({ id: `answer-${++this.answered}`, frames: encodeAstmOrderAnswerFrames(found, this.link.now()) })
  }

  private apply(out: AstmReceiverOutput): void {
    for (const bytes of out.write) this.link.write(bytes)
    for (const p of out.problems) {
      this.link.error(p.code, p.reason)
      if (KEPT_ASIDE.has(p.code)) this.keepAside({ source: 'astm', deviceId: this.options.deviceId, observations: [], problems: [p] })
    }
    for (const message of out.messages) this.deliver(message)
  }

  private deliver(message: AstmReceivedMessage): void {
    const decoded = decodeAstmMessage(message.bytes, {
      deviceId: this.options.deviceId,
      receivedTime: this.link.now(),
      labCodes: this.options.labCodes,
      defaultUtcOffsetMinutes: this.options.defaultUtcOffsetMinutes,
      testCodeComponents: this.options.testCodeComponents,
    })
    // Refused records travel with the message; the durable stage keeps them aside and counts them.
    this.link.consume(decoded).then(
      () => {
        this.answer(message.bytes)
        this.apply(this.receiver.ack(message.id, true, this.link.now()))
      },
      (err: Error & { code?: string }) => {
        // Not durable (outbox full, write failed): NAK, and the analyzer sends the frame again.
        this.link.error(err.code ?? EdgeErrorCode.NEVA_EDGE_NOT_DURABLE, `message of ${decoded.labResults.length} result(s) from ${this.options.deviceId} not durable: ${err.message}`)
        this.apply(this.receiver.ack(message.id, false, this.link.now()))
      },
    )
  }

  private keepAside(decoded: Decoded): void {
    this.link.consume(decoded).catch((err: Error & { code?: string }) => this.link.error(err.code ?? EdgeErrorCode.NEVA_EDGE_NOT_DURABLE, `refused input from ${this.options.deviceId} not kept: ${err.message}`))
  }
}
