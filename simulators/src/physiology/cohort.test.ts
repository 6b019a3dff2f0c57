import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateCohort } from './cohort.js'
import { acuity } from './scenarios.js'

test('a cohort is reproducible from its seed and differs with another', () => {
  const a = generateCohort({ seed: 's1', patients: 20 })
  assert.deepEqual(a, generateCohort({ seed: 's1', patients: 20 }))
  assert.notDeepEqual(a, generateCohort({ seed: 's2', patients: 20 }))
})

test('patients span the scenarios, ages 18–95 and all three levels; labels come from severity', () => {
  const cohort = generateCohort({ seed: 'mix', patients: 300 })
  const scenarios = new Set(cohort.map((p) => p.scenario))
  for (const s of ['stable', 'sepsis', 'compensated_haemorrhage', 'copd_stable', 'copd_exacerbation']) assert.ok(scenarios.has(s as never), s)
  const ages = cohort.flatMap((p) => (p.age === null ? [] : [p.age]))
  assert.ok(Math.min(...ages) >= 18 && Math.max(...ages) <= 95)
  assert.ok(cohort.some((p) => p.age === null), 'some ages unknown')
  const levels = new Set(cohort.flatMap((p) => p.assessments.map((a) => a.acuity)))
  assert.deepEqual([...levels].sort(), ['green', 'red', 'yellow'])
  for (const p of cohort) {
    assert.equal(p.assessments.length, 12)
    for (const a of p.assessments) assert.equal(a.acuity, acuity(a.severity))
    for (let i = 1; i < p.readings.length; i++) assert.ok(p.readings[i]!.t >= p.readings[i - 1]!.t)
  }
  // Stable COPD is never deteriorating by ground truth.
  for (const p of cohort.filter((p) => p.scenario === 'copd_stable')) assert.ok(p.assessments.every((a) => a.acuity === 'green'))
})

test('compensated haemorrhage: the pulse climbs while the blood pressure holds', () => {
  const cohort = generateCohort({ seed: 'comp', patients: 400 })
  const p = cohort.find((p) => p.scenario === 'compensated_haemorrhage' && p.assessments.some((a) => a.acuity === 'yellow'))!
  const series = (name: string) => p.readings.filter((r) => r.parameter === name).map((r) => ({ t: r.t, v: r.value as number }))
  const firstYellow = p.assessments.find((a) => a.acuity === 'yellow')!.t
  const before = (s: Array<{ t: number; v: number }>, t: number) => s.filter((r) => r.t <= t).at(-1)!.v
  assert.ok(before(series('pulse'), firstYellow) > before(series('pulse'), 0) + 10)
  assert.ok(before(series('systolic_bp'), firstYellow) > 100)
})
