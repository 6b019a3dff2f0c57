// What a connection may make the broker buffer. aedes (mqtt-packet) trusts a packet's length
// header and accumulates up to 256 MiB before it parses anything, and queues whatever follows a
// CONNECT while the login is being checked. This guard reads the fixed headers of the bytes
// aedes reads from the socket (its own conn.read calls, so nothing else changes in the stream)
// and closes the connection as soon as a header announces more than allowed:
//   - the first packet must be a CONNECT of at most `maxConnectBytes`;
//   - until the login is accepted, the connection may send at most `maxConnectBytes` in all;
//   - after it, no packet may exceed `maxPacketBytes`.
import type { Duplex } from 'node:stream'
import { EdgeErrorCode, MQTT_GUARD_ERRORS } from '../errors.js'

export type MqttGuardCode = keyof typeof MQTT_GUARD_ERRORS

/** A CONNECT carries a client id, a login and perhaps a will: this is plenty. */
export const MAX_CONNECT_BYTES = 64 * 1024

export interface MqttGuardOptions {
  maxPacketBytes: number
  maxConnectBytes?: number
  /** Whether the login was accepted (the broker's authenticate said yes). */
  authenticated: () => boolean
  onViolation: (code: MqttGuardCode) => void
}

const CONNECT = 1

export function guardMqttConnection(conn: Duplex, options: MqttGuardOptions): void {
  const maxConnect = options.maxConnectBytes ?? MAX_CONNECT_BYTES
  let skip = 0
  let inHeader = false
  let length = 0
  let multiplier = 1
  let lengthBytes = 0
  let type = 0
  let packets = 0
  let preAuthBytes = 0
  let violated = false

  const violate = (code: MqttGuardCode) => {
    if (violated) return
    violated = true
    options.onViolation(code)
    conn.destroy()
  }

  const inspect = (buf: Buffer) => {
    if (!options.authenticated()) {
      preAuthBytes += buf.length
      if (preAuthBytes > maxConnect + 16) return violate(EdgeErrorCode.NEVA_EDGE_MQTT_PREAUTH_BYTES)
    }
    let i = 0
    while (i < buf.length && !violated) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length - i)
        skip -= n
        i += n
        continue
      }
      if (!inHeader) {
        type = buf[i++]! >> 4
        inHeader = true
        length = 0
        multiplier = 1
        lengthBytes = 0
        continue
      }
      const b = buf[i++]!
      length += (b & 0x7f) * multiplier
      multiplier *= 128
      lengthBytes++
      if (b & 0x80) {
        if (lengthBytes >= 4) return violate(EdgeErrorCode.NEVA_EDGE_MQTT_MALFORMED)
        continue
      }
      inHeader = false
      packets++
      if (packets === 1 && type !== CONNECT) return violate(EdgeErrorCode.NEVA_EDGE_MQTT_NOT_CONNECT)
      const limit = packets === 1 ? maxConnect : options.maxPacketBytes
      if (length > limit) return violate(packets === 1 ? EdgeErrorCode.NEVA_EDGE_MQTT_PREAUTH_BYTES : EdgeErrorCode.NEVA_EDGE_MQTT_PACKET_TOO_LARGE)
      skip = length
    }
  }

  // aedes pulls with conn.read(null) on 'readable'; every byte it parses passes here first.
  const read = conn.read.bind(conn)
  conn.read = ((size?: number) => {
    const chunk = read(size) as Buffer | string | null
    if (chunk !== null && !violated) inspect(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    return violated ? null : chunk
  }) as typeof conn.read
}
