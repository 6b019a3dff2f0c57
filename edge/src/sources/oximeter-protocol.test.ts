// The oximeter protocol fed through a SerialLink into the real durable stage: a SQLite outbox in
// a temporary directory and a NEWS2-only triage stage. Asserts what the outbox holds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MASIMO_EXCEPTION, NONIN_STATUS, encodeNoninPacket, encodeOximeterAsciiRecord, type Decoded } from '@neva/firmware-adapters'
import { DurableStage } from '../outbox/durable-stage.js'
import { createEdgeMetrics } from '../metrics.js'
import { SqliteOutbox } from '../outbox/sqlite-outbox.js'
import { TriageStage } from '../triage/triage-stage.js'
import { MAX_KEPT_PROBLEMS_PER_SECOND, oximeterProtocol, type OximeterProtocolOptions } from './oximeter-protocol.js'
import type { SerialLink } from './serial-protocol.js'

const T0 = Date.UTC(2026, 10, 25, 9, 30, 0)

async function harness(options: Partial<OximeterProtocolOptions> & Pick<OximeterProtocolOptions, 'format'>, outboxOptions: { maxBytes?: number } = {}) {
  const outbox = new SqliteOutbox({ path: join(mkdtempSync(join(tmpdir(), 'neva-oximeter-')), 'outbox.db'), gatewayId: 'gw-test', ...outboxOptions })
  const triage = new TriageStage({ outbox })
  const durable = new DurableStage(outbox, triage, createEdgeMetrics(outbox), () => {})
  const consumed = new Set<Promise<void>>()
  const errors: Array<[string, string]> = []
  let now = T0
  const link: SerialLink = {
    write: () => false,
    consume(decoded: Decoded) {
      const p = durable.consume(decoded, 'serial:/dev/ttyTEST0')
      consumed.add(p)
      return p
    },
    error: (code, reason) => void errors.push([code, reason]),
    now: () => now,
  }
  const protocol = oximeterProtocol({ deviceId: 'bed-4-oximeter', patientId: 'ward-3.bed-4', ...options })(link)
  return {
    protocol,
    errors,
    setNow: (t: number) => void (now = t),
    /** Waits for every consume and the scoring it started, then reads the whole outbox. */
    async contents() {
      await Promise.allSettled([...consumed])
      await durable.settle()
      const batch = await outbox.nextBatch(100_000)
      return batch ?? { observations: [], rejected: [], triage: [] }
    },
    close: () => outbox.close(),
  }
}

test('ASCII records go to the outbox as they come; garbage between them is kept aside with its offset and counted', async () => {
  const h = await harness({ format: 'ascii', defaultUtcOffsetMinutes: 60 })
  const record = (s: number, extra: Parameters<typeof encodeOximeterAsciiRecord>[0] = { time: 0 }) =>
    encodeOximeterAsciiRecord({ spo2: 97 - s, pulseRate: 80 + s, ...extra, time: T0 + s * 1000 }, { utcOffsetMinutes: 60 })
  const first = record(1)
  const noise = '\u0000\u00ffSPO2=9\r\n'
  const text = first + noise + record(2, { time: 0, exception: MASIMO_EXCEPTION.INTERFERENCE }) + `${'#'.repeat(600)}\r\n` + record(3, { time: 0, exception: MASIMO_EXCEPTION.SENSOR_OFF }) + record(4)
  const bytes = Buffer.from(text, 'latin1')
  // Chunk boundaries as a UART delivers them: anywhere.
  for (let i = 0; i < bytes.length; i += 37) {
    h.setNow(T0 + 5000)
    h.protocol.receive(bytes.subarray(i, i + 37))
  }
  const out = await h.contents()
  assert.deepEqual(out.observations.map((o) => [o.name, o.value, o.device_time - T0, o.flags]), [
    ['spo2', 96, 1000, []], ['pulse_rate', 81, 1000, []],
    ['spo2', 95, 2000, ['artifact']], ['pulse_rate', 82, 2000, ['artifact']],
    ['spo2', 94, 3000, ['sensor_off']], ['pulse_rate', 83, 3000, ['sensor_off']],
    ['spo2', 93, 4000, []], ['pulse_rate', 84, 4000, []],
  ])
  for (const o of out.observations) {
    assert.deepEqual([o.device_id, o.patient_id, o.source, o.received_time, o.gateway_id], ['bed-4-oximeter', 'ward-3.bed-4', 'serial', T0 + 5000, 'gw-test'])
  }
  assert.deepEqual(out.rejected.map((r) => r.code), ['NEVA_OXIMETER_NOT_A_RECORD', 'NEVA_OXIMETER_LINE_TOO_LONG'])
  assert.match(out.rejected[0]!.reason, new RegExp(`^line at byte ${first.length}: unprintable byte 0x00`))
  assert.match(out.rejected[1]!.reason, /longer than 512 bytes/)
  assert.deepEqual(h.errors.map((e) => e[0]), ['NEVA_OXIMETER_NOT_A_RECORD', 'NEVA_OXIMETER_LINE_TOO_LONG'])
  // NEWS2 scored the patient from what was stored (partial: SpO2 and pulse only).
  assert.ok(out.triage.length >= 1)
  assert.equal(out.triage[0]!.patient_id, 'ward-3.bed-4')
  await h.close()
})

test('binary frames at 75 Hz are coalesced to one reading per parameter per second, flags carried; garbage is kept aside', async () => {
  const h = await harness({ format: 'binary' })
  const packets: Array<[number, Uint8Array]> = [
    [0, encodeNoninPacket({ spo2: 97, pulseRate: 70 })],
    [333, encodeNoninPacket({ status: NONIN_STATUS.SENSOR_DISCONNECT })],
    [400, Uint8Array.from([0x55, 0xaa, 0x01, 0x02])],
    [666, encodeNoninPacket({ spo2: 96, pulseRate: 71 })],
    [1000, encodeNoninPacket({ spo2: 95, pulseRate: 72 })],
    [1333, encodeNoninPacket({ spo2: 94, pulseRate: 73, status: NONIN_STATUS.ARTIFACT })],
    [1666, encodeNoninPacket({ spo2: 93, pulseRate: 74 })],
  ]
  for (const [t, bytes] of packets) {
    h.setNow(T0 + t)
    // A packet arrives in a few reads.
    for (let i = 0; i < bytes.length; i += 50) h.protocol.receive(bytes.subarray(i, i + 50))
    h.protocol.tick()
  }
  h.setNow(T0 + 2000)
  h.protocol.tick()
  const out = await h.contents()
  assert.deepEqual(out.observations.map((o) => [o.name, o.value, o.device_time - T0, o.flags]), [
    ['spo2', 96, 666, []], ['pulse_rate', 71, 666, []],
    ['spo2', 93, 1666, ['artifact']], ['pulse_rate', 74, 1666, ['artifact']],
  ])
  assert.deepEqual(out.rejected.map((r) => r.code), ['NEVA_OXIMETER_SKIPPED_BYTES'])
  assert.equal(out.rejected[0]!.reason, 'skipped 4 bytes at byte 250 that are not valid frames')
  assert.deepEqual(h.errors.map((e) => e[0]), ['NEVA_OXIMETER_SKIPPED_BYTES'])
  await h.close()
})

test('a second is written by the tick once the clock has left it, not before', async () => {
  const h = await harness({ format: 'binary' })
  h.protocol.receive(encodeNoninPacket({ spo2: 97, pulseRate: 70 }))
  h.setNow(T0 + 999)
  h.protocol.tick()
  assert.equal((await h.contents()).observations.length, 0)
  h.setNow(T0 + 1000)
  h.protocol.tick()
  // The outbox hands out one batch at a time: this one now holds the first second.
  assert.deepEqual((await h.contents()).observations.map((o) => o.value), [97, 70])
  await h.close()
})

test('reset drops a partial frame but writes the readings already decoded', async () => {
  const h = await harness({ format: 'binary' })
  const packet = encodeNoninPacket({ spo2: 91, pulseRate: 101 })
  h.protocol.receive(packet)
  h.protocol.receive(encodeNoninPacket({ spo2: 90, pulseRate: 102 }).subarray(0, 62))
  h.protocol.reset()
  h.setNow(T0 + 100)
  h.protocol.receive(packet)
  h.setNow(T0 + 5000)
  h.protocol.tick()
  const out = await h.contents()
  assert.deepEqual(out.observations.map((o) => o.value), [91, 101, 91, 101])
  assert.deepEqual(out.rejected, [])
  await h.close()
})

test('a noisy cable does not flood the outbox: refusals past the per-second budget are only counted', async () => {
  const h = await harness({ format: 'binary' })
  const frame = encodeNoninPacket({ spo2: 97 }).subarray(5, 10)
  const parts: Uint8Array[] = []
  for (let i = 0; i < 50; i++) parts.push(Uint8Array.from([0xee]), frame)
  h.protocol.receive(Buffer.concat(parts))
  const out = await h.contents()
  assert.equal(out.rejected.length, MAX_KEPT_PROBLEMS_PER_SECOND)
  assert.equal(h.errors.length, 50)
  await h.close()
})

test('readings that cannot be made durable are counted against the device', async () => {
  const h = await harness({ format: 'ascii' }, { maxBytes: 1 })
  h.protocol.receive(Buffer.from(encodeOximeterAsciiRecord({ time: T0, spo2: 97, pulseRate: 70 })))
  await h.contents().catch(() => undefined)
  await waitFor(() => h.errors.length > 0)
  assert.equal(h.errors[0]![0], 'NEVA_EDGE_OUTBOX_FULL')
  assert.match(h.errors[0]![1], /2 reading\(s\) from bed-4-oximeter could not be made durable/)
  await h.close()
})

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}
