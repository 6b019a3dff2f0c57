// What a serial device's protocol does with the bytes of its port. The serial source owns the
// port (opening, unplug and replug); a protocol owns the conversation: it decodes, hands what it
// decoded to the durable stage, and writes replies (an ASTM ACK only once the results are
// durable).
import type { Decoded } from '@neva/firmware-adapters'

export interface SerialLink {
  /** Writes to the device; false when the port is closed (unplugged). */
  write(bytes: Uint8Array): boolean
  /** Stores decoded input durably; resolves once it is durable. */
  consume(decoded: Decoded): Promise<void>
  /** Counts a problem against the device (for /status and metrics). */
  error(code: string, reason: string): void
  now(): number
}

export interface SerialProtocol {
  /** Bytes as the port delivered them; chunk boundaries are arbitrary. */
  receive(bytes: Uint8Array): void
  /** Called about every 100 ms: timeouts of the low-level protocol. */
  tick(): void
  /** The port closed (unplugged or shutting down): forget partial messages. */
  reset(): void
}

export type SerialProtocolFactory = (link: SerialLink) => SerialProtocol
