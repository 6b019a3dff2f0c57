import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Observation, validator } from '@neva/contracts'
import { fuzzRuns } from '../fuzz-runs.js'
import { decodeOpcuaValue, type OpcuaDataValue } from './decode.js'
import { OpcuaMappingError, validateOpcuaMapping } from './mapping.js'

const NOW = Date.UTC(2026, 10, 25, 12)
const observation = validator(Observation)
const [vent] = validateOpcuaMapping([{
  device_id: 'vent-1',
  endpoint_url: 'opc.tcp://127.0.0.1:4840',
  security_mode: 'None',
  patient_id: 'icu.bed3',
  nodes: [
    { node_id: 'ns=1;s=Vent.RespRate', mdc_code: 151562 },
    { node_id: 'ns=1;s=Vent.FiO2', mdc_code: 152196, scale: 100 },
    { node_id: 'ns=1;s=Vent.TidalVolume', mdc_code: 151980 },
  ],
}])
const nodes = vent!.nodes

const timestampArb = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.date({ noInvalidDate: false }),
  fc.integer({ min: NOW - 10 * 365 * 86400_000, max: NOW + 10 * 86400_000 }),
  fc.double(),
  fc.anything(),
)
const garbageArb = fc.record({
  value: fc.oneof(fc.anything(), fc.double(), fc.bigInt(), fc.string({ maxLength: 2000 })),
  sourceTimestamp: timestampArb,
  serverTimestamp: timestampArb,
  statusCode: fc.oneof(fc.constant(undefined), fc.nat({ max: 0xffffffff }), fc.integer(), fc.double(), fc.anything()),
}) as fc.Arbitrary<OpcuaDataValue>
/** A value a ventilator sends: Good, in range for the node (before scaling), stamped now. */
const goodArb = fc.record({
  node: fc.nat({ max: nodes.length - 1 }),
  fraction: fc.double({ min: 0, max: 1, noNaN: true }),
  ageMs: fc.nat({ max: 60_000 }),
})

test('fuzz: decodeOpcuaValue never throws and returns at most one bounded outcome', () => {
  fc.assert(
    fc.property(fc.nat({ max: nodes.length - 1 }), garbageArb, (n, dv) => {
      const d = decodeOpcuaValue(nodes[n]!, dv, NOW)
      assert.equal(d.observations.length + d.problems.length + (d.ignored?.length ?? 0), 1)
      for (const p of [...d.problems, ...(d.ignored ?? [])]) {
        assert.ok(p.reason.length <= 1024 && p.payload.length <= 4096, p.reason)
        assert.ok(p.code.startsWith('NEVA_OPCUA_'))
      }
      for (const o of d.observations) {
        const full = { ...o, gateway_id: 'gw', seq: 1 }
        assert.ok(observation.check(full), observation.explain(full))
      }
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: good values between garbage all decode, each to its own value', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(goodArb.map((g) => ({ good: g })), garbageArb.map((garbage) => ({ garbage }))), { maxLength: 40 }), (items) => {
      let expected = 0
      for (const item of items) {
        if ('good' in item) {
          const { node, fraction, ageMs } = item.good
          const m = nodes[node]!
          const raw = (m.vital.min + fraction * (m.vital.max - m.vital.min)) / m.scale
          const d = decodeOpcuaValue(m, { value: raw, sourceTimestamp: new Date(NOW - ageMs), statusCode: 0 }, NOW)
          assert.equal(d.observations.length, 1)
          assert.equal(d.observations[0]!.name, m.vital.name)
          assert.ok(Math.abs(d.observations[0]!.value! - raw * m.scale) < 1e-6)
          assert.equal(d.observations[0]!.device_time, NOW - ageMs)
          expected++
        } else {
          decodeOpcuaValue(nodes[0]!, item.garbage, NOW)
        }
      }
      assert.ok(expected <= items.length)
    }),
    { numRuns: fuzzRuns() },
  )
})

test('fuzz: validateOpcuaMapping refuses any JSON that is not a valid section with its own error', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (config) => {
      try {
        validateOpcuaMapping(config)
      } catch (err) {
        assert.ok(err instanceof OpcuaMappingError, String(err))
        assert.ok(err.problems.length >= 1 && err.problems.length <= 50)
      }
    }),
    { numRuns: fuzzRuns() },
  )
})
