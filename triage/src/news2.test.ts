import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { news2, news2Level, roundHalfAway, type VitalSet } from './news2.js'

// Every band of the RCP chart as [low, high, score], inclusive, after rounding.
const RR: Array<[number, number, number]> = [[0, 8, 3], [9, 11, 1], [12, 20, 0], [21, 24, 2], [25, 100, 3]]
const SPO2_1: Array<[number, number, number]> = [[0, 91, 3], [92, 93, 2], [94, 95, 1], [96, 100, 0]]
const SBP: Array<[number, number, number]> = [[0, 90, 3], [91, 100, 2], [101, 110, 1], [111, 219, 0], [220, 350, 3]]
const PULSE: Array<[number, number, number]> = [[0, 40, 3], [41, 50, 1], [51, 90, 0], [91, 110, 1], [111, 130, 2], [131, 350, 3]]
const TEMP: Array<[number, number, number]> = [[20, 35.0, 3], [35.1, 36.0, 1], [36.1, 38.0, 0], [38.1, 39.0, 1], [39.1, 46, 2]]

function bandsCheck(key: keyof VitalSet, bands: Array<[number, number, number]>, sub: string, extra: VitalSet = {}) {
  for (const [low, high, score] of bands) {
    for (const v of [low, high]) {
      const r = news2({ ...extra, [key]: v })
      assert.equal((r.subscores as Record<string, number | null>)[sub], score, `${key}=${v} should score ${score}`)
    }
  }
}

test('respiration rate: every band boundary', () => bandsCheck('respiratory_rate', RR, 'respiratory_rate'))
test('SpO2 scale 1: every band boundary', () => bandsCheck('spo2', SPO2_1, 'spo2'))
test('systolic BP: every band boundary', () => bandsCheck('systolic_bp', SBP, 'systolic_bp'))
test('pulse: every band boundary', () => bandsCheck('pulse', PULSE, 'pulse'))
test('temperature: every band boundary', () => bandsCheck('temperature', TEMP, 'temperature'))

test('SpO2 scale 2: boundaries on air and on oxygen', () => {
  const onAir: Array<[number, number, number]> = [[0, 83, 3], [84, 85, 2], [86, 87, 1], [88, 92, 0], [93, 100, 0]]
  const onO2: Array<[number, number, number]> = [[0, 83, 3], [84, 85, 2], [86, 87, 1], [88, 92, 0], [93, 94, 1], [95, 96, 2], [97, 100, 3]]
  bandsCheck('spo2', onAir, 'spo2', { spo2_scale: 2, on_oxygen: false })
  bandsCheck('spo2', onO2, 'spo2', { spo2_scale: 2, on_oxygen: true })
})

test('SpO2 scale 2 at 93 % or more with oxygen unknown is undetermined, not 0', () => {
  const r = news2({ spo2: 95, spo2_scale: 2 })
  assert.equal(r.subscores.spo2, null)
  assert.equal(r.partial, true)
  assert.equal(news2({ spo2: 90, spo2_scale: 2 }).subscores.spo2, 0)
})

test('air or oxygen scores 2 on oxygen, 0 on air', () => {
  assert.equal(news2({ on_oxygen: true }).subscores.on_oxygen, 2)
  assert.equal(news2({ on_oxygen: false }).subscores.on_oxygen, 0)
})

test('consciousness: alert 0, new confusion, voice, pain, unresponsive 3', () => {
  assert.equal(news2({ consciousness: 'A' }).subscores.consciousness, 0)
  for (const c of ['C', 'V', 'P', 'U'] as const) assert.equal(news2({ consciousness: c }).subscores.consciousness, 3)
})

test('rounding: halves away from zero before banding; temperature to one decimal', () => {
  assert.equal(news2({ respiratory_rate: 8.5 }).subscores.respiratory_rate, 1) // 9
  assert.equal(news2({ respiratory_rate: 8.49 }).subscores.respiratory_rate, 3) // 8
  assert.equal(news2({ respiratory_rate: 20.5 }).subscores.respiratory_rate, 2) // 21
  assert.equal(news2({ spo2: 95.5 }).subscores.spo2, 0) // 96
  assert.equal(news2({ systolic_bp: 90.5 }).subscores.systolic_bp, 2) // 91
  assert.equal(news2({ systolic_bp: 219.5 }).subscores.systolic_bp, 3) // 220
  assert.equal(news2({ pulse: 90.5 }).subscores.pulse, 1) // 91
  assert.equal(news2({ pulse: 40.4 }).subscores.pulse, 3) // 40
  assert.equal(news2({ temperature: 35.05 }).subscores.temperature, 1) // 35.1
  assert.equal(news2({ temperature: 35.04 }).subscores.temperature, 3) // 35.0
  assert.equal(news2({ temperature: 38.05 }).subscores.temperature, 1) // 38.1
  assert.equal(news2({ temperature: 36.05 }).subscores.temperature, 0) // 36.1
  assert.equal(roundHalfAway(-2.5), -3)
  assert.equal(roundHalfAway(36.05, 1), 36.1)
})

test('missing parameters are reported missing, never scored 0', () => {
  const r = news2({ pulse: 72 })
  assert.equal(r.partial, true)
  assert.equal(r.subscores.respiratory_rate, null)
  assert.deepEqual(r.missing, ['respiratory_rate', 'spo2', 'on_oxygen', 'systolic_bp', 'consciousness', 'temperature'])
  const nulls = news2({ pulse: 72, spo2: null, temperature: null, respiratory_rate: Number.NaN })
  assert.equal(nulls.subscores.spo2, null)
  assert.equal(nulls.subscores.respiratory_rate, null)
  const full = news2({ respiratory_rate: 16, spo2: 97, on_oxygen: false, systolic_bp: 120, pulse: 72, consciousness: 'A', temperature: 37 })
  assert.equal(full.partial, false)
  assert.deepEqual(full.missing, [])
  assert.equal(full.score, 0)
})

test('levels: red at 7, yellow at 5–6 or a single 3, green otherwise', () => {
  assert.equal(news2Level(7, [2, 2, 2, 1]), 'red')
  assert.equal(news2Level(6, [2, 2, 2]), 'yellow')
  assert.equal(news2Level(5, [2, 2, 1]), 'yellow')
  assert.equal(news2Level(4, [1, 3]), 'yellow')
  assert.equal(news2Level(4, [2, 2]), 'green')
  assert.equal(news2Level(0, [null, null]), 'green')
  // A single 3 from consciousness alone
  assert.equal(news2({ consciousness: 'V', pulse: 70 }).level, 'yellow')
  // RR 25 (3) + pulse 131 (3) + temp 39.1 (2) = 8
  const r = news2({ respiratory_rate: 25, pulse: 131, temperature: 39.1 })
  assert.equal(r.score, 8)
  assert.equal(r.level, 'red')
})

// An independent reading of the chart: value → band by table lookup, summed; compared with
// news2() on hundreds of random vital sets, including halves, decimals and missing values.
function reference(v: VitalSet): { score: number; level: string } {
  const band = (x: number, bands: Array<[number, number, number]>) => bands.find(([lo, hi]) => x >= lo && x <= hi)![2]
  const r0 = (x: number) => (x >= 0 ? Math.floor(x + 0.5) : -Math.floor(-x + 0.5))
  const subs: number[] = []
  if (v.respiratory_rate != null) subs.push(band(r0(v.respiratory_rate), RR))
  if (v.spo2 != null && (v.spo2_scale ?? 1) === 1) subs.push(band(r0(v.spo2), SPO2_1))
  if (v.on_oxygen != null) subs.push(v.on_oxygen ? 2 : 0)
  if (v.systolic_bp != null) subs.push(band(r0(v.systolic_bp), SBP))
  if (v.pulse != null) subs.push(band(r0(v.pulse), PULSE))
  if (v.consciousness != null) subs.push(v.consciousness === 'A' ? 0 : 3)
  if (v.temperature != null) subs.push(band(Math.round(Number(`${v.temperature}e1`)) / 10, TEMP))
  const score = subs.reduce((a, b) => a + b, 0)
  return { score, level: score >= 7 ? 'red' : score >= 5 || subs.includes(3) ? 'yellow' : 'green' }
}

test('agrees with an independent reading of the chart on random vital sets (scale 1)', () => {
  const tenth = (lo: number, hi: number) => fc.integer({ min: lo * 10, max: hi * 10 }).map((x) => x / 10)
  const half = (lo: number, hi: number) => fc.integer({ min: lo * 2, max: hi * 2 }).map((x) => x / 2)
  const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 5 })
  fc.assert(
    fc.property(
      fc.record({
        respiratory_rate: maybe(half(0, 60)),
        spo2: maybe(half(60, 100)),
        on_oxygen: maybe(fc.boolean()),
        systolic_bp: maybe(half(50, 260)),
        pulse: maybe(half(20, 200)),
        consciousness: maybe(fc.constantFrom('A', 'C', 'V', 'P', 'U' as const)),
        temperature: maybe(fc.oneof(tenth(32, 42), fc.integer({ min: 3200, max: 4200 }).map((x) => x / 100))),
      }),
      (v) => {
        const got = news2(v)
        const want = reference(v)
        assert.equal(got.score, want.score)
        assert.equal(got.level, want.level)
        assert.equal(got.partial, Object.values(v).some((x) => x === undefined) || Object.keys(v).length < 7)
      },
    ),
    { numRuns: 500, seed: 20261125 },
  )
})

test('rounding holds for numbers written in exponent notation', () => {
  assert.equal(roundHalfAway(5e-324), 0)
  assert.equal(roundHalfAway(1e21), 1e21)
  assert.equal(roundHalfAway(-2.5e-7, 1), -0)
  assert.equal(news2({ respiratory_rate: 1e-9, spo2: 97 }).subscores.respiratory_rate, 3)
})
