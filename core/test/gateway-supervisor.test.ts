// The core's gateway supervisor with a stepped clock: silent past its period, one alarm per
// episode; heard again, the alarm ends; restored state after a restart raises nothing twice.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Alarm, IngestBatch } from '@neva/contracts'
import { CORE_GATEWAY_ID, GATEWAY_SILENCE_PREFIX, GatewaySupervisor } from '@neva/core'

function harness(options: { periodsMs?: Record<string, number>; gateways?: string[]; stored?: Array<{ gateway_id: string; at: number }> } = {}) {
  let now = 1_000_000
  const written: Alarm[] = []
  let failNext = false
  const sup = new GatewaySupervisor({
    gateways: () => options.gateways ?? ['gw-a', 'gw-b'],
    periodMs: 2000,
    periodsMs: options.periodsMs ?? {},
    sites: { 'gw-a': ['City Hospital 1'] },
    priority: 'medium',
    now: () => now,
    ...(options.stored ? { storedContacts: async (ids: readonly string[]) => options.stored!.filter((c) => ids.includes(c.gateway_id)) } : {}),
    write: async (batch: IngestBatch) => {
      if (failNext) { failNext = false; throw new Error('store down') }
      written.push(...(batch.alarms ?? []))
    },
  })
  return { sup, written, step: (ms: number) => (now += ms), at: () => now, failOnce: () => (failNext = true) }
}

test('silent past its period: one technical alarm at its site; heard again: the alarm ends', async () => {
  const h = harness()
  h.sup.contact('gw-a')
  h.step(2000)
  await h.sup.check()
  assert.equal(h.written.length, 0, 'exactly the period is not yet silence')
  h.step(1)
  await h.sup.check()
  h.step(1000)
  await h.sup.check()
  assert.equal(h.written.length, 1, 'one alarm per episode, not one per pass')
  const [start] = h.written
  assert.equal(start!.gateway_id, CORE_GATEWAY_ID)
  assert.equal(start!.alarm_id, `${GATEWAY_SILENCE_PREFIX}gw-a/1000000`)
  assert.deepEqual([start!.patient_id, start!.alert_type, start!.priority, start!.state, start!.facility, start!.device_id], [null, 'technical', 'medium', 'active', 'City Hospital 1', 'gw-a'])
  assert.equal(start!.event_text, 'no data from gateway gw-a for 2 s')
  assert.deepEqual(h.sup.silent(), ['gw-a'])

  h.step(500)
  h.sup.contact('gw-a')
  await h.sup.check()
  assert.equal(h.written.length, 2)
  assert.deepEqual([h.written[1]!.alarm_id, h.written[1]!.state, h.written[1]!.phase], [start!.alarm_id, 'inactive', 'end'])
  assert.ok(h.written[1]!.seq > start!.seq)
  assert.deepEqual(h.sup.silent(), [])

  // A second episode is a second alarm.
  h.step(2001)
  await h.sup.check()
  assert.equal(h.written.length, 3)
  assert.notEqual(h.written[2]!.alarm_id, start!.alarm_id)
})

test('a gateway never heard, one not supervised (period 0) and one not known raise nothing', async () => {
  const h = harness({ periodsMs: { 'gw-b': 0 } })
  h.sup.contact('gw-b')
  h.sup.contact('gw-unknown')
  h.step(60_000)
  await h.sup.check()
  assert.equal(h.written.length, 0)
})

test("one gateway's contact does not end another's alarm", async () => {
  const h = harness()
  h.sup.contact('gw-a')
  h.sup.contact('gw-b')
  h.step(3000)
  await h.sup.check()
  assert.deepEqual(h.sup.silent(), ['gw-a', 'gw-b'])
  h.sup.contact('gw-b')
  await h.sup.check()
  assert.deepEqual(h.sup.silent(), ['gw-a'])
  assert.deepEqual(h.written.filter((a) => a.state === 'inactive').map((a) => a.device_id), ['gw-b'])
})

test('a failed write is retried at the next pass; restored state raises nothing twice and ends on contact', async () => {
  const h = harness()
  h.sup.contact('gw-a')
  h.step(3000)
  h.failOnce()
  await assert.rejects(h.sup.check(), /store down/)
  assert.deepEqual(h.sup.silent(), [])
  await h.sup.check()
  assert.deepEqual(h.sup.silent(), ['gw-a'])

  // A restarted core: the ledger's last contact and the alarm still active.
  const again = harness()
  again.step(10_000)
  again.sup.restore([{ gateway_id: 'gw-a', at: 1_000_000 }], [{ gateway_id: 'gw-a', alarm_id: h.written[0]!.alarm_id, since: 1_000_000 }])
  await again.sup.check()
  assert.equal(again.written.length, 0, 'the alarm already raised is not raised again')
  again.sup.contact('gw-a')
  await again.sup.check()
  assert.deepEqual(again.written.map((a) => [a.alarm_id, a.state]), [[h.written[0]!.alarm_id, 'inactive']])
})

test('a batch another core stored (the ledger) is a contact: no alarm; and it ends one raised here', async () => {
  const stored: Array<{ gateway_id: string; at: number }> = []
  const h = harness({ stored })
  h.sup.contact('gw-a')
  h.step(2500)
  stored.push({ gateway_id: 'gw-a', at: h.at() - 100 })
  await h.sup.check()
  assert.equal(h.written.length, 0)
  h.step(3000)
  await h.sup.check()
  assert.deepEqual(h.sup.silent(), ['gw-a'])
  stored.push({ gateway_id: 'gw-a', at: h.at() })
  h.step(100)
  await h.sup.check()
  assert.deepEqual(h.written.map((a) => a.state), ['active', 'inactive'])
})
