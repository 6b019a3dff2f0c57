// The simulated oximeter writes to one end of a socat pseudo-terminal pair; the oximeter
// decoders read the other end through serialport, as the gateway would.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import { OximeterAsciiDecoder, OximeterBinaryDecoder, type Decoded, type OximeterFormat } from '@neva/firmware-adapters'
import { SimulatedOximeter } from '../src/oximeter.js'

const SOCAT = '/usr/bin/socat'

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A socat pseudo-terminal pair: bytes written to `a` come out of `b`. */
async function ptyPair(): Promise<{ a: string; b: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'neva-pty-'))
  const a = join(dir, 'a')
  const b = join(dir, 'b')
  const socat: ChildProcess = spawn(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' })
  await waitFor(() => existsSync(a) && existsSync(b), 'socat links')
  return {
    a,
    b,
    async stop() {
      if (socat.exitCode !== null) return
      const exited = new Promise((r) => socat.once('exit', r))
      socat.kill('SIGTERM')
      await exited
    },
  }
}

async function roundTrip(format: OximeterFormat, messages: number) {
  const pair = await ptyPair()
  const options = { deviceId: 'bed-1-oximeter', patientId: 'ward-1.bed-1' }
  const decoder = format === 'ascii' ? new OximeterAsciiDecoder(options) : new OximeterBinaryDecoder(options)
  const got: Decoded = { source: 'serial', observations: [], problems: [] }
  const reader = new SerialPort({ path: pair.b, baudRate: 9600, autoOpen: false })
  await new Promise<void>((resolve, reject) => reader.open((err) => (err ? reject(err) : resolve())))
  reader.on('data', (chunk: Buffer) => {
    const d = decoder.push(chunk, Date.now())
    got.observations.push(...d.observations)
    got.problems.push(...d.problems)
  })
  const sim = new SimulatedOximeter({
    path: pair.a,
    format,
    patient: { id: 'ward-1.bed-1', scenario: 'stable', seed: 11 },
    // Frequent episodes, so that a few seconds show both kinds.
    sensorOffPerSecond: 0.3,
    artifactPerSecond: 0.4,
    seed: format,
  })
  try {
    await sim.start()
    await waitFor(() => sim.stats().messages >= messages, `${messages} messages`)
    const stats = await sim.stop()
    const expected = stats.values.spo2 + stats.values.pulse_rate
    await waitFor(() => got.observations.length >= expected, `${expected} readings decoded`)
    return { stats, got }
  } finally {
    await sim.stop()
    await new Promise<void>((resolve) => (reader.isOpen ? reader.close(() => resolve()) : resolve()))
    await pair.stop()
  }
}

test('ASCII: every record written arrives and decodes, sensor-off seconds without values, artifact seconds flagged', { skip: !existsSync(SOCAT) && 'socat not installed' }, async () => {
  const { stats, got } = await roundTrip('ascii', 6)
  assert.deepEqual(got.problems, [])
  assert.equal(stats.errors, 0)
  assert.ok(stats.sensorOff + stats.artifact > 0, JSON.stringify(stats))
  assert.equal(got.observations.length, stats.values.spo2 + stats.values.pulse_rate)
  assert.equal(got.observations.filter((o) => o.flags.includes('artifact')).length, 2 * stats.artifact)
  for (const o of got.observations) {
    assert.equal(o.source, 'serial')
    const v = o.value!
    assert.ok(o.name === 'spo2' ? v >= 85 && v <= 100 : v >= 40 && v <= 140, `${o.name} ${o.value}`)
    assert.ok(Math.abs(o.device_time - o.received_time) < 5000)
  }
})

test('binary: every packet written arrives at 75 frames a second and decodes, flags carried', { skip: !existsSync(SOCAT) && 'socat not installed' }, async () => {
  const started = Date.now()
  const { stats, got } = await roundTrip('binary', 12)
  const seconds = (Date.now() - started) / 1000
  assert.deepEqual(got.problems, [])
  assert.equal(stats.bytes, stats.messages * 125)
  // Real rate: 12 packets take about 4 s (3 a second), never much less.
  assert.ok(seconds >= 3.3, `${seconds} s`)
  assert.ok(stats.sensorOff + stats.artifact > 0, JSON.stringify(stats))
  assert.equal(got.observations.length, stats.values.spo2 + stats.values.pulse_rate)
  assert.equal(got.observations.filter((o) => o.flags.includes('artifact')).length, 2 * stats.artifact)
})
