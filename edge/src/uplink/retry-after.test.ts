import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { retryAfterMs } from './retry-after.js'

test('Retry-After: seconds or an HTTP-date, capped; anything else is not understood', () => {
  const now = Date.UTC(2026, 11, 3, 12, 0, 0)
  assert.equal(retryAfterMs('1', now, 30_000), 1000)
  assert.equal(retryAfterMs(' 7 ', now, 30_000), 7000)
  assert.equal(retryAfterMs('3600', now, 30_000), 30_000)
  assert.equal(retryAfterMs('Thu, 03 Dec 2026 12:00:05 GMT', now, 30_000), 5000)
  assert.equal(retryAfterMs('Thu, 03 Dec 2026 11:59:00 GMT', now, 30_000), 0)
  assert.equal(retryAfterMs(['2', '9'], now, 30_000), 2000)
  for (const bad of [undefined, '', '-1', '1.5', 'soon', '99999999999', 'next Tuesday']) assert.equal(retryAfterMs(bad, now, 30_000), undefined, String(bad))
})

test('Retry-After: any text gives undefined or a wait from 0 to the cap', () => {
  fc.assert(fc.property(fc.string(), fc.integer({ min: 1, max: 600_000 }), (text, cap) => {
    const ms = retryAfterMs(text, Date.now(), cap)
    return ms === undefined || (ms >= 0 && ms <= cap)
  }))
})
