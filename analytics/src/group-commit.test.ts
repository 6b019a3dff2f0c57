import { test } from 'node:test'
import assert from 'node:assert/strict'
import { groupCommit } from './group-commit.js'

test('a lone caller runs at once; callers arriving while it runs share the next round trip', async () => {
  const runs: number[][] = []
  let release!: () => void
  const gate = new Promise<void>((r) => { release = r })
  const double = groupCommit<number, number>(async (xs) => {
    runs.push(xs)
    if (runs.length === 1) await gate
    return xs.map((x) => x * 2)
  })
  const first = double(1)
  const rest = [double(2), double(3), double(4)]
  assert.deepEqual(runs, [[1]])
  release()
  assert.deepEqual(await Promise.all([first, ...rest]), [2, 4, 6, 8])
  assert.deepEqual(runs, [[1], [2, 3, 4]])
})

test('a failed round trip fails its own group only', async () => {
  let calls = 0
  const run = groupCommit<string, string>(async (xs) => {
    calls++
    if (calls === 1) throw new Error('ClickHouse unavailable')
    return xs
  })
  const failed = run('a')
  const next = run('b')
  await assert.rejects(failed, /ClickHouse unavailable/)
  assert.equal(await next, 'b')
})

test('a run that answers for the wrong number of items fails the group instead of misattributing', async () => {
  const run = groupCommit<number, number>(async () => [1])
  const a = run(1)
  const b = run(2)
  const c = run(3)
  await a
  await assert.rejects(Promise.all([b, c]), /2 items/)
})
