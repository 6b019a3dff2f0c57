// OPC UA source against the simulated ventilator (a real node-opcua server), into a real durable
// stage (SQLite outbox, NEWS2 triage): values flow, survive a server restart, and every value the
// source received is in the outbox.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Observation, TriageResult } from '@neva/contracts'
import { validateOpcuaMapping, type Decoded, type OpcuaDeviceMapping } from '@neva/firmware-adapters'
import { OpcuaVentilator } from '@neva/simulators'
import { DurableStage } from '../src/outbox/durable-stage.js'
import { createEdgeMetrics } from '../src/metrics.js'
import { SqliteOutbox } from '../src/outbox/sqlite-outbox.js'
import { DeviceRegistry } from '../src/sources/devices.js'
import { OpcuaSource, type OpcuaSourceOptions } from '../src/sources/opcua-source.js'
import { TriageStage } from '../src/triage/triage-stage.js'
import type { Log } from '../src/log.js'

const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `neva-${prefix}-`))

async function until(what: string, condition: () => boolean, timeoutMs = 30_000, detail: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${JSON.stringify(detail())}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** A real durable stage on a fresh directory, and what the outbox holds once drained. */
function durableStage(dir: string, log: Log) {
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), gatewayId: 'gw-opcua' })
  const devices = new DeviceRegistry()
  const durable = new DurableStage(outbox, new TriageStage({ outbox, log }), createEdgeMetrics(outbox), log, devices)
  return {
    outbox,
    devices,
    durable,
    device: (id: string) => devices.snapshot().find((d) => d.device_id === id),
    async drain() {
      const observations: Observation[] = []
      const triage: TriageResult[] = []
      for (let b = await outbox.nextBatch(10_000); b; b = await outbox.nextBatch(10_000)) {
        observations.push(...b.observations)
        triage.push(...b.triage)
        await outbox.ack(b.id)
      }
      return { observations, triage }
    },
  }
}

function ventilator(dir: string, port = 0): OpcuaVentilator {
  return new OpcuaVentilator({ pkiDir: join(dir, 'vent-pki'), port, patient: { id: 'icu.bed3', scenario: 'respiratory', seed: 3, onsetS: 0, courseS: 120 }, intervalMs: 200, timeScale: 5 })
}

function mapping(vent: OpcuaVentilator, extraNodes: Array<{ node_id: string; mdc_code: number }> = []): OpcuaDeviceMapping {
  return validateOpcuaMapping([{ device_id: 'vent-1', endpoint_url: vent.endpointUrl, security_mode: 'None', patient_id: 'icu.bed3', sampling_interval_ms: 100, nodes: [...vent.nodes(), ...extraNodes] }])[0]!
}

function source(m: OpcuaDeviceMapping, stage: ReturnType<typeof durableStage>, dir: string, log: Log, extra: Partial<OpcuaSourceOptions> = {}): OpcuaSource {
  return new OpcuaSource({ ...m, next: stage.durable, devices: stage.devices, pkiDir: join(dir, 'opcua-pki'), log, backoffInitialMs: 100, backoffMaxMs: 400, ...extra })
}

test('values flow into the outbox, flow again after the ventilator restarts on its port, and none is lost', async () => {
  const dir = tempDir('opcua')
  const logs: string[] = []
  const log: Log = (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`)
  const vent = ventilator(dir)
  await vent.start()
  const stage = durableStage(dir, log)
  const src = source(mapping(vent), stage, dir, log)
  try {
    await src.start()
    await until('values durable', () => src.stats().durable >= 20, 30_000, () => [src.stats(), logs.slice(-5)])
    assert.equal(stage.device('vent-1')?.connected, true)

    await vent.stop()
    await until('the device shown disconnected', () => stage.device('vent-1')?.connected === false, 30_000, () => [stage.device('vent-1'), logs.slice(-5)])
    const beforeRestart = src.stats().received
    const restartedAt = Date.now()

    await vent.start()
    await until('values after the restart', () => src.stats().received >= beforeRestart + 20, 30_000, () => [src.stats(), logs.slice(-8)])
    await until('the device shown connected again', () => stage.device('vent-1')?.connected === true)
    const stats = src.stats()
    assert.ok(stats.reconnections + stats.rebuilds >= 1, JSON.stringify(stats))

    await src.stop()
    const final = src.stats()
    assert.deepEqual([final.pending, final.dropped, final.connected], [0, 0, false])
    assert.equal(final.durable, final.received)

    // Every value received is an observation in the outbox, before and after the restart.
    await stage.durable.settle()
    const { observations, triage } = await stage.drain()
    assert.equal(observations.length, final.received)
    assert.ok(observations.some((o) => o.device_time >= restartedAt))
    for (const o of observations) {
      assert.deepEqual([o.source, o.device_id, o.patient_id], ['opcua', 'vent-1', 'icu.bed3'])
      assert.ok(o.received_time - o.device_time < 10_000 && o.flags.length === 0, JSON.stringify(o))
    }
    assert.deepEqual(new Set(observations.map((o) => o.name)), new Set(['respiratory_rate', 'ventilation_rate', 'fio2', 'peep', 'peak_airway_pressure', 'tidal_volume', 'minute_volume', 'etco2', 'spo2', 'pulse_rate']))
    // Respiratory rate and SpO2 reach NEWS2 like any monitor's.
    assert.ok(triage.length >= 1 && triage.every((t) => t.patient_id === 'icu.bed3'))

    const device = stage.device('vent-1')!
    assert.deepEqual([device.source, device.origin, device.connected], ['opcua', vent.endpointUrl, false])
    assert.equal(device.readings, final.received)
    assert.ok((device.errors.NEVA_OPCUA_CONNECTION_LOST ?? 0) >= 1, JSON.stringify(device.errors))
  } finally {
    await src.stop()
    await vent.stop()
    await stage.outbox.close()
  }
})

test('a ventilator switched on after the gateway is picked up; a node it lacks is named; stop() is quick', async () => {
  const dir = tempDir('opcua')
  const log: Log = () => {}
  const port = await freePort()
  const vent = ventilator(dir, port)
  const stage = durableStage(dir, log)
  const m = mapping(vent, [{ node_id: 'ns=1;s=Vent.NoSuchNode', mdc_code: 151708 }])

  // Nothing listens: attempts are counted against the device, which shows disconnected.
  const off = source(m, stage, dir, log)
  await off.start()
  await until('failed attempts counted', () => (stage.device('vent-1')?.errors.NEVA_OPCUA_CONNECT_FAILED ?? 0) >= 2)
  assert.equal(stage.device('vent-1')?.connected, false)
  const stopping = Date.now()
  await off.stop()
  assert.ok(Date.now() - stopping < 5000, `stop took ${Date.now() - stopping} ms`)

  // The first batches are refused (as by an outbox at its budget): kept and retried.
  let refusals = 2
  const next = { consume: (d: Decoded, origin: string) => (refusals-- > 0 ? Promise.reject(new Error('outbox is at its disk budget')) : stage.durable.consume(d, origin)) }
  const src = source(m, stage, dir, log, { next })
  try {
    await src.start()
    await new Promise((r) => setTimeout(r, 300))
    await vent.start()
    await until('values from the late ventilator', () => src.stats().durable >= 10, 30_000, () => src.stats())
    assert.equal(stage.device('vent-1')?.connected, true)
    // The server refused the unknown node; the others flow.
    assert.equal(stage.device('vent-1')?.errors.NEVA_OPCUA_MONITOR_FAILED, 1)
    const stoppingConnected = Date.now()
    await src.stop()
    assert.ok(Date.now() - stoppingConnected < 5000, `stop took ${Date.now() - stoppingConnected} ms`)
    const stats = src.stats()
    assert.deepEqual([stats.pending, stats.dropped, stats.durable], [0, 0, stats.received])
    assert.equal(stage.device('vent-1')?.errors.NEVA_OPCUA_NOT_DURABLE, 2)
    await stage.durable.settle()
    assert.equal((await stage.drain()).observations.length, stats.received)
  } finally {
    await src.stop()
    await vent.stop()
    await stage.outbox.close()
  }
})

test('a link gone silent is rebuilt, and the values the server sends again are not stored twice', async () => {
  const dir = tempDir('opcua')
  const log: Log = () => {}
  // Values that never change: the server sends only keep-alives, every 10 × 100 ms.
  const vent = new OpcuaVentilator({ pkiDir: join(dir, 'vent-pki'), patient: { id: 'icu.bed3', scenario: 'stable', seed: 3 }, intervalMs: 3_600_000 })
  await vent.start()
  const stage = durableStage(dir, log)
  const src = source(mapping(vent), stage, dir, log, { silenceTimeoutMs: 400 })
  try {
    await src.start()
    await until('a rebuild after silence', () => src.stats().rebuilds >= 1 && src.stats().connected, 30_000, () => src.stats())
    await until('the current values received again', () => src.stats().duplicates >= vent.nodes().length, 30_000, () => src.stats())
    await src.stop()
    const { observations } = await stage.drain()
    assert.equal(observations.length, vent.nodes().length)
    assert.equal(src.stats().received, vent.nodes().length)
  } finally {
    await src.stop()
    await vent.stop()
    await stage.outbox.close()
  }
})
