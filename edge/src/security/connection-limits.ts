// Who may open a connection to a listener (MQTT, MLLP), and how many: an address allowlist
// (CIDR), a cap per listener and a cap per peer address. A connection over a limit is closed at
// once, before any TLS handshake or protocol byte is read, and counted by code.
import { BlockList, isIP, type Socket } from 'node:net'
import { CONNECTION_LIMIT_ERRORS, EdgeErrorCode } from '../errors.js'

export type ConnectionLimitCode = keyof typeof CONNECTION_LIMIT_ERRORS

export interface ConnectionLimitOptions {
  maxConnections: number
  maxPerAddress: number
  /** CIDR blocks ("10.0.4.0/24", "fd00::/8", or one address); absent or empty: any address. */
  allowFrom?: readonly string[]
  /** Told of each refusal (metrics, a throttled log). */
  onRefused?: (code: ConnectionLimitCode, address: string) => void
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.1, what a dual-stack listener reports) as plain IPv4. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown'
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  return mapped ? mapped[1]! : address
}

/** Parses a CIDR list into a BlockList; throws naming the entry that is not one. */
export function parseCidrList(list: readonly string[], field: string): BlockList {
  const blocks = new BlockList()
  list.forEach((entry, i) => {
    const [address, prefix, ...rest] = entry.split('/')
    const family = isIP(address ?? '')
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix)
    if (family === 0 || rest.length > 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32) || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
      throw new Error(`${field}/${i}: ${JSON.stringify(entry)} is not an address or CIDR block (10.0.4.0/24, fd00::/8)`)
    }
    blocks.addSubnet(address!, bits, family === 6 ? 'ipv6' : 'ipv4')
  })
  return blocks
}

export class ConnectionLimiter {
  private open = 0
  private readonly perAddress = new Map<string, number>()
  private readonly allow: BlockList | undefined
  readonly refused: Partial<Record<ConnectionLimitCode, number>> = {}

  constructor(private readonly options: ConnectionLimitOptions, field = 'allow_from') {
    this.allow = options.allowFrom && options.allowFrom.length > 0 ? parseCidrList(options.allowFrom, field) : undefined
  }

  /**
   * Admits the socket (and forgets it when it closes), or closes it and returns false. Call it on
   * the raw TCP socket, first thing.
   */
  admit(socket: Socket): boolean {
    const address = normalizeAddress(socket.remoteAddress)
    const code = this.check(address)
    if (code) {
      this.refused[code] = (this.refused[code] ?? 0) + 1
      this.options.onRefused?.(code, address)
      socket.on('error', () => {})
      socket.destroy()
      return false
    }
    this.open++
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1)
    socket.once('close', () => {
      this.open--
      const n = (this.perAddress.get(address) ?? 1) - 1
      if (n <= 0) this.perAddress.delete(address)
      else this.perAddress.set(address, n)
    })
    return true
  }

  private check(address: string): ConnectionLimitCode | undefined {
    if (this.allow) {
      const family = isIP(address)
      if (family === 0 || !this.allow.check(address, family === 6 ? 'ipv6' : 'ipv4')) return EdgeErrorCode.NEVA_EDGE_CONN_NOT_ALLOWED
    }
    if (this.open >= this.options.maxConnections) return EdgeErrorCode.NEVA_EDGE_CONN_TOO_MANY
    if ((this.perAddress.get(address) ?? 0) >= this.options.maxPerAddress) return EdgeErrorCode.NEVA_EDGE_CONN_TOO_MANY_FROM_ADDRESS
    return undefined
  }

  status(): { open: number; addresses: number; refused: Partial<Record<ConnectionLimitCode, number>> } {
    return { open: this.open, addresses: this.perAddress.size, refused: { ...this.refused } }
  }
}
