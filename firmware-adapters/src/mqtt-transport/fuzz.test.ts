// Fuzzing the transport decoder: near-miss messages, arbitrary JSON and bytes. It never throws,
// and each message gives exactly one transport that fits the contract, or one problem.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Transport, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeTransportMessage } from './decode.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const TOPIC = 'neva/v1/ambulances/amb-7/transport'
const transport = validator(Transport)
const json = (o: unknown) => Buffer.from(JSON.stringify(o))

test('fuzz: any JSON or bytes on a transport topic never throw; what comes out fits the contract, else one problem', () => {
  const nearly = fc.record({
    patient_id: fc.oneof(fc.string({ maxLength: 130 }), fc.constant('p1')), destination_site: fc.oneof(fc.string({ maxLength: 70 }), fc.constant('city-1')),
    state: fc.constantFrom('en_route', 'arrived', 'cancelled', 'x'), eta: fc.option(fc.oneof(fc.integer({ min: -1, max: 9e12 }), fc.double()), { nil: undefined }),
    time: fc.oneof(fc.integer({ min: -1, max: 9e12 }), fc.constant(NOW), fc.double()),
  }, { requiredKeys: [] })
  fc.assert(
    fc.property(fc.oneof(nearly.map(json), fc.jsonValue({ maxDepth: 3 }).map(json), fc.uint8Array({ maxLength: 512 })), (payload) => {
      const d = decodeTransportMessage(TOPIC, payload, NOW)
      assert.equal((d.transports?.length ?? 0) + d.problems.length, 1)
      for (const t of d.transports ?? []) {
        const row = { ...t, gateway_id: 'g', seq: 1 }
        assert.ok(transport.check(row), transport.explain(row))
        if (t.state !== 'en_route') assert.equal(t.eta, null)
      }
    }),
    { numRuns: fuzzRuns() },
  )
})
