// Serial source: one serial port (a lab analyzer, an oximeter) and the protocol spoken on it.
// This file owns the port — opening it, noticing it vanish, reopening it — and nothing about
// what the bytes mean: those go to the protocol (serial-protocol.ts), which decodes them, hands
// what it decoded to the durable stage through the link, and writes replies.
//
//   closed ──open ok──► open ──'close' or 'error' (unplugged)──► closed, retry after backoff
//     ▲ └─open failed (path absent, busy)─► retry: 250 ms, 500 ms, … up to 5 s ─┘      │
//     └──────────────────────────────── stop() from any state ◄───────────────────────┘
//
// While closed the device shows disconnected in /status and the protocol is reset (a partial
// message is forgotten; the device resends what it did not get acknowledged).
import { existsSync } from 'node:fs'
import { SerialPort } from 'serialport'
import type { SourceProtocol } from '@neva/contracts'
import type { Log } from '../log.js'
import type { DeviceRegistry } from './devices.js'
import type { DecodedSink, LinkStatus, Source } from './source.js'
import type { SerialLink, SerialProtocol, SerialProtocolFactory } from './serial-protocol.js'
import { EdgeErrorCode } from '../errors.js'

export interface SerialSourceOptions {
  path: string
  baudRate: number
  dataBits?: 5 | 6 | 7 | 8
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space'
  stopBits?: 1 | 1.5 | 2
  /** The device on this port, as the gateway config names it. */
  deviceId: string
  protocol: SerialProtocolFactory
  next: DecodedSink
  devices: DeviceRegistry
  /** How the device is listed in /status before it sent anything. Default 'serial'. */
  source?: SourceProtocol
  log?: Log
  /** Reopening backoff, doubling from min to max. Default 250 ms → 5 s. */
  retryMinMs?: number
  retryMaxMs?: number
  /** How often the protocol's timeouts are checked. Default 100 ms. */
  tickMs?: number
}

export class SerialSource implements Source {
  readonly origin: string
  readonly name: string
  private readonly protocol: SerialProtocol
  private readonly source: SourceProtocol
  private port: SerialPort | undefined
  private stopped = false
  private started = false
  private retryMs: number
  private retryTimer: NodeJS.Timeout | undefined
  private tickTimer: NodeJS.Timeout | undefined
  /** The current outage has been reported (one log line and one error count per outage). */
  private outageReported = false

  constructor(private readonly options: SerialSourceOptions) {
    this.origin = `serial:${options.path}`
    this.name = this.origin
    this.source = options.source ?? 'serial'
    this.retryMs = options.retryMinMs ?? 250
    const { deviceId, devices, next } = options
    const link: SerialLink = {
      write: (bytes) => {
        const port = this.port
        if (!port?.isOpen) return false
        port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
        return true
      },
      // The durable stage notes the device's messages, readings and refusals in the registry.
      consume: (decoded) => next.consume(decoded, this.origin),
      error: (code, reason) => devices.error(deviceId, this.source, this.origin, code, reason),
      now: () => Date.now(),
    }
    this.protocol = options.protocol(link)
  }

  get connected(): boolean {
    return this.port?.isOpen ?? false
  }

  status(): LinkStatus {
    return { connected: this.connected }
  }

  /** Resolves after the first attempt to open, whether or not the port is there yet. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    this.options.devices.connection(this.options.deviceId, this.source, this.origin, false)
    this.tickTimer = setInterval(() => {
      this.guard(() => this.protocol.tick())
      this.checkPresent()
    }, this.options.tickMs ?? 100)
    await this.open()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.tickTimer)
    clearTimeout(this.retryTimer)
    const port = this.port
    this.port = undefined
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
    this.guard(() => this.protocol.reset())
    this.options.devices.connection(this.options.deviceId, this.source, this.origin, false)
  }

  private open(): Promise<void> {
    const { path, baudRate, dataBits = 8, parity = 'none', stopBits = 1, log } = this.options
    return new Promise((resolve) => {
      const port = new SerialPort({ path, baudRate, dataBits, parity, stopBits, autoOpen: false })
      port.open((err) => {
        if (this.stopped) {
          if (!err) port.close()
          return resolve()
        }
        if (err) {
          if (!this.outageReported) {
            this.outageReported = true
            this.options.devices.error(this.options.deviceId, this.source, this.origin, EdgeErrorCode.NEVA_EDGE_SERIAL_OPEN, `${path}: ${err.message}`)
            log?.('warn', 'serial port not available; retrying', { path, device: this.options.deviceId, err: err.message })
          }
          this.retry()
          return resolve()
        }
        this.port = port
        this.retryMs = this.options.retryMinMs ?? 250
        this.outageReported = false
        this.options.devices.connection(this.options.deviceId, this.source, this.origin, true)
        log?.('info', 'serial port open', { path, device: this.options.deviceId, baudRate })
        port.on('data', (chunk: Buffer) => this.guard(() => this.protocol.receive(chunk)))
        // serialport emits 'close' (with a DisconnectedError when unplugged) after an error too.
        port.on('error', (e: Error) => log?.('warn', 'serial port error', { path, err: e.message }))
        port.on('close', (e: Error | null) => this.closed(port, e))
        resolve()
      })
    })
  }

  /**
   * serialport does not always report a pulled cable: a pseudo-terminal whose peer died, or a
   * USB adapter gone, can leave the port open and silent. The device's path disappearing is
   * the unplug, whatever the binding noticed.
   */
  private checkPresent(): void {
    const port = this.port
    if (!port || existsSync(this.options.path)) return
    this.closed(port, new Error('the device path disappeared'))
    port.removeAllListeners('close')
    if (port.isOpen) port.close(() => {})
  }

  private closed(port: SerialPort, err: Error | null): void {
    if (this.port !== port) return
    this.port = undefined
    this.guard(() => this.protocol.reset())
    this.options.devices.connection(this.options.deviceId, this.source, this.origin, false)
    if (this.stopped) return
    this.outageReported = true
    this.options.devices.error(this.options.deviceId, this.source, this.origin, EdgeErrorCode.NEVA_EDGE_SERIAL_LOST, `${this.options.path}: ${err?.message ?? 'closed'}`)
    this.options.log?.('warn', 'serial port lost; reopening', { path: this.options.path, device: this.options.deviceId, err: err?.message })
    this.retry()
  }

  private retry(): void {
    if (this.stopped) return
    const delay = this.retryMs
    this.retryMs = Math.min(this.retryMs * 2, this.options.retryMaxMs ?? 5000)
    this.retryTimer = setTimeout(() => void this.open(), delay)
  }

  /** A protocol bug must not take the gateway down with it. */
  private guard(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.options.log?.('error', 'serial protocol failed', { path: this.options.path, err: (err as Error).message })
    }
  }
}
