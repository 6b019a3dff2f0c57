import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { extractHourlyFeatures, HOURLY_FEATURES, type HourlyObservation, type HourlyParameter } from './hourly-features.js'
import { HISTORY_HOURS, HourlyHistory } from './hourly-history.js'

const PARAMS: HourlyParameter[] = ['pulse', 'respiratory_rate', 'systolic_bp', 'temperature', 'spo2', 'gcs', 'ventilated', 'fio2', 'urine', 'lactate']
const RANGE: Record<string, [number, number]> = { pulse: [30, 180], respiratory_rate: [4, 40], systolic_bp: [60, 220], temperature: [34, 41], spo2: [75, 100], gcs: [3, 15], ventilated: [0, 1], fio2: [0.21, 1], urine: [0, 500], lactate: [0.5, 12] }

/** Equal as the model sees them: both missing, or within rounding (standard deviations are one-pass). */
export function assertSameFeatures(got: Float64Array, want: Float64Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!
    if (Number.isNaN(b)) assert.ok(Number.isNaN(a), `${what}: ${HOURLY_FEATURES[i]!.name} is ${a}, expected missing`)
    else assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${HOURLY_FEATURES[i]!.name} is ${a}, expected ${b}`)
  }
}

const reading = fc.record({ minute: fc.integer({ min: 0, max: 72 * 60 }), parameter: fc.constantFrom(...PARAMS), u: fc.double({ min: 0, max: 1, noNaN: true }) })
  .map(({ minute, parameter, u }) => {
    const [lo, hi] = RANGE[parameter]!
    const value = parameter === 'ventilated' ? Math.round(u) : parameter === 'gcs' ? Math.round(lo + u * (hi - lo)) : lo + u * (hi - lo)
    return { minute, parameter, value } as HourlyObservation
  })

test('hourly aggregates give the features of every reading, at whole hours, readings in time order', () => {
  fc.assert(fc.property(fc.array(reading, { maxLength: 120 }), fc.integer({ min: 0, max: 72 }), fc.option(fc.integer({ min: 18, max: 95 })), (obs, hour, age) => {
    const now = hour * 60
    const sorted = obs.filter((o) => o.minute <= now).sort((a, b) => a.minute - b.minute)
    const h = new HourlyHistory()
    for (const o of sorted) h.add(o)
    h.prune(now)
    assertSameFeatures(h.features(now, age), extractHourlyFeatures(sorted, now, age), `${sorted.length} readings at ${hour} h`)
  }), {
    numRuns: 300,
    // Near-equal values: a sum of squares gave their spread as 1.3e-6 for 7.2e-12.
    examples: [[[{ minute: 0, parameter: 'spo2', value: 75.00000000001019 }, { minute: 0, parameter: 'spo2', value: 75 }], 0, null]],
  })
})

test('memory is bounded by hours, not readings: a reading a minute for 72 h keeps at most 48 h of buckets', () => {
  const h = new HourlyHistory()
  for (let m = 0; m <= 72 * 60; m++) {
    h.add({ minute: m, parameter: 'pulse', value: 80 + (m % 7) })
    h.add({ minute: m, parameter: 'spo2', value: 95 + (m % 3) })
    if (m % 60 === 0) h.prune(m)
  }
  // pulse, spo2 and the NEWS2 they make: three series of at most HISTORY_HOURS + 1 buckets.
  assert.ok(h.size() <= 3 * (HISTORY_HOURS + 1), `${h.size()} buckets`)
  const x = h.features(72 * 60, 60)
  assert.equal(x[HOURLY_FEATURES.findIndex((f) => f.name === 'pulse_count')], 72 * 60 + 1)
})

test('a history saved as JSON and restored scores the same, now and after more readings; a bad state is refused by name', () => {
  fc.assert(fc.property(fc.array(reading, { minLength: 1, maxLength: 120 }), fc.array(reading, { maxLength: 30 }), (before, after) => {
    const sorted = [...before].sort((a, b) => a.minute - b.minute)
    const split = sorted.at(-1)!.minute
    const later = after.map((o) => ({ ...o, minute: split + o.minute / 10 })).sort((a, b) => a.minute - b.minute)
    const a = new HourlyHistory()
    for (const o of sorted) a.add(o)
    const b = HourlyHistory.fromState(JSON.parse(JSON.stringify(a.toState())))
    assert.deepEqual(Array.from(b.features(split, 70)), Array.from(a.features(split, 70)))
    for (const o of later) { a.add(o); b.add(o) }
    const end = later.at(-1)?.minute ?? split
    assert.deepEqual(Array.from(b.features(end, null)), Array.from(a.features(end, null)))
  }), { numRuns: 60, seed: 15 })
  const empty = HourlyHistory.fromState(JSON.parse(JSON.stringify(new HourlyHistory().toState())))
  assert.equal(empty.size(), 0)
  assert.throws(() => HourlyHistory.fromState({ series: [['cholesterol', {}]], carried: [] }), /bad series cholesterol/)
  assert.throws(() => HourlyHistory.fromState({ series: [], carried: [['pulse', [1, 'x']]] }), /bad carried value/)
  assert.throws(() => HourlyHistory.fromState(null), /series and carried must be arrays/)
})
