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
import {
  AstmReceiver,
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
}

export function astmProtocol(options: AstmProtocolOptions): SerialProtocolFactory {
  return (link) => new AstmProtocol(options, link)
}

const KEPT_ASIDE = new Set<string>([FirmwareErrorCode.NEVA_ASTM_MESSAGE_TOO_LONG])

class AstmProtocol implements SerialProtocol {
  private readonly receiver: AstmReceiver

  constructor(
    private readonly options: AstmProtocolOptions,
    private readonly link: SerialLink,
  ) {
    this.receiver = new AstmReceiver({ ...options.receiver, messageEndsAtEot: options.messageEndsAtEot ?? false })
  }

  receive(bytes: Uint8Array): void {
    this.apply(this.receiver.receive(bytes, this.link.now()))
  }

  tick(): void {
    this.apply(this.receiver.tick(this.link.now()))
  }

  reset(): void {
    this.apply(this.receiver.reset())
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
      () => this.apply(this.receiver.ack(message.id, true, this.link.now())),
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
