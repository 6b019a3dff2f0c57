// Per key, one at a time in call order; other keys run alongside; an error frees the key; idle
// keys are forgotten.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { KeyedMutex } from './keyed-mutex.js'

const tick = () => new Promise((r) => setImmediate(r))

test('holders of one key run one at a time, in order; another key does not wait', async () => {
  const m = new KeyedMutex()
  const log: string[] = []
  const job = (name: string, key: string) => m.run(key, async () => {
    log.push(`${name}+`)
    await tick()
    await tick()
    log.push(`${name}-`)
    return name
  })
  const results = await Promise.all([job('a1', 'a'), job('a2', 'a'), job('b1', 'b'), job('a3', 'a')])
  assert.deepEqual(results, ['a1', 'a2', 'b1', 'a3'])
  const a = log.filter((l) => l.startsWith('a'))
  assert.deepEqual(a, ['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-'])
  assert.ok(log.indexOf('b1+') < log.indexOf('a1-'), 'b ran beside a')
  await tick()
  assert.equal(m.size, 0)
})

test('an error is its caller\'s and frees the key', async () => {
  const m = new KeyedMutex()
  const failing = m.run('k', async () => { throw new Error('no') })
  const next = m.run('k', async () => 'ran')
  await assert.rejects(failing, /no/)
  assert.equal(await next, 'ran')
})
