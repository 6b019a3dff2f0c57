import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as tick } from 'node:timers/promises'
import { MqttFlow } from './mqtt-flow.js'

/** aedes' Client as mqtt-flow sees it: its read gate, pause and resume, and the reads made. */
function fakeClient() {
  const c = {
    _parsingBatch: 0,
    _paused: false,
    reads: 0,
    _nextBatch() {
      if (c._paused) return
      c._parsingBatch--
      if (c._parsingBatch <= 0) {
        c._parsingBatch = 0
        c.reads++
      }
    },
    pause() { c._paused = true },
    resume() {
      c._paused = false
      c._nextBatch()
    },
  }
  return c
}

test('under the bound, the next chunk is read while publishes wait for durability', async () => {
  const flow = new MqttFlow({ maxPendingPerConnection: 10, maxPendingTotal: 100 })
  const c = fakeClient()
  c._parsingBatch = 3
  const settle = [flow.hold(c), flow.hold(c), flow.hold(c)]
  assert.equal(c.reads, 0, 'not from inside the parse')
  await tick()
  assert.equal(c.reads, 1)
  assert.equal(flow.status().pending, 3)
  for (const s of settle) s()
  assert.deepEqual(flow.status(), { pending: 0, pending_max: 3, paused_connections: 0, pauses: 0, max_pending_per_connection: 10, max_pending_total: 100 })
})

test('at the bound, the connection is paused until half the bound is left; pauses are counted', async () => {
  const flow = new MqttFlow({ maxPendingPerConnection: 4, maxPendingTotal: 100 })
  const c = fakeClient()
  c._parsingBatch = 4
  const settle = [flow.hold(c), flow.hold(c), flow.hold(c), flow.hold(c)]
  await tick()
  assert.equal(c.reads, 0, 'not read at the bound')
  assert.equal(c._paused, true)
  assert.deepEqual([flow.status().paused_connections, flow.status().pauses], [1, 1])
  settle[0]!()
  await tick()
  assert.equal(c.reads, 0, 'three left of four: still paused')
  settle[1]!()
  await tick()
  assert.equal(c.reads, 1, 'read again at half the bound')
  assert.equal(c._paused, false)
  assert.equal(flow.status().paused_connections, 0)
  settle[2]!()
  settle[3]!()
  assert.equal(flow.status().pending, 0)
})

test('the total bound holds across connections, and lets them go when the gateway is below half', async () => {
  const flow = new MqttFlow({ maxPendingPerConnection: 10, maxPendingTotal: 3 })
  const a = fakeClient()
  const b = fakeClient()
  const settle = [flow.hold(a), flow.hold(a), flow.hold(b), flow.hold(b)]
  await tick()
  assert.equal(a.reads, 1, 'under the total when its publishes came')
  assert.equal(b.reads, 0, 'at the total')
  assert.equal(flow.status().pauses, 1)
  settle[0]!()
  settle[1]!()
  settle[2]!()
  await tick()
  assert.equal(b.reads, 1, 'b read again once the gateway is below half its total')
  settle[3]!()
})
