import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { TRIAGE_LEVELS } from '@neva/contracts'
import { finalLevel } from './floor.js'

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
