// FIGO 2015 CTG classification at the edge: every simulated pattern classified as its generator
// intends, signal loss never read as a heart rate, a pathological trace raising an alarm of the
// ordinary kind, and the real CTU-UHB records (../shared, skipped when absent) decoded and
// classified with reasons. The outcome (pH, Apgar) is reported in docs/ctg.md, not asserted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Alarm, validator } from '@neva/contracts'
import { readWfdbRecord } from '@neva/firmware-adapters'
import { classifyCtg, classifyCtgAtEdge, ctgOutcome, ctgTraceFromWfdb, fhrFromBpm } from '@neva/edge'
import { CTG_INTENDED, CTG_PATTERNS, simulateCtg, type CtgPattern } from '@neva/simulators'

const REAL = fileURLToPath(new URL('../../../shared/fixtures/real/ctg/', import.meta.url))
const trace = (p: CtgPattern, seed?: string) => {
  const s = simulateCtg(p, seed === undefined ? {} : { seed })
  return { hz: s.hz, fhr: fhrFromBpm(s.fhr), uc: Float64Array.from(s.uc) }
}
const alarm = validator(Alarm)

for (const pattern of CTG_PATTERNS) {
  test(`simulated ${pattern}: classified ${CTG_INTENDED[pattern]}, as generated (three seeds)`, () => {
    for (const seed of ['a', 'b', 'c']) {
      const c = classifyCtg(trace(pattern, `${pattern}-${seed}`))
      assert.equal(c.classification, CTG_INTENDED[pattern], `${seed}: ${c.reasons.join('; ')}`)
      assert.ok(c.reasons.length > 0)
    }
  })
}

test('each pattern is recognised for its own reason', () => {
  const reasons = (p: CtgPattern) => classifyCtg(trace(p)).reasons.join('; ')
  assert.match(reasons('reduced-variability'), /reduced variability/)
  assert.match(reasons('late-decelerations'), /repetitive late/)
  assert.match(reasons('variable-decelerations'), /repetitive decelerations \(\d+ variable/)
  assert.match(reasons('tachycardia'), /tachycardia: baseline 170 bpm/)
  assert.match(reasons('sinusoidal'), /sinusoidal pattern/)
  const normal = classifyCtg(trace('normal'))
  assert.equal(normal.baseline_bpm, 140)
  assert.match(normal.reasons.join('; '), /^baseline 140 bpm \(110–160\); variability \d+(\.\d)? bpm /)
  assert.ok(normal.accelerations > 0)
})

test('signal loss: FHR 0 is missing, never a bradycardia or a deceleration; the loss is said', () => {
  const c = classifyCtg(trace('signal-loss'))
  assert.equal(c.baseline_bpm, 140)
  assert.ok(c.signal_loss_pct > 20)
  assert.match(c.notes.join(), /signal loss: \d+(\.\d)?% of the FHR samples are missing/)
  assert.ok(!c.decelerations.some((d) => d.depth_bpm > 60))
  // All of it lost: nothing to call normal, and nothing pathological made up from zeros.
  const none = classifyCtg({ hz: 4, fhr: fhrFromBpm(new Array(4 * 1200).fill(0)), uc: new Float64Array(4 * 1200) })
  assert.equal(none.classification, 'suspicious')
  assert.equal(none.baseline_bpm, null)
  assert.match(none.reasons[0]!, /too little signal/)
})

test('a pathological classification at the edge raises a valid high-priority alarm; a normal one none', () => {
  const ctx = { gatewayId: 'gw-1', seq: 7, deviceId: 'fm-1', patientId: 'p-1', receivedTime: Date.UTC(2026, 11, 3) }
  const late = classifyCtgAtEdge(trace('late-decelerations'), ctx)
  assert.ok(late.alarm)
  assert.ok(alarm.check(late.alarm), alarm.explain(late.alarm))
  assert.equal(late.alarm.priority, 'high')
  assert.match(late.alarm.event_text!, /^CTG pathological \(FIGO 2015\): repetitive late/)
  assert.equal(classifyCtgAtEdge(trace('normal'), ctx).alarm, null)
})

test('the 10 real CTU-UHB records decode (checksums), classify with reasons and carry their outcome', { skip: !existsSync(REAL) && 'no ../shared/fixtures/real/ctg' }, () => {
  for (let n = 1001; n <= 1010; n++) {
    const r = readWfdbRecord(`${REAL}${n}.hea`)
    assert.ok(r.ok)
    assert.deepEqual(r.record.problems, [])
    const t = ctgTraceFromWfdb(r.record)
    assert.ok(t)
    const c = classifyCtg(t)
    assert.ok(['normal', 'suspicious', 'pathological'].includes(c.classification))
    assert.ok(c.reasons.length > 0, `${n}`)
    assert.ok(c.baseline_bpm !== null && c.baseline_bpm >= 90 && c.baseline_bpm <= 180, `${n}: baseline ${c.baseline_bpm}`)
    const o = ctgOutcome(r.record.header.comments)
    assert.ok(o.ph !== null && o.apgar1 !== null && o.apgar5 !== null, `${n}: outcome`)
  }
})
