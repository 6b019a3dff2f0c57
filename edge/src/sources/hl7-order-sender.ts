// Lab orders to an analyzer or middleware that takes HL7 v2 over MLLP (OML^O21 or ORM^O01): the
// gateway connects to it (the analyzer listens, as MLLP peers taking orders do), sends each pending
// order of its worklist once, one message at a time, and waits for its answer (ORL^O22, ORR^O02
// or ACK, MSA-2 naming the message's control id).
//
//   pending ──send──► awaiting ── MSA AA/CA ──► delivered (not sent again while pending)
//      ▲                  │ ── MSA AE/CE, no answer in answerTimeoutMs, connection lost ──┐
//      └──────────────── retry after retryMs, same control id (the peer may dedupe) ◄────┘
//                         │ ── MSA AR/CR: rejected, counted, not sent again
//
// What each peer took is kept in the gateway's SQLite (lab-deliveries.ts): a restart does not send
// it again; an order in flight at the restart is sent again with a new control id.
import { connect, type Socket } from 'node:net'
import { MllpDeframer, decodeHl7OrderAnswer, encodeHl7LabOrder, mllpFrame, type AstmOrderAnswer, type Hl7OrderType } from '@neva/firmware-adapters'
import { EdgeErrorCode } from '../errors.js'
import type { Log } from '../log.js'
import { LabDeliveries, type DeliveredOrders } from './lab-deliveries.js'

export interface Hl7OrderSenderOptions {
  deviceId: string
  host: string
  port: number
  message: Hl7OrderType
  /** The pending orders this peer runs (astm-download.ts ordersFor trims them to its tests). */
  pending(): readonly AstmOrderAnswer[]
  /** The LOINC of a lab code, when the worklist knew it. */
  loincOf?(labCode: string): string | undefined
  log: Log
  /** Called for every problem, with its catalog code (the device registry counts them). */
  error?(code: string, reason: string): void
  /** Orders it already took, kept across restarts (lab-deliveries.ts); default memory only. */
  delivered?: DeliveredOrders
  /** False until the worklist was loaded since start: nothing is forgotten against an empty list. */
  known?: () => boolean
  everyMs?: number
  answerTimeoutMs?: number
  retryMs?: number
  now?: () => number
}

export class Hl7OrderSender {
  private socket: Socket | undefined
  private connecting = false
  private readonly deframer = new MllpDeframer()
  private timer: NodeJS.Timeout | undefined
  private next = 0
  /** Specimen ids the peer accepted or rejected: not sent again while pending. */
  readonly done: DeliveredOrders
  private readonly retryAt = new Map<string, number>()
  private inFlight: { specimen: string; controlId: string; sentAt: number } | undefined
  private readonly controlIds = new Map<string, string>()
  readonly stats = { sent: 0, accepted: 0, errors: 0, rejected: 0, timeouts: 0 }

  constructor(private readonly o: Hl7OrderSenderOptions) {
    this.done = o.delivered ?? LabDeliveries.memory().for(o.deviceId)
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.o.everyMs ?? 200)
  }

  stop(): void {
    clearInterval(this.timer)
    this.socket?.destroy()
  }

  private now(): number {
    return this.o.now?.() ?? Date.now()
  }

  private tick(): void {
    const now = this.now()
    if (this.inFlight && now - this.inFlight.sentAt >= (this.o.answerTimeoutMs ?? 30_000)) {
      this.stats.timeouts++
      this.failed(this.inFlight.specimen, EdgeErrorCode.NEVA_EDGE_HL7_ORDER_FAILED, `no answer to ${this.inFlight.controlId} within ${this.o.answerTimeoutMs ?? 30_000} ms`)
    }
    if (this.inFlight) return
    const pending = this.o.pending()
    const still = new Set(pending.map((p) => p.specimen_id))
    if (this.o.known?.() ?? true) for (const s of this.done.keys()) if (!still.has(s)) this.done.delete(s)
    const order = pending.find((p) => !this.done.has(p.specimen_id) && (this.retryAt.get(p.specimen_id) ?? 0) <= now)
    if (!order) return
    const socket = this.connected()
    if (!socket) return
    // A resend keeps its control id (MSH-10), so a peer that saw it can tell.
    const controlId = this.controlIds.get(order.specimen_id) ?? `${this.o.deviceId}-${now}-${++this.next}`
    this.controlIds.set(order.specimen_id, controlId)
    const text = encodeHl7LabOrder({
      type: this.o.message, controlId, time: now, sendingApplication: 'NEVA', receivingApplication: this.o.deviceId,
      patient_id: order.patient_id, specimen_id: order.specimen_id, priority: order.priority,
      tests: order.tests.map((t) => ({ loinc: this.o.loincOf?.(t), lab_code: t })),
    })
    this.inFlight = { specimen: order.specimen_id, controlId, sentAt: now }
    this.stats.sent++
    socket.write(mllpFrame(text))
  }

  private connected(): Socket | undefined {
    if (this.socket && !this.connecting) return this.socket
    if (this.connecting) return undefined
    this.connecting = true
    const socket = connect({ host: this.o.host, port: this.o.port })
    this.socket = socket
    socket.on('connect', () => {
      this.connecting = false
    })
    socket.on('data', (b: Buffer) => this.receive(b))
    socket.on('error', (err) => this.o.log('warn', 'HL7 order link failed', { device: this.o.deviceId, code: EdgeErrorCode.NEVA_EDGE_HL7_ORDER_FAILED, error: err.message }))
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined
      this.connecting = false
      if (this.inFlight) this.failed(this.inFlight.specimen, EdgeErrorCode.NEVA_EDGE_HL7_ORDER_FAILED, 'the connection closed before the answer')
    })
    return undefined
  }

  private receive(bytes: Uint8Array): void {
    const out = this.deframer.push(bytes)
    for (const p of out.problems) this.o.error?.(p.code, p.reason)
    for (const m of out.messages) {
      const answer = decodeHl7OrderAnswer(m)
      if ('reason' in answer) {
        this.o.error?.(answer.code, answer.reason)
        continue
      }
      const f = this.inFlight
      if (!f || answer.controlId !== f.controlId) continue
      this.inFlight = undefined
      if (answer.accepted) {
        this.stats.accepted++
        this.done.set(f.specimen, 'accepted')
        this.controlIds.delete(f.specimen)
      } else if (answer.code[1] === 'R') {
        this.stats.rejected++
        this.done.set(f.specimen, 'rejected')
        this.controlIds.delete(f.specimen)
        this.o.error?.(EdgeErrorCode.NEVA_EDGE_HL7_ORDER_REJECTED, `order ${f.specimen} rejected by ${this.o.deviceId} (${answer.code}): ${answer.text}`)
      } else {
        this.stats.errors++
        this.failed(f.specimen, EdgeErrorCode.NEVA_EDGE_HL7_ORDER_FAILED, `order ${f.specimen}: ${answer.code} ${answer.text}`)
      }
    }
  }

  private failed(specimen: string, code: string, reason: string): void {
    this.inFlight = undefined
    this.retryAt.set(specimen, this.now() + (this.o.retryMs ?? 10_000))
    this.o.error?.(code, reason)
  }
}
