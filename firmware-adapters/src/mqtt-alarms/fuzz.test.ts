// Fuzzing the MQTT alarm decoder: near-miss messages, arbitrary JSON and bytes. It never throws,
// and each message gives exactly one alarm that fits the contract, or one problem.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Alarm, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeAlarmMessage } from './decode.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const TOPIC = 'neva/v1/devices/amb-7.mon/alarms'
const alarm = validator(Alarm)
const json = (o: unknown) => Buffer.from(JSON.stringify(o))

test('fuzz: any JSON or bytes on an alarms topic never throw; what comes out fits the contract, else one problem', () => {
  const nearly = fc.record({
    alarm_id: fc.oneof(fc.string({ maxLength: 130 }), fc.constant('a-1')), priority: fc.constantFrom('high', 'low', 'none', 'x'), state: fc.constantFrom('active', 'inactive', 'on'),
    event: fc.option(fc.string({ maxLength: 70 }), { nil: undefined }), event_code: fc.option(fc.integer(), { nil: undefined }), vital: fc.option(fc.constantFrom('spo2', 'heart_rate', 'nope'), { nil: undefined }),
    value: fc.option(fc.double(), { nil: undefined }), time: fc.option(fc.integer({ min: -1, max: 9e12 }), { nil: undefined }),
  }, { requiredKeys: [] })
  fc.assert(
    fc.property(fc.oneof(nearly.map(json), fc.jsonValue({ maxDepth: 3 }).map(json), fc.uint8Array({ maxLength: 512 })), (payload) => {
      const d = decodeAlarmMessage(TOPIC, payload, NOW)
      assert.equal((d.alarms?.length ?? 0) + d.problems.length, 1)
      for (const a of d.alarms ?? []) assert.ok(alarm.check({ ...a, gateway_id: 'g', seq: 1 }), alarm.explain({ ...a, gateway_id: 'g', seq: 1 }))
    }),
    { numRuns: fuzzRuns() },
  )
})
