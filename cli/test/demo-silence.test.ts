// A monitor or an analyzer silenced in the demo is a technical alarm on the ICU board within 5 s:
// proved with the demo's own settings (cli/src/commands/demo-supervision.ts, what `neva demo`
// gives its gateway) on the gateway's real supervisor with a stepped clock, at every phase of
// the check timer, rather than by timing a running demo. The bound is: the last message, the
// period, the first check after it, the uplink's linger; what is left of the 5 s is the loopback
// POST to the core. And a device sending at its demo interval never alarms.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Alarm, SourceProtocol } from '@neva/contracts'
import { DeviceRegistry, DeviceSupervisor, parseGatewayConfig } from '@neva/edge'
import { DEMO_ANALYZER_INTERVAL_MS, DEMO_MONITOR_INTERVAL_MS, DEMO_SILENCE_ALARM_WITHIN_MS, DEMO_SUPERVISION } from '../src/commands/demo-supervision.js'

const config = parseGatewayConfig({
  gateway_id: 'gw-demo', data_dir: '/nonexistent', core: { url: 'http://127.0.0.1:9', token: 't' }, supervision: DEMO_SUPERVISION,
})

/** The supervisor as the demo's gateway builds it, on a clock the test moves. */
function supervised() {
  let clock = 1_000_000
  const devices = new DeviceRegistry()
  const alarms: Array<Omit<Alarm, 'gateway_id' | 'seq'>> = []
  const s = config.supervision
  const supervisor = new DeviceSupervisor({
    devices, log: () => {}, now: () => clock,
    next: { async consume(d) { alarms.push(...(d.alarms ?? [])) } },
    silenceMs: s.silence_ms, deviceSilenceMs: s.devices, checkIntervalMs: s.check_interval_ms, priority: s.priority,
  })
  return { devices, alarms, supervisor, now: () => clock, set: (t: number) => (clock = t) }
}

const DEVICES: Array<[string, string, SourceProtocol, number]> = [
  ['an ICU monitor (HL7 over MLLP)', 'icu-1-monitor', 'hl7v2', DEMO_MONITOR_INTERVAL_MS],
  ['the lab analyzer (ASTM on a serial line)', 'lab-1-analyzer', 'astm', DEMO_ANALYZER_INTERVAL_MS],
]

for (const [what, id, source, interval] of DEVICES) {
  test(`${what} silenced in the demo raises a technical alarm within 5 s at every phase of the check timer; sending, it never does`, async () => {
    const check = config.supervision.check_interval_ms
    let worst = 0
    for (let phase = 0; phase < check; phase += 25) {
      const { devices, alarms, supervisor, set } = supervised()
      const t0 = 1_000_000
      // Sending at its demo interval for a minute: checked at every tick of the timer, no alarm.
      let next = t0
      let t = t0 + phase
      for (; t < t0 + 60_000; t += check) {
        for (; next <= t; next += interval) devices.message(id, source, 'demo', 1, next)
        set(t)
        await supervisor.check()
      }
      assert.equal(alarms.length, 0, `${id} alarmed while sending every ${interval} ms`)
      const last = next - interval
      // Silenced: the first check that finds it silent.
      for (; alarms.length === 0; t += check) {
        set(t)
        await supervisor.check()
        assert.ok(t - last < 60_000, 'never raised')
      }
      const raised = alarms[0]!
      assert.deepEqual([raised.device_id, raised.alert_type, raised.state, raised.event_name], [id, 'technical', 'active', 'NEVA_EDGE_DEVICE_SILENT'])
      worst = Math.max(worst, t - check - last)
    }
    const bound = worst + config.core.linger_ms
    assert.ok(bound <= DEMO_SILENCE_ALARM_WITHIN_MS, `${id}: alarm durable at worst ${worst} ms after its last message, +${config.core.linger_ms} ms linger = ${bound} ms`)
    // The period is above the interval, so a device that sends is never silent; and not far above it.
    assert.ok(supervised().supervisor.periodOf(id, source) > interval)
  })
}
