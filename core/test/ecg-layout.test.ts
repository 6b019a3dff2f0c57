// The board's ECG layout (core/public/ecg.js) for any lead set: the 12-lead grid for standard
// leads, a strip per lead for any other set (MIT-BIH's MLII and V5, PTB's 15 leads).
import { test } from 'node:test'
import assert from 'node:assert/strict'

const { ecgLayout } = (await import(new URL('../public/ecg.js', import.meta.url).href)) as { ecgLayout: (leads: string[]) => { grid: string[][] | null; strips: string[] } }

test('standard leads: the 12-lead grid and the lead II rhythm strip', () => {
  const l = ecgLayout(['V1', 'I', 'II', 'II'])
  assert.equal(l.grid?.length, 3)
  assert.deepEqual(l.strips, ['II'])
})

test('any other lead set: a strip per lead, the standard ones first in their order, then the others as sent', () => {
  assert.deepEqual(ecgLayout(['MLII', 'V5']), { grid: null, strips: ['V5', 'MLII'] })
  const ptb = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'vx', 'vy', 'vz']
  assert.deepEqual(ecgLayout([...ptb].reverse()).strips, [...ptb.slice(0, 12), 'vz', 'vy', 'vx'])
})
