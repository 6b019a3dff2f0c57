// Fuzzing the MQTT vitals decoder: arbitrary bytes, arbitrary JSON, and good readings mixed with
// bad ones. It never throws, every output it gives is a valid observation, and a bad reading costs
// only itself.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Observation, VITAL_NAMES, VITALS, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeVitalsMessage } from './decode.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const TOPIC = 'neva/v1/devices/fuzz-1/vitals'
const observation = validator(Observation)
const valid = (o: object) => observation.check({ gateway_id: 'g', seq: 1, ...o })

test('fuzz: arbitrary topics and bytes never throw, and what comes out is valid', () => {
  fc.assert(
    fc.property(fc.oneof(fc.constant(TOPIC), fc.string({ maxLength: 80 })), fc.uint8Array({ maxLength: 2048 }), (topic, bytes) => {
      const d = decodeVitalsMessage(topic, bytes, NOW)
      for (const o of d.observations) assert.ok(valid(o))
      for (const p of d.problems) assert.ok(p.reason.length > 0 && p.payload.length <= 65536)
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: arbitrary JSON values on a vitals topic never throw; only valid observations come out', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      const d = decodeVitalsMessage(TOPIC, Buffer.from(JSON.stringify(value)), NOW)
      for (const o of d.observations) assert.ok(valid(o))
      assert.ok(d.observations.length > 0 || d.problems.length > 0)
    }),
    { numRuns: fuzzRuns() },
  )
})

const goodReading = fc.constantFrom(...VITAL_NAMES.filter((n) => !VITALS[n].ordinal)).chain((vital) =>
  fc.double({ min: VITALS[vital].min, max: VITALS[vital].max, noNaN: true }).map((value) => ({ vital, value })),
)
const badReading = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.record({ vital: fc.string({ maxLength: 12 }), value: fc.double() }),
  fc.record({ mdc: fc.integer(), value: fc.integer() }),
)

test('fuzz: bad readings in a message cost only themselves', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(goodReading.map((r) => ({ good: true, r })), badReading.map((r) => ({ good: false, r }))), { minLength: 1, maxLength: 20 }), (items) => {
      const d = decodeVitalsMessage(TOPIC, Buffer.from(JSON.stringify({ patient_id: 'p-1', time: NOW - 1000, readings: items.map((i) => i.r) })), NOW)
      const good = items.filter((i) => i.good).length
      // A random "bad" reading may happen to be a good one; no good one is ever lost.
      assert.ok(d.observations.length >= good, `${d.observations.length} observations from ${good} good readings`)
      assert.equal(d.observations.length + d.problems.length, items.length)
    }),
    { numRuns: fuzzRuns() },
  )
})
