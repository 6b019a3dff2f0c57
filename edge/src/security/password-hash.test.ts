import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hashPassword, parsePasswordHash, verifyPassword } from './password-hash.js'
import { idMatcher } from './mqtt-access.js'

const FAST = { m: 64, t: 1, p: 1 }

test('argon2id PHC: a hash verifies its password only; salts differ; parameters travel in the string', async () => {
  const a = hashPassword('s3cret', FAST)
  const b = hashPassword('s3cret', FAST)
  assert.match(a, /^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  assert.notEqual(a, b)
  assert.equal(await verifyPassword('s3cret', parsePasswordHash(a)), true)
  assert.equal(await verifyPassword('s3cret ', parsePasswordHash(a)), false)
  assert.equal(await verifyPassword('', parsePasswordHash(a)), false)
  assert.deepEqual(parsePasswordHash(hashPassword('x', { m: 128, t: 2, p: 2 })).params, { m: 128, t: 2, p: 2 })
})

test('argon2id PHC: a string that is not one, or whose cost is absurd, is refused naming why', () => {
  const good = hashPassword('x', FAST)
  assert.throws(() => parsePasswordHash('hunter2'), /not an argon2id PHC string/)
  assert.throws(() => parsePasswordHash(good.replace('argon2id', 'argon2i')), /not an argon2id PHC string/)
  assert.throws(() => parsePasswordHash(good.replace('v=19', 'v=16')), /not an argon2id PHC string/)
  assert.throws(() => parsePasswordHash(good.replace('m=64', 'm=4')), /m=4 is outside/)
  assert.throws(() => parsePasswordHash(good.replace('t=1', 't=99')), /t=99 is outside/)
  assert.throws(() => parsePasswordHash(good.replace('m=64,t=1,p=1', 'm=64,t=1,p=16')), /at least 8 × p/)
})

test('device id patterns: exact ids and prefixes ending in *', () => {
  const m = idMatcher(['amb-7.*', 'icu-mon-2'])
  assert.deepEqual(['amb-7.p1-monitor', 'amb-7.', 'amb-70.p1', 'amb-9.p1', 'icu-mon-2', 'icu-mon-20'].map(m), [true, true, false, false, true, false])
})
