// /status lists every device the gateway hears, whatever its transport: last message time,
// messages, readings, and refusals counted by code. A resend already stored adds no readings.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { connect } from 'node:net'
import mqtt from 'mqtt'
import { MllpDeframer, encodeOruR01, encodeVitalsMessage, mllpFrame } from '@neva/firmware-adapters'
import { parseGatewayConfig, startGateway } from '../src/index.js'
import type { DeviceStatus } from '../src/sources/devices.js'
import { tempDir } from './helpers.js'

test('/status: MQTT and HL7 devices with their last message, counts and errors by code', async () => {
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-status',
    data_dir: tempDir('status'),
    mqtt: { port: 0 },
    api: { port: 0, token_sha256: createHash('sha256').update('status-token').digest('hex') },
    mllp: { port: 0 },
    // No core: the outbox keeps everything.
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000 },
    triage: { model: null, sync_interval_ms: 0 },
    log_level: 'silent',
  }), () => {})
  try {
    const t = Date.now() - 1000
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'status-test', reconnectPeriod: 0 })
    const { topic, payload } = encodeVitalsMessage('amb-9-monitor', { patient_id: 'amb-9.p1', time: t, readings: [{ vital: 'spo2', value: 97 }, { vital: 'heart_rate', value: 900 }] })
    await client.publishAsync(topic, payload, { qos: 1 })
    await client.publishAsync(topic, payload, { qos: 1 })
    await client.endAsync()

    const socket = connect(gateway.mllpPort!, '127.0.0.1')
    await once(socket, 'connect')
    const deframer = new MllpDeframer()
    const acks: string[] = []
    socket.on('data', (b: Buffer) => { for (const m of deframer.push(b).messages) acks.push(Buffer.from(m).toString()) })
    const message = encodeOruR01({ controlId: 'c1', time: t, sendingApplication: 'MON', patientId: 'icu.bed1', equipmentId: 'icu-mon-1', readings: [{ vital: 'spo2', value: 95 }, { vital: 'respiratory_rate', value: 22 }] })
    socket.write(mllpFrame(message))
    const deadline = Date.now() + 10_000
    while (acks.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    socket.destroy()
    assert.match(acks[0] ?? '', /MSA\|AA\|c1/)

    // Open /status: counts and codes; the reasons need the API token.
    const open = (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { devices: DeviceStatus[] }
    const openMon = open.devices.find((d) => d.device_id === 'amb-9-monitor')!
    assert.deepEqual([openMon.errors, 'last_error' in openMon, 'origin' in openMon], [{ NEVA_DECODE_IMPLAUSIBLE_VALUE: 1 }, false, false])
    const status = (await (await fetch(`${gateway.apiUrl}/status`, { headers: { authorization: 'Bearer status-token' } })).json()) as { devices: DeviceStatus[] }
    const mon = status.devices.find((d) => d.device_id === 'amb-9-monitor')!
    assert.equal(mon.source, 'mqtt')
    assert.equal(mon.messages, 2)
    assert.equal(mon.readings, 1, 'the resend adds no readings')
    assert.deepEqual(mon.errors, { NEVA_DECODE_IMPLAUSIBLE_VALUE: 1 })
    assert.match(mon.last_error!, /900/)
    assert.ok(mon.last_message_time! >= t)
    const icu = status.devices.find((d) => d.device_id === 'icu-mon-1')!
    assert.deepEqual([icu.source, icu.messages, icu.readings, icu.errors], ['hl7v2', 1, 2, {}])
    assert.ok(icu.last_message_time! >= t)
  } finally {
    await gateway.stop()
  }
})
