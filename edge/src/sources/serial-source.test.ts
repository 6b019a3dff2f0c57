// The serial source over real pseudo-terminals (socat): bytes both ways, the registry's view of
// the port, unplug and replug (socat stopped and started again on the same paths), and stop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Decoded } from '@neva/firmware-adapters'
import { DeviceRegistry } from './devices.js'
import type { SerialLink, SerialProtocol } from './serial-protocol.js'
import { SerialSource } from './serial-source.js'
import { openPort, ptyPair, until } from '../../test/pty.js'

/** A protocol that answers each line with "ok <line>" and hands each line on as a problem. */
class LineProtocol implements SerialProtocol {
  static last: LineProtocol
  lines: string[] = []
  ticks = 0
  resets = 0
  private buffer = ''
  constructor(readonly link: SerialLink) {
    LineProtocol.last = this
  }
  receive(bytes: Uint8Array): void {
    this.buffer += Buffer.from(bytes).toString('latin1')
    let nl: number
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl)
      this.buffer = this.buffer.slice(nl + 1)
      this.lines.push(line)
      void this.link.consume({ source: 'serial', deviceId: 'dev-1', observations: [], problems: [{ code: 'LINE', reason: line, payload: line }] })
      this.link.write(Buffer.from(`ok ${line}\n`))
    }
  }
  tick(): void {
    this.ticks++
  }
  reset(): void {
    this.resets++
    this.buffer = ''
  }
}

function source(path: string, devices: DeviceRegistry, consumed: Array<[Decoded, string]>) {
  return new SerialSource({
    path,
    baudRate: 9600,
    deviceId: 'dev-1',
    protocol: (link) => new LineProtocol(link),
    next: { consume: async (d, origin) => void consumed.push([d, origin]) },
    devices,
    retryMinMs: 50,
    retryMaxMs: 200,
  })
}

test('bytes reach the protocol, replies reach the device; unplug marks it disconnected, replug resumes on the same path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-serial-'))
  let pair = await ptyPair(dir)
  const devices = new DeviceRegistry()
  const consumed: Array<[Decoded, string]> = []
  const src = source(pair.b, devices, consumed)
  const status = () => devices.snapshot().find((d) => d.device_id === 'dev-1')
  await src.start()
  assert.equal(src.connected, true)
  assert.equal(status()?.connected, true)

  let device = await openPort(pair.a)
  let heard = ''
  device.on('data', (b: Buffer) => (heard += b.toString('latin1')))
  device.write('hello\n')
  await until('the reply', () => heard === 'ok hello\n')
  assert.deepEqual(consumed.map(([d, origin]) => [d.problems[0]!.reason, origin]), [['hello', `serial:${pair.b}`]])
  await until('ticks', () => LineProtocol.last.ticks >= 3)

  // Unplug: socat goes away with both pseudo-terminals.
  await pair.stop()
  await until('disconnected', () => status()?.connected === false && !src.connected)
  assert.equal(LineProtocol.last.resets, 1)
  assert.equal(LineProtocol.last.link.write(Buffer.from('x')), false)
  assert.equal(status()?.errors.NEVA_EDGE_SERIAL_LOST, 1)
  // Absent for a while: retries do not count an error each.
  await new Promise((r) => setTimeout(r, 400))
  assert.equal(status()?.errors.NEVA_EDGE_SERIAL_OPEN, undefined)

  // Replug on the same paths.
  pair = await ptyPair(dir)
  await until('reconnected', () => src.connected && status()?.connected === true)
  device = await openPort(pair.a)
  heard = ''
  device.on('data', (b: Buffer) => (heard += b.toString('latin1')))
  device.write('again\n')
  await until('the reply after replug', () => heard === 'ok again\n')
  assert.deepEqual(LineProtocol.last.lines, ['hello', 'again'])

  await src.stop()
  assert.equal(status()?.connected, false)
  const ticks = LineProtocol.last.ticks
  await new Promise((r) => setTimeout(r, 250))
  assert.equal(LineProtocol.last.ticks, ticks, 'no ticks after stop')
  await new Promise<void>((r) => device.close(() => r()))
  await pair.stop()
})

test('a port that is not there yet: start resolves, one error is counted, the port opens when it appears', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-serial-'))
  const devices = new DeviceRegistry()
  const src = source(join(dir, 'b'), devices, [])
  await src.start()
  const status = () => devices.snapshot().find((d) => d.device_id === 'dev-1')
  assert.deepEqual([src.connected, status()?.connected, status()?.errors.NEVA_EDGE_SERIAL_OPEN], [false, false, 1])
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(status()?.errors.NEVA_EDGE_SERIAL_OPEN, 1)
  const pair = await ptyPair(dir)
  await until('opened', () => src.connected)
  assert.equal(status()?.connected, true)
  await src.stop()
  await pair.stop()
  // stop() before the port ever appears leaves no timer behind.
  const never = source(join(dir, 'nothing'), devices, [])
  await never.start()
  await never.stop()
})
