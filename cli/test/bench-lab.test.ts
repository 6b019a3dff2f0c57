// neva bench lab, short form: both matcher passes over the same seeded day reach the same
// decisions, and the ratio is reported (its figure is not asserted: it depends on the machine).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

test('neva bench lab --orders 8: per result and batched decide alike; the ratio is printed', async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(`${ROOT}bin/neva`, ['bench', 'lab', '--orders', '8', '--json'], { cwd: ROOT, timeout: 170_000 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)))
  })
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { orders: number; results: number; matched: number; unmatched: number; same_decisions: boolean; ratio: number }
  assert.deepEqual([r.orders, r.results, r.matched, r.unmatched, r.same_decisions], [8, 25, 24, 1, true])
  assert.ok(r.ratio > 0)
  process.stdout.write(`# ${stdout.trim()}\n`)
})
