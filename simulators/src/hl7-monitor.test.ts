// The simulated ward against the gateway's real MLLP listener over TCP, and against a gateway
// that loses ACKs, restarts and refuses, to see the monitor resend, reconnect and give up.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Decoded, DecodedHl7 } from '@neva/firmware-adapters'
import { Hl7Monitor, type AlarmLimit, type Hl7MonitorOptions } from './hl7-monitor.js'
import { scriptedGateway } from '../test/scripted-mllp-gateway.js'

// The simulators package does not depend on the gateway (nothing it ships needs it), so the
// gateway's listener is loaded by path: the test runs the monitor against the real thing.
interface Listener { port: number; start(): Promise<void>; stop(): Promise<void> }
type ListenerClass = new (options: { host: string; port: number; next: { consume(d: Decoded, origin: string): Promise<void> }; devices: unknown }) => Listener
const edge = (path: string) => import(new URL(`../../edge/src/sources/${path}`, import.meta.url).href)

async function gateway(port = 0) {
  const { MllpSource } = (await edge('mllp-source.ts')) as { MllpSource: ListenerClass }
  const { DeviceRegistry } = (await edge('devices.ts')) as { DeviceRegistry: new () => unknown }
  const received: DecodedHl7[] = []
  const source = new MllpSource({ host: '127.0.0.1', port, devices: new DeviceRegistry(), next: { consume: async (d) => { received.push(d as DecodedHl7) } } })
  await source.start()
  return { source, received }
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000, show: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(show())}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const ward = (port: number, extra: Partial<Hl7MonitorOptions> = {}): Hl7Monitor => new Hl7Monitor({
  host: '127.0.0.1', port, monitorId: 'W3-CENTRAL', ward: 'WARD3', intervalMs: 50, timeScale: 20, nibpIntervalS: 5, temperatureIntervalS: 3,
  ackTimeoutMs: 2000, reconnectMinMs: 50, reconnectMaxMs: 200,
  beds: [
    { bed: '1', room: '301', patient: { id: 'ward3.p1', scenario: 'stable', seed: 1 } },
    { bed: '2', room: '302', patient: { id: 'ward3.p2', scenario: 'sepsis', seed: 2, onsetS: 0 } },
  ],
  ...extra,
})

test("the ward's monitors send ORU^R01 the gateway stores: every bed, every vital, each message acknowledged once", async () => {
  const { source, received } = await gateway()
  const monitor = ward(source.port)
  try {
    await monitor.start()
    await until('40 messages acknowledged', () => monitor.stats().acked >= 40, 20_000, () => monitor.stats())
    await monitor.stop(5000)
    const stats = monitor.stats()
    assert.deepEqual([stats.queued, stats.rejected, stats.errors, stats.dropped, stats.connected], [0, 0, 0, 0, 0])
    assert.equal(stats.acked, stats.sent)
    // A resend (an ACK slower than the timeout on a loaded machine) may or may not have arrived.
    assert.ok(received.length >= stats.acked && received.length <= stats.sent + stats.resent, JSON.stringify(stats))
    for (const d of received) assert.deepEqual([d.ack.code, d.problems], ['AA', []])
    const byBed = (bed: string) => received.filter((d) => d.deviceId === `W3-CENTRAL-${bed}`)
    for (const [bed, patient] of [['1', 'ward3.p1'], ['2', 'ward3.p2']] as const) {
      const messages = byBed(bed)
      assert.ok(messages.length >= 15, `bed ${bed}: ${messages.length}`)
      assert.deepEqual(messages[0]!.location, { pointOfCare: 'WARD3', room: bed === '1' ? '301' : '302', bed })
      const names = new Set(messages.flatMap((d) => d.observations.map((o) => o.name)))
      assert.deepEqual([...names].sort(), ['heart_rate', 'nibp_diastolic', 'nibp_mean', 'nibp_systolic', 'pulse_rate', 'respiratory_rate', 'spo2', 'temperature'])
      for (const o of messages.flatMap((d) => d.observations)) {
        assert.deepEqual([o.patient_id, o.source, o.flags], [patient, 'hl7v2', []])
        assert.ok(Math.abs(o.received_time - o.device_time) < 5000)
      }
      // Every tick reports the continuous vitals; NIBP only every few (simulated) minutes.
      const nibp = messages.filter((d) => d.observations.some((o) => o.name === 'nibp_systolic')).length
      assert.ok(nibp >= 2 && nibp < messages.length, `bed ${bed}: NIBP in ${nibp} of ${messages.length}`)
    }
    // One identity per message (a resend has its message's): the gateway stores each once.
    assert.equal(new Set(received.map((d) => d.key!.hash)).size, new Set(received.map((d) => d.controlId)).size)
    assert.equal(new Set(received.map((d) => d.controlId)).size, stats.sent)
  } finally {
    await monitor.stop()
    await source.stop()
  }
})

test('a vital outside its limit raises an ORU^R40 alarm (start); back inside, the same alarm ends', async () => {
  const { source, received } = await gateway()
  // Limits the test moves while the ward runs: first every heart rate is too high, then none is.
  const limits: AlarmLimit[] = [{ vital: 'heart_rate', high: 1, priority: 'high' }]
  const monitor = ward(source.port, { alarmLimits: limits, beds: [{ bed: '1', patient: { id: 'ward3.p1', scenario: 'stable', seed: 1 } }] })
  const alarms = () => received.flatMap((d) => d.alarms)
  try {
    await monitor.start()
    await until('the alarm raised', () => alarms().length >= 1, 20_000, () => monitor.stats())
    limits[0] = { ...limits[0]!, high: 1000 }
    await until('the alarm ended', () => alarms().some((a) => a.state === 'inactive'), 20_000, () => monitor.stats())
    await monitor.stop(5000)
    const [start, end] = alarms()
    assert.deepEqual([start!.alarm_id, start!.event_name, start!.priority, start!.phase, start!.state, start!.patient_id, start!.device_id, start!.ward, start!.bed, start!.limit_high],
      [end!.alarm_id, 'MDC_EVT_HI', 'high', 'start', 'active', 'ward3.p1', 'W3-CENTRAL-1', 'WARD3', '1', 1])
    assert.deepEqual([end!.phase, end!.state, end!.limit_high], ['end', 'inactive', 1000])
    assert.ok(start!.value! > 1 && start!.unit === '/min')
    assert.deepEqual([monitor.stats().alarmsRaised, monitor.stats().alarmsEnded], [1, 1])
    // Readings keep flowing next to the alarms.
    assert.ok(received.filter((d) => d.observations.length > 0).length >= 2)
  } finally {
    await monitor.stop()
    await source.stop()
  }
})

test('no ACK: the monitor reconnects and resends the same message; after a gateway restart it carries on', async () => {
  // The first copy of every message goes unanswered.
  const lossy = await scriptedGateway((_, n) => (n === 1 ? null : 'AA'))
  const monitor = ward(lossy.port, { beds: [{ bed: '1', patient: { id: 'ward3.p1', scenario: 'stable', seed: 1 } }], ackTimeoutMs: 150 })
  try {
    await monitor.start()
    await until('acknowledged after resends', () => monitor.stats().acked >= 3, 20_000, () => monitor.stats())
    const stats = monitor.stats()
    assert.ok(stats.resent >= 3 && stats.reconnects >= 3, JSON.stringify(stats))
    // Each message reached the gateway twice, with the same control id.
    const first = lossy.seen[0]!
    assert.deepEqual(lossy.seen.slice(0, 2), [first, first])
    const port = lossy.port
    await lossy.stop()
    await until('disconnected', () => monitor.stats().connected === 0, 5000)

    // The real gateway comes back on the same port: the messages queued meanwhile go through.
    const { source, received } = await gateway(port)
    try {
      const before = monitor.stats().acked
      await until('acknowledged by the restarted gateway', () => monitor.stats().acked >= before + 10, 20_000, () => monitor.stats())
      await monitor.stop(5000)
      assert.equal(monitor.stats().queued, 0)
      assert.ok(received.every((d) => d.ack.code === 'AA'))
    } finally {
      await source.stop()
    }
  } finally {
    await monitor.stop()
    await lossy.stop()
  }
})

test('AR: the message is given up at once; AE: resent, then given up', async () => {
  const refusing = await scriptedGateway(() => 'AR')
  const monitor = ward(refusing.port, { beds: [{ bed: '1', patient: { id: 'ward3.p1', scenario: 'stable', seed: 1 } }] })
  try {
    await monitor.start()
    await until('5 rejected', () => monitor.stats().rejected >= 5, 20_000, () => monitor.stats())
    assert.equal(monitor.stats().resent, 0)
    assert.equal(new Set(refusing.seen).size, refusing.seen.length)
  } finally {
    await monitor.stop()
    await refusing.stop()
  }

  const erring = await scriptedGateway(() => 'AE')
  const again = ward(erring.port, { beds: [{ bed: '1', patient: { id: 'ward3.p1', scenario: 'stable', seed: 1 } }], maxErrorResends: 2, reconnectMinMs: 10 })
  try {
    await again.start()
    await until('given up after AE', () => again.stats().rejected >= 1, 20_000, () => again.stats())
    const id = erring.seen[0]!
    assert.equal(erring.seen.filter((s) => s === id).length, 3)
    assert.ok(again.stats().errors >= 3)
  } finally {
    await again.stop()
    await erring.stop()
  }
})

test('a bed with a pump sends IHE PCD-10 ORU^R42: started, delivering with the volume growing, stopped when the volume is reached', async () => {
  const { source, received } = await gateway()
  // 60 simulated s per tick: 60 mL/h infuses 1 mL a tick; 5 mL are done after 5 ticks.
  const monitor = ward(source.port, {
    timeScale: 1200, pumpIntervalS: 120, alarmLimits: [],
    beds: [{ bed: '4', room: '304', patient: { id: 'ward3.p4', scenario: 'stable', seed: 4 }, pump: { drug: 'Heparin', concentration: 100, rate: 60, volumeToBeInfused: 5, orderId: 'ord-4' } }],
  })
  try {
    await monitor.start()
    const events = () => received.flatMap((d) => d.infusionEvents ?? [])
    await until('the pump stopped', () => events().some((e) => e.program_state === 'pump-delivery-status-stopped'), 20_000, () => monitor.stats())
    await monitor.stop(5000)
    const e = events()
    assert.deepEqual([e[0]!.device_id, e[0]!.patient_id, e[0]!.bed, e[0]!.order_id, e[0]!.drug, e[0]!.rate, e[0]!.event_name], ['W3-CENTRAL-4-pump', 'ward3.p4', '4', 'ord-4', 'Heparin', 60, 'MDC_EVT_PUMP_DELIV_START'])
    const last = e.at(-1)!
    assert.deepEqual([last.program_state, last.volume_infused, last.rate, last.event_name], ['pump-delivery-status-stopped', 5, 0, 'MDC_EVT_PUMP_DELIV_STOP'])
    const volumes = e.map((x) => x.volume_infused!)
    assert.deepEqual(volumes, [...volumes].sort((a, b) => a - b), 'the volume infused only grows')
    assert.equal(monitor.stats().infusionEvents, new Set(received.filter((d) => (d.infusionEvents ?? []).length > 0).map((d) => d.controlId)).size)
  } finally {
    await monitor.stop()
    await source.stop()
  }
})
