// A monitor that goes silent is a technical alarm: an HL7 monitor sends over MLLP, stops (the
// alarm is made durable in the outbox, with the monitor's patient), sends again (the same alarm
// ended). Bounds are generous: the check is that it happens, not how fast.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { once } from 'node:events'
import { connect } from 'node:net'
import type { Alarm } from '@neva/contracts'
import { MllpDeframer, encodeOruR01, mllpFrame } from '@neva/firmware-adapters'
import { SqliteOutbox, parseGatewayConfig, startGateway, type OutboxEntry } from '../src/index.js'
import { tempDir } from './helpers.js'

async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('an MLLP monitor silent past its period raises a technical alarm, ended when it sends again', async () => {
  const dataDir = tempDir('silence')
  const alarms: Array<Omit<Alarm, 'gateway_id' | 'seq'>> = []
  // What reaches the outbox, as the uplink would find it there.
  class RecordingOutbox extends SqliteOutbox {
    override async append(entries: OutboxEntry[], key?: Parameters<SqliteOutbox['append']>[1]) {
      const seqs = await super.append(entries, key)
      for (const e of entries) if (e.kind === 'alarm') alarms.push(e.body as Omit<Alarm, 'gateway_id' | 'seq'>)
      return seqs
    }
  }
  const outbox = new RecordingOutbox({ path: join(dataDir, 'outbox.db'), gatewayId: 'gw-silence', maxBytes: 64 * 1024 * 1024, dedupWindowMs: 3600_000, liveWindowMs: 1000 })
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-silence',
    data_dir: dataDir,
    mqtt: { port: 0 },
    api: { port: 0 },
    mllp: { port: 0 },
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000 },
    triage: { model: null, sync_interval_ms: 0 },
    supervision: { check_interval_ms: 200, devices: [{ device_id: 'icu-mon-2', silence_ms: 1500 }] },
    log_level: 'silent',
  }), () => {}, { outbox })
  const socket = connect(gateway.mllpPort!, '127.0.0.1')
  try {
    await once(socket, 'connect')
    const deframer = new MllpDeframer()
    const acks: string[] = []
    socket.on('data', (b: Buffer) => { for (const m of deframer.push(b).messages) acks.push(Buffer.from(m).toString()) })
    const send = async (controlId: string) => {
      const n = acks.length
      socket.write(mllpFrame(encodeOruR01({ controlId, time: Date.now(), sendingApplication: 'MON', patientId: 'icu.bed2', location: { pointOfCare: 'ICU', bed: '2' }, equipmentId: 'icu-mon-2', readings: [{ vital: 'heart_rate', value: 72 }] })))
      await until('the ACK', () => acks.length > n)
      assert.match(acks.at(-1)!, new RegExp(`MSA\\|AA\\|${controlId}`))
    }
    await send('c1')
    // On a loaded machine the link may have been seen long before the message was durable (a
    // silence raised then, without a patient, and ended): what counts is the alarm raised once the
    // monitor had been heard (it knows the patient), whenever the ACK came.
    const raisedAfter = () => alarms.find((a) => a.state === 'active' && a.patient_id === 'icu.bed2')
    await until('the silence alarm', () => raisedAfter() !== undefined)
    const raised = raisedAfter()!
    assert.deepEqual(
      [raised.device_id, raised.source, raised.patient_id, raised.alert_type, raised.priority, raised.state, raised.event_name],
      ['icu-mon-2', 'hl7v2', 'icu.bed2', 'technical', 'medium', 'active', 'NEVA_EDGE_DEVICE_SILENT'],
    )
    assert.match(raised.event_text!, /^no data from bed 2's device icu-mon-2 for \d+ s$/)
    assert.deepEqual([raised.ward, raised.bed], ['ICU', '2'])
    await until('the monitor listed as silent', () => gateway.supervisor.silent().includes('icu-mon-2'))

    await send('c2')
    const ended = () => alarms.find((a) => a.alarm_id === raised.alarm_id && a.state === 'inactive')
    await until('the alarm ended', () => ended() !== undefined)
    assert.equal(ended()!.event_name, 'NEVA_EDGE_DEVICE_SILENT')
  } finally {
    socket.destroy()
    await gateway.stop()
  }
})
