// The delivered orders survive the store being closed and opened again (a gateway restart), per
// device; forgetting removes the row too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LabDeliveries } from './lab-deliveries.js'

test('kept across a reopen, per device; a deleted one is gone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-lab-deliveries-'))
  const first = LabDeliveries.open(dir)
  const chem = first.for('chem-1')
  chem.set('SP-1', 'accepted')
  chem.set('SP-2', 'rejected')
  chem.set('SP-3', 'accepted')
  first.for('hema-1').set('SP-1', 'accepted')
  chem.delete('SP-3')
  first.close()

  const again = LabDeliveries.open(dir)
  assert.deepEqual(Object.fromEntries(again.for('chem-1')), { 'SP-1': 'accepted', 'SP-2': 'rejected' })
  assert.deepEqual(again.for('hema-1').keys(), ['SP-1'])
  assert.equal(again.for('other').size, 0)
  again.close()
  assert.equal(LabDeliveries.memory().for('chem-1').size, 0)
})
