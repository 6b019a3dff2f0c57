import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { TRIAGE_LEVELS } from '@neva/contracts'
import { finalLevel, levelWithRisk, riskLevel } from './floor.js'

const rank = (l: string) => TRIAGE_LEVELS.indexOf(l as (typeof TRIAGE_LEVELS)[number])

test('the final level is never below NEWS2 and is one of the two verdicts', () => {
  fc.assert(
    fc.property(fc.constantFrom(...TRIAGE_LEVELS), fc.option(fc.constantFrom(...TRIAGE_LEVELS)), (news2, model) => {
      const level = finalLevel(news2, model)
      assert.ok(rank(level) >= rank(news2))
      if (model) assert.ok(rank(level) >= rank(model))
      assert.ok(level === news2 || level === model)
    }),
    { numRuns: 2000 },
  )
})

test('the risk raises NEWS2 only at its thresholds, never from sparse inputs, never lowers it', () => {
  const thr = fc.option(fc.double({ min: 0, max: 1, noNaN: true }))
  fc.assert(
    fc.property(fc.constantFrom(...TRIAGE_LEVELS), fc.double({ min: 0, max: 1, noNaN: true }), thr, thr, (news2, risk, a, b) => {
      const e = { yellow: a !== null && b !== null ? Math.min(a, b) : a, red: a !== null && b !== null ? Math.max(a, b) : b }
      const level = levelWithRisk(news2, { risk }, e)
      assert.ok(rank(level) >= rank(news2))
      if (rank(level) > rank(news2)) assert.ok((e.yellow !== null && risk >= e.yellow) || (e.red !== null && risk >= e.red))
      assert.equal(levelWithRisk(news2, { risk, sparse: 'few' }, e), news2)
      assert.equal(levelWithRisk(news2, { risk }, null), news2)
      assert.equal(levelWithRisk(news2, null, e), news2)
    }),
    { numRuns: 2000 },
  )
  assert.equal(riskLevel(0.5, { yellow: 0.3, red: 0.6 }), 'yellow')
  assert.equal(riskLevel(0.6, { yellow: 0.3, red: 0.6 }), 'red')
  assert.equal(riskLevel(0.2, { yellow: 0.3, red: null }), 'green')
})
