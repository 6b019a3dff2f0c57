// The surveys' rules as pure functions: the schedule per regimen, the one-business-day review
// deadline, the answers' checks (fuzzed: any input is a clear refusal or valid answers, never a
// crash), the risk rules with their reasons, the home vitals' units and ranges.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { AnswerError, assessRisk, canonical, checkAnswers, DAY_MS, HomeVitalError, homeReadings, REGIMENS, reviewDeadline, scheduleOf, stateOf } from '@neva/core'

const START = Date.UTC(2026, 11, 1) // a Tuesday
const q21 = REGIMENS.q21d!

test('schedule: daily in the nadir (days 7–14), every 3 days otherwise; due on its day, overdue after', () => {
  const days = scheduleOf({ cycle_id: 'c1', patient_id: 'p', regimen: 'q21d', start_time: START, days: 21 }).map((s) => s.cycle_day)
  assert.deepEqual(days, [1, 4, 7, 8, 9, 10, 11, 12, 13, 14, 16, 19])
  const d9 = scheduleOf({ cycle_id: 'c1', patient_id: 'p', regimen: 'q21d', start_time: START, days: 21 }).find((s) => s.cycle_day === 9)!
  assert.equal(d9.response_id, 'c1:d9')
  assert.equal(d9.due_time, START + 8 * DAY_MS)
  assert.equal(stateOf(d9, d9.due_time - 1, false), 'upcoming')
  assert.equal(stateOf(d9, d9.due_time, false), 'due')
  assert.equal(stateOf(d9, d9.overdue_time, false), 'overdue')
  assert.equal(stateOf(d9, d9.overdue_time, true), 'answered')
  assert.deepEqual(scheduleOf({ cycle_id: 'x', patient_id: 'p', regimen: 'no-such', start_time: START, days: 21 }), [])
})

test('review deadline: one business day, weekends skipped', () => {
  const at = (d: number, h: number) => Date.UTC(2026, 11, d, h)
  assert.equal(reviewDeadline(at(1, 10)), at(2, 10)) // Tue → Wed
  assert.equal(reviewDeadline(at(4, 10)), at(7, 10)) // Fri → Mon
  assert.equal(reviewDeadline(at(5, 10)), at(8, 0)) // Sat → end of Monday
  assert.equal(reviewDeadline(at(6, 23)), at(8, 0)) // Sun → end of Monday
  assert.equal(reviewDeadline(at(7, 0)), at(8, 0)) // Mon 00:00 → Tue 00:00
})

test('answers: known items and attributes, integer grades, plausible temperatures; resend recognised', () => {
  const a = checkAnswers({ nausea: { severity: 2, frequency: 3 }, fever: { presence: 1, temperature_c: 38.24 } })
  assert.deepEqual(a, { nausea: { severity: 2, frequency: 3 }, fever: { presence: 1, temperature_c: 38.2 } })
  assert.equal(canonical(a), canonical({ fever: { temperature_c: 38.2, presence: 1 }, nausea: { frequency: 3, severity: 2 } }))
  for (const [bad, why] of [
    [{ headache: { severity: 1 } }, /unknown item/],
    [{ diarrhoea: { severity: 1 } }, /not asked/],
    [{ nausea: { severity: 5 } }, /0 to 4/],
    [{ nausea: { severity: 1.5 } }, /integer/],
    [{ nausea: { severity: '2' } }, /integer/],
    [{ fever: { temperature_c: 48 } }, /34 to 43/],
    [{}, /no item/],
    [[], /object/],
  ] as const) assert.throws(() => checkAnswers(bad), (e: Error) => e instanceof AnswerError && why.test(e.message))
  // A question left out stays out (missing is not 0).
  assert.deepEqual(checkAnswers({ pain: { frequency: 0 }, fever: { temperature_c: null, presence: 0 } }), { pain: { frequency: 0 }, fever: { presence: 0 } })
})

test('answers fuzzed: anything is valid answers or an AnswerError', () => {
  fc.assert(fc.property(fc.jsonValue(), fc.dictionary(fc.constantFrom('nausea', 'fever', 'rash', 'pain', 'x'), fc.dictionary(fc.constantFrom('severity', 'frequency', 'presence', 'temperature_c', 'y'), fc.oneof(fc.integer({ min: -2, max: 6 }), fc.double(), fc.string(), fc.constant(null)))), (junk, shaped) => {
    for (const input of [junk, shaped]) {
      try {
        checkAnswers(input)
      } catch (e) {
        if (!(e instanceof AnswerError)) throw e
      }
    }
  }), { numRuns: 500 })
})

test('risk: fever in the neutropenic window is high at once, with its reason; the same fever on day 2 is medium', () => {
  const fever = { fever: { presence: 1, temperature_c: 38.3 } }
  const d9 = assessRisk(checkAnswers(fever), 9, q21)
  assert.equal(d9.level, 'high')
  assert.match(d9.reasons[0]!.text, /38\.3 °C on cycle day 9, in the neutropenic window/)
  assert.deepEqual(d9.reasons.map((r) => r.rule), ['neutropenic-fever'])
  const d2 = assessRisk(checkAnswers(fever), 2, q21)
  assert.equal(d2.level, 'medium')
  assert.deepEqual(d2.reasons.map((r) => r.rule), ['fever'])
  assert.equal(assessRisk(checkAnswers({ fever: { presence: 1, temperature_c: 37.9 } }), 9, q21).level, 'none')
})

test('risk: severe on any item high; several moderate medium; one moderate low; none none', () => {
  const severe = assessRisk(checkAnswers({ mouth_sores: { severity: 3 } }), 3, q21)
  assert.equal(severe.level, 'high')
  assert.deepEqual(severe.reasons.map((r) => r.text), ['Sores in the mouth or throat: severity severe'])
  const several = assessRisk(checkAnswers({ nausea: { severity: 2 }, fatigue: { severity: 2 } }), 3, q21)
  assert.equal(several.level, 'medium')
  assert.ok(several.reasons.some((r) => r.text === '2 symptoms moderate or worse'))
  assert.equal(assessRisk(checkAnswers({ nausea: { severity: 2 } }), 3, q21).level, 'low')
  assert.equal(assessRisk(checkAnswers({ nausea: { severity: 1, frequency: 1 } }), 3, q21).level, 'none')
  assert.equal(assessRisk(checkAnswers({ diarrhoea: { frequency: 4 } }), 3, q21).level, 'high')
})

test('home vitals: units converted, implausible refused naming the field, clinic limits flagged, patient_reported', () => {
  const now = Date.UTC(2026, 11, 3, 8)
  const r = homeReadings('p1', { id: 'a1', time: now - 60_000, values: { systolic_bp: { value: 185, unit: 'mmHg' }, diastolic_bp: { value: 95, unit: 'mm[Hg]' }, glucose: { value: 90, unit: 'mg/dL' }, weight: { value: 154, unit: 'lb' } } }, now)
  const by = Object.fromEntries(r.map((x) => [x.key, x]))
  assert.equal(by.systolic_bp!.observation.unit, 'mm[Hg]')
  assert.match(by.systolic_bp!.outOfRange!, /systolic blood pressure 185 mm\[Hg\], at or above 180/)
  assert.equal(by.diastolic_bp!.outOfRange, null)
  assert.equal(by.glucose!.observation.value, 5)
  assert.equal(by.weight!.observation.value, 69.85)
  for (const x of r) {
    assert.deepEqual(x.observation.flags, ['patient_reported'])
    assert.equal(x.observation.source, 'patient_app')
  }
  // The same submission gives the same identities (stored once when sent twice).
  assert.deepEqual(homeReadings('p1', { id: 'a1', time: now - 60_000, values: { systolic_bp: { value: 185, unit: 'mmHg' } } }, now)[0]!.observation.seq, by.systolic_bp!.observation.seq)
  for (const [values, why] of [
    [{ spo2: { value: 140, unit: '%' } }, /spo2 outside 50–100/],
    [{ pulse: { value: 80, unit: 'Hz' } }, /pulse: unit must be/],
    [{ height: { value: 180, unit: 'cm' } }, /not a home vital/],
    [{ systolic_bp: { value: 80, unit: 'mmHg' }, diastolic_bp: { value: 90, unit: 'mmHg' } }, /below systolic/],
    [{}, /no value/],
  ] as const) assert.throws(() => homeReadings('p1', { id: 'b', time: now, values: values as never }, now), (e: Error) => e instanceof HomeVitalError && why.test(e.message))
  assert.throws(() => homeReadings('p1', { id: 'b', time: now + 3600_000, values: { pulse: { value: 70, unit: '/min' } } }, now), /future/)
})
