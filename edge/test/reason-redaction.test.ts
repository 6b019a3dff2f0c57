// Finding 1 (red-team review): identifying values a device sends (PID-3, a name in a field,
// payload bytes) must not reach rejected_readings.reason or the unauthenticated /status. Tried as
// the attack: HL7 over a real MLLP socket and JSON over real MQTT, then the outbox's rows and
// /status are searched for the values.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { connect } from 'node:net'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mqtt from 'mqtt'
import { MllpDeframer, mllpFrame } from '@neva/firmware-adapters'
import { parseGatewayConfig, startGateway } from '../src/index.js'
import { redactReason } from '../src/security/redact.js'
import { tempDir } from './helpers.js'

const NAME = 'Doe^Jane'
const MRN = 'MRN 4711-0815'

test('redactReason withholds quoted literals, flattens control characters, bounds the length', () => {
  assert.equal(redactReason('readings[0].unit: heart_rate is in "/min", got "Doe Jane"'), 'readings[0].unit: heart_rate is in "…", got "…"')
  assert.equal(redactReason('x: "cut short'), 'x: "…"')
  assert.equal(redactReason('a\r\nb'), 'a b')
  assert.equal(redactReason('y'.repeat(600)).length, 512)
})

test('PID-3 and payload fragments stay out of rejected_readings.reason and /status; /status details need the token', async () => {
  const dir = tempDir('redact')
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-redact',
    data_dir: dir,
    mqtt: { port: 0 },
    api: { port: 0, token_sha256: createHash('sha256').update('api-token').digest('hex') },
    mllp: { port: 0 },
    // No core: the outbox keeps every row for the test to read.
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000 },
    triage: { model: null, sync_interval_ms: 0 },
    log_level: 'silent',
  }), () => {})
  try {
    // HL7: a PID-3 that is a name and a record number, not a Neva id.
    const socket = connect(gateway.mllpPort!, '127.0.0.1')
    await once(socket, 'connect')
    const deframer = new MllpDeframer()
    const acks: string[] = []
    socket.on('data', (b: Buffer) => { for (const m of deframer.push(b).messages) acks.push(Buffer.from(m).toString('latin1')) })
    const oru = ['MSH|^~\\&|MON|ICU|NEVA|EDGE|20261203101500||ORU^R01|c-1|P|2.6', `PID|||${MRN}^^^HOSP~${NAME}||${NAME}`, 'OBR|1|||VITALS', 'OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||97|%|||||F|||20261203101500|||icu-mon-9']
    socket.write(mllpFrame(oru.join('\r')))
    // And bytes outside any frame carrying a name.
    socket.write(`garbage ${NAME} garbage`)
    const deadline = Date.now() + 10_000
    while (acks.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assert.match(acks[0] ?? '', /MSA\|AR\|c-1/)
    assert.doesNotMatch(acks[0]!, /Doe|4711/, 'the ACK does not echo the identifier either')
    socket.destroy()

    // MQTT: a unit field carrying a name, a device_id that differs from the topic's.
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { reconnectPeriod: 0 })
    await client.publishAsync('neva/v1/devices/amb-1/vitals', JSON.stringify({ device_id: 'amb-1', patient_id: 'amb-1.p', time: Date.now(), readings: [{ vital: 'heart_rate', value: 80, unit: NAME }] }), { qos: 1 })
    await client.publishAsync('neva/v1/devices/amb-1/vitals', JSON.stringify({ device_id: `${NAME} ${MRN}`, patient_id: 'amb-1.p', time: Date.now(), readings: [{ vital: 'heart_rate', value: 80 }] }), { qos: 1 })
    await client.endAsync()

    const db = new Database(join(dir, 'outbox.db'), { readonly: true })
    let rejected: Array<{ code: string; reason: string; payload: string }> = []
    for (const end = Date.now() + 10_000; rejected.length < 4 && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      rejected = (db.prepare("SELECT body FROM items WHERE kind = 'rejected'").all() as Array<{ body: string }>).flatMap((r) => JSON.parse(r.body) as typeof rejected)
    }
    db.close()
    // A device_id carrying a name breaks the id rule (contracts/src/ids.ts) before it can mismatch the topic.
    assert.deepEqual(rejected.map((r) => r.code).sort(), ['NEVA_DECODE_SCHEMA', 'NEVA_DECODE_UNIT_MISMATCH', 'NEVA_HL7V2_BAD_PATIENT_ID', 'NEVA_HL7V2_MLLP_GARBAGE'])
    for (const r of rejected) {
      assert.doesNotMatch(r.reason, /Doe|Jane|4711/, `${r.code}: reason ${r.reason}`)
      assert.match(r.payload, /Doe/, `${r.code}: the raw input stays in payload`)
    }
    assert.match(rejected.find((r) => r.code === 'NEVA_HL7V2_BAD_PATIENT_ID')!.reason, /^PID-3 .*is not a patient id/)
    assert.match(rejected.find((r) => r.code === 'NEVA_DECODE_UNIT_MISMATCH')!.reason, /\.unit: /)

    const open = await (await fetch(`${gateway.apiUrl}/status`)).text()
    assert.doesNotMatch(open, /Doe|Jane|4711/)
    const openStatus = JSON.parse(open) as { recent_rejections: object[]; devices: object[] }
    assert.equal(openStatus.recent_rejections.length, 4)
    for (const r of openStatus.recent_rejections) assert.deepEqual(Object.keys(r).sort(), ['code', 'time'])
    for (const d of openStatus.devices) assert.ok(!('last_error' in d) && !('origin' in d))

    const detailed = await (await fetch(`${gateway.apiUrl}/status`, { headers: { authorization: 'Bearer api-token' } })).text()
    assert.doesNotMatch(detailed, /Doe|Jane|4711/)
    assert.match(detailed, /"reason":"PID-3 /)
    const wrong = await (await fetch(`${gateway.apiUrl}/status`, { headers: { authorization: 'Bearer nope' } })).json() as { recent_rejections: object[] }
    assert.ok(!('reason' in wrong.recent_rejections[0]!))
  } finally {
    await gateway.stop()
  }
})
