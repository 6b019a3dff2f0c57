// neva sim lab, short form: a handful of orders through the API, the gateway's downloads over
// socat pseudo-terminals to two simulated analyzers, their results matched at the core. Every
// order reaches its analyzer, every result finds its order, none lost or doubled; the turnaround
// per priority is reported (its figures are not asserted: they depend on the machine).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

test('neva sim lab --orders 6: every order reached its analyzer, every result found its order', async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(`${ROOT}bin/neva`, ['sim', 'lab', '--orders', '6', '--seed', '7', '--json'], { cwd: ROOT, timeout: 170_000 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)))
  })
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { orders: number; tests: number; reached_analyzer: number; matched: number; unmatched: number; doubled: number; lost: number; resulted_orders: number; turnaround_ms: Record<string, { n: number }> }
  assert.equal(r.orders, 6)
  assert.equal(r.reached_analyzer, 6)
  assert.equal(r.matched, r.tests)
  assert.deepEqual([r.unmatched, r.doubled, r.lost], [0, 0, 0])
  assert.equal(r.resulted_orders, 6)
  assert.equal(Object.values(r.turnaround_ms).reduce((a, t) => a + t.n, 0), 6)
  process.stdout.write(`# ${stdout.trim()}\n`)
})

test('neva sim lab --hl7: the day split between an ASTM analyzer and HL7 ones (OML^O21, ORM^O01), every result found its order', async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(`${ROOT}bin/neva`, ['sim', 'lab', '--orders', '5', '--seed', '3', '--hl7', '--json'], { cwd: ROOT, timeout: 170_000 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)))
  })
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { orders: number; tests: number; reached_analyzer: number; matched: number; unmatched: number; doubled: number; lost: number; by_protocol: Record<'astm' | 'hl7', { reached: number; result_messages: number }> }
  assert.equal(r.reached_analyzer, 5)
  assert.equal(r.matched, r.tests)
  assert.deepEqual([r.unmatched, r.doubled, r.lost], [0, 0, 0])
  assert.ok(r.by_protocol.hl7.reached > 0 && r.by_protocol.hl7.result_messages > 0, 'orders went over HL7')
  assert.ok(r.by_protocol.astm.reached > 0, 'and over ASTM')
  process.stdout.write(`# ${stdout.trim()}\n`)
})
