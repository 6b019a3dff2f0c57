import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { ModelManifest } from '@neva/contracts'
import { packVerdicts, verdictAt } from './verdicts.js'

const F = 12
const manifest = {
  id: 'm', version: '1', thresholds: { red: 0.5, yellow: 0.5 },
  features: Array.from({ length: F }, (_, i) => ({ name: `f${i}`, unit: '1', description: '', mean: 0, std: 1, impute: 0 })),
} as unknown as ModelManifest

test('drivers: the features adding most to the chosen level over the others, largest first, at most five', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: F * 3, maxLength: F * 3 }), fc.constantFrom(0, 1, 2), (contrib, winner) => {
      const probabilities = Float32Array.from([0.1, 0.1, 0.1])
      probabilities[winner] = 0.8
      const raw = Float64Array.from({ length: F }, (_, i) => (i % 4 === 0 ? NaN : i))
      const v = verdictAt(manifest, packVerdicts({ probabilities, contributions: Float32Array.from(contrib) }, 1, F, manifest.thresholds), 0, raw)
      const c = ['green', 'yellow', 'red'].indexOf(v.level)
      const c32 = Float32Array.from(contrib)
      // The others summed as the worker sums them: (a + b + c) - c is not a + b in floating point,
      // and the difference reorders near-ties.
      const others = (i: number) => [0, 1, 2].filter((j) => j !== c).reduce((sum, j) => sum + c32[i * 3 + j]!, 0)
      const expected = Array.from({ length: F }, (_, i) => ({ i, d: c32[i * 3 + c]! - others(i) / 2 }))
        .filter((x) => x.d > 0)
        .sort((a, b) => b.d - a.d)
        .slice(0, 5)
      assert.deepEqual(v.drivers.map((d) => d.feature), expected.map((x) => `f${x.i}`))
      for (const d of v.drivers) assert.equal(d.value, Number.isNaN(raw[Number(d.feature.slice(1))]!) ? null : Number(d.feature.slice(1)))
    }),
    { numRuns: 500 },
  )
})
