import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PatientState } from './patient-state.js'

const reading = (name: 'fio2' | 'o2_flow', value: number, t: number) => ({ name, value, device_time: t, flags: [] })

test('on oxygen: an O2 flow above 0, or an FiO2 above room air (21 %); a later reading wins', () => {
  const s = new PatientState()
  s.update(reading('fio2', 21, 1))
  assert.equal(s.vitalSet().on_oxygen, false)
  s.update(reading('fio2', 40, 2))
  assert.equal(s.vitalSet().on_oxygen, true)
  s.update(reading('o2_flow', 0, 3))
  assert.equal(s.vitalSet().on_oxygen, false)
  s.update(reading('o2_flow', 2, 4))
  assert.equal(s.vitalSet().on_oxygen, true)
  // An older reading arriving late changes nothing.
  s.update(reading('fio2', 21, 0))
  assert.equal(s.vitalSet().on_oxygen, true)
})

test('a coded metric beyond the named vitals (name "other": QTc, NIBP pulse rate) never feeds NEWS2', () => {
  const s = new PatientState()
  assert.equal(s.update({ name: 'other', value: 140, device_time: 1, flags: [] }), false)
  assert.deepEqual(Object.values(s.inputs()).filter((i) => i !== null), [])
})

test('a reading without a number (a text or coded state) never scores, even under a vital\'s name', () => {
  const s = new PatientState()
  assert.equal(s.update({ name: 'heart_rate', value: 80, device_time: 1, flags: [] }), true)
  assert.equal(s.update({ name: 'heart_rate', value: undefined, device_time: 2, flags: [] }), false)
  assert.equal(s.update({ name: 'other', value: undefined, device_time: 3, flags: [] }), false)
  assert.equal(s.vitalSet().pulse, 80)
})
