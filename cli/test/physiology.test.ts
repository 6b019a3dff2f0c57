import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SCENARIOS, SimulatedPatient } from '@neva/simulators'

import { news2 } from '@neva/edge'

const run = (spec: ConstructorParameters<typeof SimulatedPatient>[0], seconds: number) => {
  const p = new SimulatedPatient(spec)
  return Array.from({ length: seconds }, () => p.step(1))
}

test('the same seed gives the same patient, second by second; another seed another patient', () => {
  const a = run({ id: 'p1', scenario: 'sepsis', seed: 42 }, 120)
  const b = run({ id: 'p1', scenario: 'sepsis', seed: 42 }, 120)
  const c = run({ id: 'p1', scenario: 'sepsis', seed: 43 }, 120)
  assert.deepEqual(a, b)
  assert.notDeepEqual(a, c)
})

test('a stable patient stays green, by ground truth and by NEWS2 most of the time', () => {
  const samples = run({ id: 's', scenario: 'stable', seed: 1 }, 900)
  assert.ok(samples.every((s) => s.acuity === 'green'))
  const scores = samples.map((s) => news2({ respiratory_rate: s.respiratory_rate, spo2: s.spo2, on_oxygen: s.o2_flow > 0, systolic_bp: s.nibp_systolic, pulse: s.heart_rate, consciousness: s.consciousness, temperature: s.temperature }))
  assert.ok(scores.filter((r) => r.level === 'green').length / scores.length > 0.95)
})

for (const scenario of SCENARIOS.filter((s) => s !== 'stable')) {
  test(`${scenario}: ground-truth acuity rises from green to red over the course, and NEWS2 follows`, () => {
    const samples = run({ id: 'd', scenario, seed: 3, onsetS: 60, courseS: 600 }, 900)
    assert.equal(samples[30]!.acuity, 'green')
    assert.equal(samples.at(-1)!.acuity, 'red')
    const firstRed = samples.findIndex((s) => s.acuity === 'red')
    const yellowBefore = samples.findIndex((s) => s.acuity === 'yellow')
    assert.ok(yellowBefore > 0 && yellowBefore < firstRed, 'passes through yellow')
    const scoreAt = (i: number) => { const s = samples[i]!; return news2({ respiratory_rate: s.respiratory_rate, spo2: s.spo2, on_oxygen: s.o2_flow > 0, systolic_bp: s.nibp_systolic, pulse: s.heart_rate, consciousness: s.consciousness, temperature: s.temperature }).score }
    assert.ok(scoreAt(899) >= scoreAt(30) + 5, `NEWS2 ${scoreAt(30)} → ${scoreAt(899)}`)
  })
}

test('vitals stay within what the gateway accepts', () => {
  for (const scenario of SCENARIOS) {
    for (const s of run({ id: 'r', scenario, seed: 9, onsetS: 0, courseS: 300 }, 600)) {
      assert.ok(s.spo2 <= 100 && s.spo2 > 50, `spo2 ${s.spo2}`)
      assert.ok(s.heart_rate > 20 && s.heart_rate < 250)
      assert.ok(s.nibp_diastolic < s.nibp_systolic)
    }
  }
})
