// The device supervisor with an injected clock: silent past its period → one active technical
// alarm; heard again → the same alarm ended; per-device periods, prefixes, 0 for "not supervised",
// and an outbox that refuses the alarm (retried at the next pass).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Alarm } from '@neva/contracts'
import type { Decoded } from '@neva/firmware-adapters'
import { DeviceRegistry } from './devices.js'
import { DeviceSupervisor, SILENCE_EVENT_NAME } from './supervisor.js'

function setup(options: { deviceSilenceMs?: Array<{ device_id: string; silence_ms: number }>; failing?: () => boolean } = {}) {
  let clock = 1_000_000
  const devices = new DeviceRegistry()
  const alarms: Array<Omit<Alarm, 'gateway_id' | 'seq'>> = []
  const supervisor = new DeviceSupervisor({
    devices,
    next: {
      async consume(d: Decoded, origin: string) {
        assert.equal(origin, 'device-supervisor')
        assert.equal(d.deviceId, undefined, 'the alarm must not count as the device being heard')
        if (options.failing?.()) throw new Error('outbox full')
        alarms.push(...(d.alarms ?? []))
      },
    },
    log: () => {},
    silenceMs: { mqtt: 30_000, hl7v2: 30_000, astm: 0, serial: 10_000, opcua: 20_000 },
    deviceSilenceMs: options.deviceSilenceMs ?? [],
    checkIntervalMs: 1000,
    priority: 'medium',
    now: () => clock,
  })
  return { devices, alarms, supervisor, tick: (ms: number) => (clock += ms), now: () => clock }
}

test('a monitor silent past its period raises one technical alarm, ended with the same id when it is heard again', async () => {
  const { devices, alarms, supervisor, tick, now } = setup()
  devices.message('icu-mon-2', 'hl7v2', '127.0.0.1', 3, now())
  devices.context('icu-mon-2', { patient_id: 'icu.bed2', ward: 'ICU', bed: '2' })
  tick(30_000)
  await supervisor.check()
  assert.equal(alarms.length, 0, 'exactly the period is not yet silent')
  const lastHeard = now() - 30_000
  tick(1000)
  await supervisor.check()
  await supervisor.check()
  assert.equal(alarms.length, 1, 'raised once, not at every pass')
  const a = alarms[0]!
  assert.deepEqual(
    [a.alarm_id, a.device_id, a.source, a.patient_id, a.ward, a.bed, a.event_name, a.alert_type, a.priority, a.state, a.received_time],
    [`icu-mon-2/silent:${lastHeard}`, 'icu-mon-2', 'hl7v2', 'icu.bed2', 'ICU', '2', SILENCE_EVENT_NAME, 'technical', 'medium', 'active', now()],
  )
  assert.equal(a.event_text, "no data from bed 2's device icu-mon-2 for 31 s")
  assert.deepEqual(supervisor.silent(), ['icu-mon-2'])

  tick(5000)
  devices.message('icu-mon-2', 'hl7v2', '127.0.0.1', 3, now())
  await supervisor.check()
  assert.equal(alarms.length, 2)
  assert.deepEqual([alarms[1]!.alarm_id, alarms[1]!.state, alarms[1]!.phase], [a.alarm_id, 'inactive', 'end'])
  assert.deepEqual(supervisor.silent(), [])
  assert.deepEqual([supervisor.alarmsRaised, supervisor.alarmsEnded], [1, 1])

  // Silent again: a new alarm, with a new id.
  tick(40_000)
  await supervisor.check()
  assert.equal(alarms.length, 3)
  assert.notEqual(alarms[2]!.alarm_id, a.alarm_id)
})

test('periods per source kind and per device; 0 is not supervised; a linked device never heard is silent since it was first seen', async () => {
  const { devices, alarms, supervisor, tick, now } = setup({ deviceSilenceMs: [{ device_id: 'amb-*', silence_ms: 0 }, { device_id: 'vent-1', silence_ms: 5000 }] })
  assert.equal(supervisor.periodOf('amb-7-monitor', 'mqtt'), 0)
  assert.equal(supervisor.periodOf('vent-1', 'opcua'), 5000)
  assert.equal(supervisor.periodOf('vent-2', 'opcua'), 20_000)
  devices.connection('vent-1', 'opcua', 'opc.tcp://127.0.0.1:4840', true)
  devices.connection('ox-1', 'serial', '/dev/ttyUSB0', true)
  devices.message('amb-7-monitor', 'mqtt', 'c1', 1, now())
  devices.message('lab-1', 'astm', '/dev/ttyUSB1', 1, now())
  await supervisor.check()
  tick(6000)
  await supervisor.check()
  assert.deepEqual(alarms.map((a) => [a.device_id, a.patient_id, a.event_text]), [['vent-1', null, 'no data from device vent-1 for 6 s']])
  tick(5000)
  await supervisor.check()
  assert.deepEqual(supervisor.silent(), ['ox-1', 'vent-1'])
})

test('an alarm the outbox refuses is retried at the next pass', async () => {
  let full = true
  const { devices, alarms, supervisor, tick, now } = setup({ failing: () => full })
  devices.message('mon-1', 'mqtt', 'c1', 1, now())
  tick(31_000)
  await supervisor.check()
  assert.deepEqual([alarms.length, supervisor.silent()], [0, []])
  full = false
  await supervisor.check()
  assert.deepEqual([alarms.length, supervisor.silent()], [1, ['mon-1']])
})
