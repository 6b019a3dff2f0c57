// The behaviour every Outbox backend must show; run by each backend's tests.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Outbox, OutboxEntry } from './types.js'
import { FirmwareErrorCode } from '@neva/firmware-adapters'

export interface OutboxFactory {
  /** Opens (or reopens, after close) the outbox stored under `key`. */
  open(key: string): Outbox
}

export const obs = (patient: string, value: number): OutboxEntry => ({
  kind: 'observation',
  body: { device_id: 'd1', patient_id: patient, source: 'mqtt', mdc_code: 150456, loinc: '59408-5', name: 'spo2', value, unit: '%', device_time: 1_764_000_000_000, received_time: 1_764_000_000_100, flags: [] },
})

const rejected: OutboxEntry = {
  kind: 'rejected',
  body: { source: 'mqtt', origin: 'mqtt:t', received_time: 1_764_000_000_000, code: FirmwareErrorCode.NEVA_DECODE_INVALID_JSON, reason: 'bad', payload: '{' },
}

export function outboxConformance(name: string, factory: OutboxFactory): void {
  test(`${name}: append resolves with increasing sequence numbers once durable`, async () => {
    const o = factory.open('seq')
    const a = (await o.append([obs('p', 90), obs('p', 91)]))!
    const b = (await o.append([obs('p', 92)]))!
    assert.equal(a.length, 2)
    assert.ok(a[0]! < a[1]! && a[1]! < b[0]!)
    assert.equal(o.stats().depth, 3)
    await o.close()
  })

  test(`${name}: a batch keeps its id and content until acknowledged, across a reopen`, async () => {
    let o = factory.open('reopen')
    await o.append([obs('p', 90), obs('p', 91)])
    await o.append([obs('p', 92)])
    const first = (await o.nextBatch(2))!
    assert.equal(first.observations.length, 2)
    assert.equal(first.attempts, 1)
    await o.close()
    o = factory.open('reopen')
    const again = (await o.nextBatch(100))!
    assert.equal(again.id, first.id)
    assert.deepEqual(again.observations, first.observations)
    assert.equal(again.attempts, 2)
    await o.ack(again.id)
    const rest = (await o.nextBatch(100))!
    assert.notEqual(rest.id, first.id)
    assert.deepEqual(rest.observations.map((x) => x.value), [92])
    await o.ack(rest.id)
    assert.equal(await o.nextBatch(100), null)
    assert.equal(o.stats().depth, 0)
    await o.close()
  })

  test(`${name}: sequence numbers are never reused after pruning or reopening`, async () => {
    let o = factory.open('noreuse')
    const [s1] = (await o.append([obs('p', 90)]))!
    await o.ack((await o.nextBatch(10))!.id)
    await o.close()
    o = factory.open('noreuse')
    const [s2] = (await o.append([obs('p', 91)]))!
    assert.ok(s2! > s1!)
    await o.close()
  })

  test(`${name}: triage results and refusals go before routine readings`, async () => {
    const o = factory.open('priority')
    await o.append([obs('p', 90), obs('p', 91)])
    await o.append([rejected])
    const batch = (await o.nextBatch(1))!
    assert.equal(batch.rejected.length, 1)
    assert.equal(batch.observations.length, 0)
    await o.close()
  })

  test(`${name}: a batch stops at its byte budget, but always moves at least one entry`, async () => {
    const o = factory.open('bytes')
    for (const v of [90, 91, 92]) await o.append([obs('p', v)])
    const one = JSON.stringify([obs('p', 90).body]).length
    const batch = (await o.nextBatch(100, one * 2))!
    assert.equal(batch.observations.length, 2)
    await o.ack(batch.id)
    assert.equal((await o.nextBatch(100, 1))!.observations.length, 1)
    await o.close()
  })

  test(`${name}: a message whose identity is already stored is dropped whole, and reported as null`, async () => {
    const o = factory.open('dedup')
    const abc = { device: 'dev', time: Date.now(), hash: 'abc' }
    const first = await o.append([obs('p', 90), obs('p', 91)], abc)
    assert.equal(first?.length, 2)
    assert.equal(await o.append([obs('p', 90), obs('p', 91)], { ...abc }), null)
    assert.equal((await o.append([obs('p', 92)], { ...abc, hash: 'def' }))?.length, 1)
    assert.equal((await o.append([obs('p', 92)], { ...abc, device: 'other' }))?.length, 1)
    assert.equal((await o.append([obs('p', 93)]))?.length, 1, 'without an identity, always stored')
    assert.equal(o.stats().depth, 5)
    assert.equal(o.stats().duplicatesDropped, 1)
    // Still dropped after the first was delivered and pruned.
    await o.ack((await o.nextBatch(100))!.id)
    assert.equal(await o.append([obs('p', 90)], abc), null)
    await o.close()
  })

  test(`${name}: the sequence numbers of one append are consecutive and map to its entries`, async () => {
    const o = factory.open('ranges')
    const seqs = (await o.append([obs('p', 1), rejected, obs('p', 2), obs('p', 3)]))!
    const batch = (await o.nextBatch(100))!
    assert.deepEqual(batch.observations.map((x) => [x.seq, x.value]), [[seqs[0], 1], [seqs[2], 2], [seqs[3], 3]])
    assert.deepEqual(batch.rejected.map((x) => x.seq), [seqs[1]])
    assert.equal(new Set(seqs).size, 4)
    await o.close()
  })

  test(`${name}: a dead-lettered batch leaves the queue and is counted`, async () => {
    const o = factory.open('dead')
    await o.append([obs('p', 90)])
    const batch = (await o.nextBatch(10))!
    await o.deadLetter(batch.id, 'core answered 400')
    assert.equal(o.stats().depth, 0)
    assert.equal(o.stats().deadLettered, 1)
    assert.equal(await o.nextBatch(10), null)
    await o.close()
  })

  test(`${name}: entries carry the gateway id and their sequence number`, async () => {
    const o = factory.open('identity')
    const [seq] = (await o.append([obs('p', 90)]))!
    const batch = (await o.nextBatch(10))!
    assert.equal(batch.observations[0]!.seq, seq)
    assert.equal(batch.observations[0]!.gateway_id, batch.gatewayId)
    await o.close()
  })
}
