// The core's error catalog: templates, appended details, the analyst path's refusals passed through.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AnalystError } from '@neva/analytics'
import { ANALYST_HTTP_STATUS, CORE_ERRORS, CoreError } from '@neva/core'

test('a detail fills a %s template or is appended after a colon; the status comes from the catalog', () => {
  const unknown = new CoreError('NEVA_CORE_DX_UNKNOWN_PATIENT', 'p-1')
  assert.equal(unknown.message, 'patient p-1 is not in the record')
  assert.equal(unknown.statusCode, 404)
  assert.equal(new CoreError('NEVA_ANALYST_RATE_LIMITED', '3').message, 'too many analyst queries; retry in 3 s')
  assert.equal(new CoreError('NEVA_CORE_NOT_FOUND', 'p-2').message, 'nothing is known about this patient: p-2')
  assert.equal(new CoreError('NEVA_CORE_DX_NO_MODEL').statusCode, 503)
})

test('an analyst refusal keeps its code and message; 503 only when the analyst path cannot run', () => {
  const refused = CoreError.analyst(new AnalystError('NEVA_ANALYST_TABLE', 'system.users'))
  assert.equal(refused.code, 'NEVA_ANALYST_TABLE')
  assert.equal(refused.statusCode, 400)
  assert.match(refused.message, /views may be read: system\.users$/)
  assert.equal(CoreError.analyst(new AnalystError('NEVA_ANALYST_AUDIT_UNAVAILABLE')).statusCode, 503)
  assert.equal(ANALYST_HTTP_STATUS.NEVA_ANALYST_NO_USER, 503)
})

test('every code is spelled NEVA_CORE_* or NEVA_ANALYST_*, with a status and a message', () => {
  for (const [code, { status, message }] of Object.entries(CORE_ERRORS)) {
    assert.match(code, /^NEVA_(CORE|ANALYST)_[A-Z_]+$/)
    assert.ok(status >= 400 && status < 600, code)
    assert.ok(message.length > 0, code)
  }
})
