// The fault harness's defaults: a run long enough for its outage, a disk big enough for its backlog.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { diskMbFor, faultsSecondsFor } from '../src/faults/schedule.js'

test('faults: the run holds its outage between 10 % and 72 % of it; short outages keep three minutes', () => {
  assert.equal(faultsSecondsFor(600), 970)
  assert.ok(600 <= (0.72 - 0.1) * faultsSecondsFor(600))
  assert.equal(faultsSecondsFor(60), 180)
  assert.equal(faultsSecondsFor(0), 180)
})

test('faults: the tmpfs has room for a 10-minute backlog beside the 64 MB the disk fault needs', () => {
  // 5 devices × 10 messages/s × 4 readings × 600 s and 2 beds × 2 messages/s, about 1 KB each.
  assert.equal(diskMbFor({ devices: 5, rateHz: 10, beds: 2, outageS: 600 }), 64 + Math.ceil(122_400 / 1024))
  assert.equal(diskMbFor({ devices: 3, rateHz: 20, beds: 2, outageS: 0 }), 64)
})
