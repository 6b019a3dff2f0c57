// The MLLP listener over real sockets, with the real durable stage (SQLite outbox, NEWS2 triage):
// what a sender gets back, and what the outbox holds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Alarm, LabResult, Observation, RejectedReading } from '@neva/contracts'
import { MDC_EVT, MllpDeframer, encodeOruR01, encodeOruR40, mllpFrame, parseHl7, type Hl7Message, type OruR40Input } from '@neva/firmware-adapters'
import { DurableStage } from '../outbox/durable-stage.js'
import type { Log } from '../log.js'
import { createEdgeMetrics } from '../metrics.js'
import { SqliteOutbox } from '../outbox/sqlite-outbox.js'
import { TriageStage } from '../triage/triage-stage.js'
import { DeviceRegistry } from './devices.js'
import { MllpSource, type MllpSourceOptions } from './mllp-source.js'

const log: Log = () => {}

async function until(what: string, check: () => boolean, timeoutMs = 15_000, show: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(show())}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** A gateway's MLLP listener in front of a real durable stage on a fresh directory. */
async function gateway(extra: Partial<MllpSourceOptions> = {}, outboxBytes?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'neva-mllp-'))
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), gatewayId: 'gw-mllp', ...(outboxBytes ? { maxBytes: outboxBytes } : {}) })
  const devices = new DeviceRegistry()
  const durable = new DurableStage(outbox, new TriageStage({ outbox, log }), createEdgeMetrics(outbox), log, devices)
  const source = new MllpSource({ host: '127.0.0.1', port: 0, next: durable, devices, log, ...extra })
  await source.start()
  const held = { observations: [] as Observation[], rejected: [] as RejectedReading[], labResults: [] as LabResult[], alarms: [] as Alarm[] }
  return {
    source, outbox, devices, durable,
    device: (id: string) => devices.snapshot().find((d) => d.device_id === id),
    /** Everything the outbox took so far (batches are acknowledged as the uplink would). */
    async drain() {
      for (let b = await outbox.nextBatch(10_000); b; b = await outbox.nextBatch(10_000)) {
        held.observations.push(...b.observations)
        held.rejected.push(...b.rejected)
        held.labResults.push(...b.labResults)
        held.alarms.push(...b.alarms)
        await outbox.ack(b.id)
      }
      return held
    },
    async close() {
      await source.stop()
      await durable.settle()
      await outbox.close()
    },
  }
}

/** A monitor's side of a connection: writes bytes, reads ACKs. */
class Sender {
  readonly acks: Hl7Message[] = []
  closed = false
  private readonly deframer = new MllpDeframer()
  private constructor(readonly socket: Socket) {
    socket.on('data', (b) => this.acks.push(...this.deframer.push(b).messages.map((m) => parseHl7(m).message!)))
    socket.on('close', () => (this.closed = true))
    socket.on('error', () => {})
  }

  static async open(port: number): Promise<Sender> {
    const socket = connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    return new Sender(socket)
  }

  send(...parts: Array<string | Uint8Array>): void {
    this.socket.write(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))))
  }

  /** MSA-1, MSA-2 and MSA-3 of every ACK received so far, once there are `n`. */
  async answers(n: number): Promise<string[][]> {
    await until(`${n} ACKs`, () => this.acks.length >= n, 15_000, () => this.acks.map((a) => a.text))
    return this.acks.map((a) => [1, 2, 3].map((f) => a.segment('MSA')!.value(f)))
  }
}

const NOW = Date.now()
const oru = (controlId: string, bed = 'bed-1', patient = 'ward3.p1') => encodeOruR01({
  controlId, time: NOW - 2000, sendingApplication: 'MON', sendingFacility: 'WARD3', patientId: patient, equipmentId: bed,
  location: { pointOfCare: 'WARD3', bed },
  readings: [{ vital: 'heart_rate', value: 88 }, { vital: 'spo2', value: 95 }, { vital: 'respiratory_rate', value: 22 }],
})

test('a message is stored, then acknowledged AA; its resend is acknowledged again and stored once', async () => {
  const gw = await gateway()
  try {
    const monitor = await Sender.open(gw.source.port)
    monitor.send(mllpFrame(oru('ctl-1')))
    assert.deepEqual(await monitor.answers(1), [['AA', 'ctl-1', '']])
    const ack = monitor.acks[0]!.header
    assert.deepEqual([ack.value(3), ack.value(5), ack.value(9, 1), ack.value(9, 2)], ['NEVA', 'MON', 'ACK', 'R01'])
    const stored = (await gw.drain()).observations
    assert.deepEqual(stored.map((o) => [o.name, o.value, o.patient_id, o.device_id, o.source]), [
      ['heart_rate', 88, 'ward3.p1', 'bed-1', 'hl7v2'], ['spo2', 95, 'ward3.p1', 'bed-1', 'hl7v2'], ['respiratory_rate', 22, 'ward3.p1', 'bed-1', 'hl7v2'],
    ])

    // The monitor lost our ACK and sends the same message again.
    monitor.send(mllpFrame(oru('ctl-1')))
    assert.deepEqual((await monitor.answers(2))[1], ['AA', 'ctl-1', ''])
    assert.equal((await gw.drain()).observations.length, 3)
    assert.equal(gw.outbox.stats().duplicatesDropped, 1)
    const device = gw.device('bed-1')!
    assert.deepEqual([device.source, device.connected, device.origin.startsWith('mllp:127.0.0.1:')], ['hl7v2', true, true])

    monitor.socket.end()
    await until('the device shown disconnected', () => gw.device('bed-1')?.connected === false)
  } finally {
    await gw.close()
  }
})

const r40 = (controlId: string, extra: Partial<OruR40Input> = {}) => encodeOruR40({
  controlId, time: NOW - 1000, sendingApplication: 'MON', patientId: 'ward3.p1', equipmentId: 'bed-1', location: { pointOfCare: 'WARD3', bed: 'bed-1' },
  alertId: 'spo2-lo-1', event: { code: MDC_EVT.LO[0], name: MDC_EVT.LO[1], text: 'SpO2 low' }, vital: 'spo2', value: 86, limits: { low: 90 },
  priority: 'high', alertType: 'physiological', phase: 'start', state: 'active', ...extra,
})

test('ORU^R40 alarms: each update is made durable, then acknowledged AA; a resend is stored once', async () => {
  const gw = await gateway()
  try {
    const monitor = await Sender.open(gw.source.port)
    monitor.send(mllpFrame(r40('al-1')), mllpFrame(r40('al-2', { phase: 'end', state: 'inactive' })), mllpFrame(r40('al-1')))
    assert.deepEqual(await monitor.answers(3), [['AA', 'al-1', ''], ['AA', 'al-2', ''], ['AA', 'al-1', '']])
    assert.deepEqual([monitor.acks[0]!.header.value(9, 1), monitor.acks[0]!.header.value(9, 2)], ['ACK', 'R40'])
    const held = await gw.drain()
    assert.deepEqual(held.alarms.map((a) => [a.alarm_id, a.state, a.priority, a.patient_id, a.device_id, a.ward, a.bed, a.value]), [
      ['bed-1/spo2-lo-1^MON', 'active', 'high', 'ward3.p1', 'bed-1', 'WARD3', 'bed-1', 86],
      ['bed-1/spo2-lo-1^MON', 'inactive', 'high', 'ward3.p1', 'bed-1', 'WARD3', 'bed-1', 86],
    ])
    assert.ok(held.alarms.every((a) => a.gateway_id === 'gw-mllp' && a.seq > 0))
    assert.equal(gw.outbox.stats().duplicatesDropped, 1)
    assert.deepEqual(held.observations, [])
  } finally {
    await gw.close()
  }
})

test('ORU^R40 while the outbox cannot take it: AE "not stored, resend", the alarm is not lost on the device side', async () => {
  const gw = await gateway({}, 64 * 1024)
  try {
    const monitor = await Sender.open(gw.source.port)
    // Fill the outbox to its budget with readings, then send an alarm.
    for (let i = 0; gw.outbox.stats().full === false && i < 2000; i++) {
      monitor.send(mllpFrame(oru(`fill-${i}`, 'bed-9', `p${i}`)))
      await monitor.answers(i + 1)
    }
    assert.ok(gw.outbox.stats().full)
    const before = monitor.acks.length
    monitor.send(mllpFrame(r40('al-full')))
    const answers = await monitor.answers(before + 1)
    assert.deepEqual(answers.at(-1), ['AE', 'al-full', 'not stored, resend'])
  } finally {
    await gw.close()
  }
})

test('refused whole: AR and kept aside; partly refused: AE, the rest stored; not HL7: AR with MSA-2 empty', async () => {
  const gw = await gateway()
  try {
    const monitor = await Sender.open(gw.source.port)
    const alarm = oru('alm-1').replace('ORU^R01^ORU_R01', 'ORA^R41^ORA_R41')
    const partly = oru('ctl-2') + 'OBX|9|NM|150344^MDC_TEMP^MDC|1.0.0.9|98.6|[degF]^[degF]^UCUM|||||R\r'
    monitor.send(mllpFrame(alarm), mllpFrame(partly), mllpFrame('hello, is this HTTP?'))
    const [a, b, c] = await monitor.answers(3)
    assert.deepEqual(a, ['AR', 'alm-1', 'ORA^R41 (IHE PCD-05 alarm status) is not stored by this gateway; it reads ORU^R01, ORU^R40 and ORU^R42'])
    assert.deepEqual(b!.slice(0, 2), ['AE', 'ctl-2'])
    assert.match(b![2]!, /^1 refused, 3 stored: OBX 9: temperature .* is in Cel, got OBX-6/)
    assert.deepEqual(c!.slice(0, 2), ['AR', ''])
    assert.equal(monitor.acks[2]!.segment('ERR')!.value(3, 1), '100')

    const held = await gw.drain()
    assert.equal(held.observations.length, 3)
    assert.deepEqual(held.rejected.map((r) => [r.code, r.source]), [
      ['NEVA_HL7V2_UNSUPPORTED_MESSAGE', 'hl7v2'], ['NEVA_HL7V2_UNIT_MISMATCH', 'hl7v2'], ['NEVA_HL7V2_NO_MSH', 'hl7v2'],
    ])
    assert.ok(held.rejected[0]!.payload.includes('ORA^R41'))
    assert.ok(held.rejected.every((r) => r.origin.startsWith('mllp:127.0.0.1:')))
    // The bytes that named no device are counted against the peer's address.
    assert.equal(gw.device('mllp:127.0.0.1')?.errors.NEVA_HL7V2_NO_MSH, 1)
  } finally {
    await gw.close()
  }
})

test('garbage between frames on one connection: the frames around it are stored and acknowledged, in order', async () => {
  const gw = await gateway()
  try {
    const monitor = await Sender.open(gw.source.port)
    monitor.send(mllpFrame(oru('m-1')), 'garbage!', mllpFrame(oru('m-2')), Buffer.from([0, 1, 2]), mllpFrame(oru('m-3')), '\x0bMSH|^~\\&|cut', mllpFrame(oru('m-4')))
    assert.deepEqual((await monitor.answers(4)).map(([code, id]) => [code, id]), [['AA', 'm-1'], ['AA', 'm-2'], ['AA', 'm-3'], ['AA', 'm-4']])
    const held = await gw.drain()
    assert.equal(held.observations.length, 12)
    assert.deepEqual(held.rejected.map((r) => r.code), ['NEVA_HL7V2_MLLP_GARBAGE', 'NEVA_HL7V2_MLLP_GARBAGE', 'NEVA_HL7V2_MLLP_RESTARTED'])
    assert.match(held.rejected[0]!.reason, /8 bytes outside an MLLP frame at offset \d+ \(expected 0x0B\)$/)
    // Counted against the device heard on that connection.
    assert.deepEqual(gw.device('bed-1')!.errors, { NEVA_HL7V2_MLLP_GARBAGE: 2, NEVA_HL7V2_MLLP_RESTARTED: 1 })
  } finally {
    await gw.close()
  }
})

test('two connections: one sending only garbage gets errors counted and is closed; the other is unaffected', async () => {
  const gw = await gateway({ maxMessageBytes: 4096 })
  try {
    const noise = await Sender.open(gw.source.port)
    const monitor = await Sender.open(gw.source.port)
    noise.send('GET / HTTP/1.1\r\nHost: gateway\r\n\r\n')
    monitor.send(mllpFrame(oru('ok-1', 'bed-2', 'ward3.p2')))
    assert.deepEqual((await monitor.answers(1))[0]!.slice(0, 2), ['AA', 'ok-1'])
    await until('garbage counted', () => (gw.device('mllp:127.0.0.1')?.errors.NEVA_HL7V2_MLLP_GARBAGE ?? 0) >= 1)

    noise.send('x'.repeat(20_000))
    await until('the noisy connection closed', () => noise.closed)
    monitor.send(mllpFrame(oru('ok-2', 'bed-2', 'ward3.p2')))
    assert.deepEqual((await monitor.answers(2))[1]!.slice(0, 2), ['AA', 'ok-2'])
    assert.equal(noise.acks.length, 0)
    assert.equal((await gw.drain()).observations.length, 6)
  } finally {
    await gw.close()
  }
})

test('outbox at its budget: AE "not stored, resend", counted against the device, nothing stored', async () => {
  const gw = await gateway({}, 1)
  try {
    const monitor = await Sender.open(gw.source.port)
    monitor.send(mllpFrame(oru('full-1')))
    const [[code, id, text]] = (await monitor.answers(1)) as [string[]]
    assert.deepEqual([code, id, text], ['AE', 'full-1', 'not stored, resend'])
    assert.equal(monitor.acks[0]!.segment('ERR')!.value(3, 1), '207')
    assert.equal(gw.device('bed-1')?.errors.NEVA_EDGE_OUTBOX_FULL, 1)
    assert.equal(gw.outbox.stats().appended, 0)
  } finally {
    await gw.close()
  }
})

test('an idle connection is closed; stop() answers what was received before closing the rest', async () => {
  const gw = await gateway({ idleTimeoutMs: 200 })
  try {
    const idle = await Sender.open(gw.source.port)
    await until('the idle connection closed', () => idle.closed, 5000)

    const busy = await Sender.open(gw.source.port)
    busy.send(mllpFrame(oru('last-1')), mllpFrame(oru('last-2')))
    await until('both received', () => gw.outbox.stats().appended >= 3)
    await gw.source.stop()
    assert.deepEqual((await busy.answers(2)).map(([c, i]) => [c, i]), [['AA', 'last-1'], ['AA', 'last-2']])
    await until('closed by stop()', () => busy.closed, 5000)
  } finally {
    await gw.close()
  }
})

test('a sender that does not wait: 300 frames in one write are all stored and acknowledged in order', async () => {
  const gw = await gateway()
  try {
    const middleware = await Sender.open(gw.source.port)
    const ids = Array.from({ length: 300 }, (_, i) => `burst-${i}`)
    middleware.send(...ids.map((id, i) => mllpFrame(oru(id, `bed-b${i}`, `ward3.b${i}`))))
    const answers = await middleware.answers(300)
    assert.deepEqual(answers.map(([code, id]) => [code, id]), ids.map((id) => ['AA', id]))
    assert.equal((await gw.drain()).observations.length, 900)
  } finally {
    await gw.close()
  }
})

test('a sender that never waits, and reads no ACKs for a while: at most the bound (plus one read) waits, then every ACK comes in order', async () => {
  const bound = 40
  const gw = await gateway({ maxPendingPerConnection: bound })
  try {
    const middleware = await Sender.open(gw.source.port)
    middleware.socket.pause()
    const ids = Array.from({ length: 2000 }, (_, i) => `flow-${i}`)
    const frames = ids.map((id, i) => mllpFrame(oru(id, `bed-f${i}`, `ward3.f${i}`)))
    middleware.send(...frames)
    await until('the connection paused', () => gw.source.status().flow.pauses >= 1)
    await new Promise((r) => setTimeout(r, 200))
    middleware.socket.resume()
    const answers = await middleware.answers(ids.length)
    assert.deepEqual(answers.map(([code, id]) => [code, id]), ids.map((id) => ['AA', id]))
    assert.equal((await gw.drain()).observations.length, 3 * ids.length)
    const flow = gw.source.status().flow
    // One socket read (at most 64 KiB) may bring more frames than the bound leaves room for.
    const perRead = Math.ceil(65_536 / Math.min(...frames.map((f) => f.length)))
    assert.ok(flow.pending_max <= bound + perRead, `pending_max ${flow.pending_max} > ${bound} + ${perRead}`)
    assert.equal(flow.max_pending_per_connection, bound)
    assert.equal(flow.pending, 0)
  } finally {
    await gw.close()
  }
})
