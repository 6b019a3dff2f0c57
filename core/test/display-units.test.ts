// The boards' display units (core/public/units.js): UCUM in, what clinicians read out; a rate per
// minute by what it counts, and only when the vital says so; an unknown unit shown as sent.
import { test } from 'node:test'
import assert from 'node:assert/strict'

const { displayUnit } = (await import(new URL('../public/units.js', import.meta.url).href)) as { displayUnit: (ucum: unknown, name?: string) => string }

test('UCUM codes shown as clinicians read them', () => {
  assert.deepEqual(
    [['Cel', 'temperature'], ['mm[Hg]', 'nibp_systolic'], ['L/min', 'o2_flow'], ['/min', 'respiratory_rate'], ['/min', 'ventilation_rate'], ['/min', 'heart_rate'], ['/min', 'pulse_rate'], ['cm[H2O]', 'peep'], ['%', 'spo2'], ['{ACVPU}', 'consciousness']].map(([u, n]) => displayUnit(u, n)),
    ['°C', 'mmHg', 'L/min', 'breaths/min', 'breaths/min', 'beats/min', 'beats/min', 'cmH₂O', '%', ''],
  )
})

test('a rate without its vital stays /min; a unit not listed is shown as sent; nothing is not a unit', () => {
  assert.equal(displayUnit('/min'), '/min')
  assert.equal(displayUnit('sec^^LOCAL'), 'sec^^LOCAL')
  assert.equal(displayUnit('constructor'), 'constructor')
  assert.equal(displayUnit(null), '')
})
