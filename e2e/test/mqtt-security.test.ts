// Security of the gateway's MQTT broker, tried with a real MQTT client over TCP and TLS against
// a gateway whose uplink goes to a real core on embedded ClickHouse: every denial is tried, and
// the device's good data around a denial must still arrive.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import mqtt, { type MqttClient } from 'mqtt'
import { encodeVitalsMessage } from '@neva/firmware-adapters'
import { runAmbulance } from '@neva/simulators'
import { hashPassword, parseGatewayConfig, startGateway, type Gateway } from '@neva/edge'
import { startTestCore, tempDir } from './helpers.js'
import { TestCa } from '@neva/edge/test-certs'

const core = await startTestCore({ 'gw-sec': 'tok-sec' })
after(() => core.close())

// Cheap argon2 parameters: these tests are about the broker, not the hash's cost.
const FAST = { m: 64, t: 1, p: 1 }
const TABLET = { username: 'amb-7-tablet', password: 'correct horse battery staple' }
const CREDENTIALS = [
  { username: TABLET.username, password_hash: hashPassword(TABLET.password, FAST), device_ids: ['amb-7.*'], patient_ids: ['amb-7.*'] },
  { username: 'icu-mon-2', password_hash: hashPassword('mon-2-secret', FAST) },
]

type Logged = Array<{ level: string; message: string; fields?: object }>

async function gatewayWith(mqttConfig: object, api: object = {}): Promise<Gateway & { logs: Logged }> {
  const logs: Logged = []
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-sec',
    data_dir: tempDir('sec'),
    mqtt: { port: 0, ...mqttConfig },
    api: { port: 0, ...api },
    core: { url: core.url, token: 'tok-sec', linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000 },
    triage: { model: null },
    log_level: 'silent',
  }), (level, message, fields) => logs.push({ level, message, fields }))
  return Object.assign(gateway, { logs })
}

/**
 * CONNECT, resolving with the client or the refusal: the CONNACK code (4 bad login, 5 not
 * authorized), or none when the connection closed before any (a TLS handshake refused).
 */
function connect(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient | { refused: number | undefined; message: string }> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options })
    const fail = (err?: Error) => {
      client.removeAllListeners()
      client.on('error', () => {})
      client.end(true)
      resolve({ refused: (err as { code?: number } | undefined)?.code, message: err?.message ?? 'closed before CONNACK' })
    }
    client.once('connect', () => {
      client.removeAllListeners('error')
      client.removeAllListeners('close')
      resolve(client)
    })
    client.once('error', fail)
    client.once('close', () => fail())
  })
}

const refusal = (c: unknown) => (c instanceof mqtt.MqttClient ? '' : (c as { message: string }).message)

/** The SUBACK's granted QoS list (mqtt.js rejects a refusal, 0x80, with the packet attached). */
async function grantedQos(client: MqttClient, topic: string): Promise<number[]> {
  try {
    return (await client.subscribeAsync(topic, { qos: 0 })).map((g) => g.qos)
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted
    if (!granted) throw err
    return granted
  }
}

const vitals = (device: string, patient: string, spo2: number, extra: object = {}) => {
  const { topic, payload } = encodeVitalsMessage(device, { patient_id: patient, time: Date.now(), readings: [{ vital: 'spo2', value: spo2 }] })
  return { topic, payload: Object.keys(extra).length ? Buffer.from(JSON.stringify({ ...JSON.parse(payload.toString()), ...extra })) : payload }
}

const countRejected = (code: string) => core.store.count('rejected_readings', "gateway_id = 'gw-sec' AND code = {c:String}", { c: code })

test('required credentials: anonymous, unknown user and wrong password get CONNACK refusals, counted', async () => {
  const gateway = await gatewayWith({ credentials: CREDENTIALS, require_credentials: true })
  const url = `mqtt://127.0.0.1:${gateway.mqttPort}`
  try {
    const anonymous = await connect(url, { clientId: 'anon' })
    assert.equal((anonymous as { refused: number }).refused, 5, 'anonymous: not authorized')
    const wrong = await connect(url, { clientId: 'wrong', username: TABLET.username, password: 'guess' })
    assert.equal((wrong as { refused: number }).refused, 4, 'wrong password: bad user name or password')
    const unknown = await connect(url, { clientId: 'unknown', username: 'amb-9-tablet', password: TABLET.password })
    assert.equal((unknown as { refused: number }).refused, 4, 'unknown user: bad user name or password')
    const empty = await connect(url, { clientId: 'empty', username: TABLET.username })
    assert.equal((empty as { refused: number }).refused, 4, 'a username without a password')

    const status = (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { mqtt: { mode: string; refused: Record<string, number> } }
    assert.equal(status.mqtt.mode, 'required')
    assert.deepEqual(status.mqtt.refused, { NEVA_EDGE_MQTT_ANONYMOUS: 1, NEVA_EDGE_MQTT_BAD_CREDENTIALS: 3 })
    const metrics = await (await fetch(`${gateway.apiUrl}/metrics`)).text()
    assert.match(metrics, /neva_edge_mqtt_connections_refused_total\{code="NEVA_EDGE_MQTT_BAD_CREDENTIALS"\} 3/)
    assert.ok(gateway.logs.some((l) => l.message === 'MQTT connection refused'))

    const ok = await connect(url, { clientId: 'amb-7', username: TABLET.username, password: TABLET.password })
    assert.ok(ok instanceof mqtt.MqttClient, 'the right password connects')
    await ok.endAsync()
  } finally {
    await gateway.stop()
  }
})

test('topic ACLs: a tablet publishes for its own devices; another ambulance\'s topic, patient or device id is acknowledged, kept aside, counted, and its good data still arrives', async () => {
  const gateway = await gatewayWith({ credentials: CREDENTIALS, require_credentials: true })
  try {
    const client = (await connect(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'amb-7', username: TABLET.username, password: TABLET.password })) as MqttClient
    const own = vitals('amb-7.p1-monitor', 'amb-7.p1', 97)
    await client.publishAsync(own.topic, own.payload, { qos: 1 })
    // Another ambulance's topic, at QoS 1 and at QoS 0: acknowledged (or not), never stored.
    const other = vitals('amb-9.p1-monitor', 'amb-9.p1', 91)
    await client.publishAsync(other.topic, other.payload, { qos: 1 })
    await client.publishAsync(other.topic, other.payload, { qos: 0 })
    // Its own topic, but another ambulance's patient.
    const patient = vitals('amb-7.p1-monitor', 'amb-9.p1', 92)
    await client.publishAsync(patient.topic, patient.payload, { qos: 1 })
    // Its own topic, but the payload says it is another device.
    const impostor = vitals('amb-7.p1-monitor', 'amb-7.p1', 93, { device_id: 'amb-9.p1-monitor' })
    await client.publishAsync(impostor.topic, impostor.payload, { qos: 1 })
    // Not a device topic at all, and a retained message nobody should keep.
    await client.publishAsync('hospital/announcements', 'hello', { qos: 1, retain: true })
    // A subscription anywhere is refused with SUBACK 0x80; the connection stays.
    assert.deepEqual(await grantedQos(client, 'neva/#'), [128])
    const after = vitals('amb-7.p2-monitor', 'amb-7.p2', 96)
    await client.publishAsync(after.topic, after.payload, { qos: 1 })
    assert.ok(client.connected, 'denials do not drop the connection')
    await client.endAsync()
    await gateway.drain(20_000)

    assert.equal(await core.store.count('observations', "gateway_id = 'gw-sec' AND patient_id IN ('amb-7.p1', 'amb-7.p2')"), 2)
    assert.equal(await core.store.count('observations', "gateway_id = 'gw-sec' AND (patient_id = 'amb-9.p1' OR device_id = 'amb-9.p1-monitor')"), 0)
    assert.equal(await countRejected('NEVA_EDGE_MQTT_TOPIC_DENIED'), 3)
    assert.equal(await countRejected('NEVA_EDGE_MQTT_PATIENT_DENIED'), 1)
    assert.equal(await countRejected('NEVA_DECODE_DEVICE_MISMATCH'), 1)
    const [kept] = await (await core.clickhouse.client.query({
      query: "SELECT origin, reason, payload FROM rejected_readings WHERE gateway_id = 'gw-sec' AND code = 'NEVA_EDGE_MQTT_PATIENT_DENIED'",
      format: 'JSONEachRow',
    })).json<{ origin: string; reason: string; payload: string }>()
    assert.equal(kept!.origin, 'mqtt:amb-7-tablet@neva/v1/devices/amb-7.p1-monitor/vitals')
    assert.match(kept!.reason, /amb-7-tablet may not publish for the patient the message names/)
    assert.doesNotMatch(kept!.reason, /amb-9\.p1/, 'the reason names the rule, not the patient')
    assert.match(kept!.payload, /"value":92/)

    const status = (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { mqtt: { denied: Record<string, Record<string, number>> }; devices: Array<{ device_id: string; errors: Record<string, number> }> }
    assert.deepEqual(status.mqtt.denied, { 'amb-7-tablet': { NEVA_EDGE_MQTT_TOPIC_DENIED: 3, NEVA_EDGE_MQTT_PATIENT_DENIED: 1, NEVA_EDGE_MQTT_SUBSCRIBE_DENIED: 1 } })
    assert.equal(status.devices.find((d) => d.device_id === 'amb-7.p1-monitor')?.errors.NEVA_DECODE_DEVICE_MISMATCH, 1)
    assert.equal(status.devices.find((d) => d.device_id === 'amb-9.p1-monitor'), undefined, 'a denied publish does not count as the other device heard')
    const metrics = await (await fetch(`${gateway.apiUrl}/metrics`)).text()
    assert.match(metrics, /neva_edge_mqtt_denied_total\{username="amb-7-tablet",code="NEVA_EDGE_MQTT_TOPIC_DENIED"\} 3/)
  } finally {
    await gateway.stop()
  }
})

test('a login without device_ids publishes only as itself', async () => {
  const gateway = await gatewayWith({ credentials: CREDENTIALS, require_credentials: true })
  try {
    const client = (await connect(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'mon-2', username: 'icu-mon-2', password: 'mon-2-secret' })) as MqttClient
    const own = vitals('icu-mon-2', 'icu.bed2', 95)
    const other = vitals('icu-mon-3', 'icu.bed3', 95)
    await client.publishAsync(own.topic, own.payload, { qos: 1 })
    await client.publishAsync(other.topic, other.payload, { qos: 1 })
    await client.endAsync()
    await gateway.drain(20_000)
    assert.equal(await core.store.count('observations', "gateway_id = 'gw-sec' AND patient_id = 'icu.bed2'"), 1)
    assert.equal(await core.store.count('observations', "gateway_id = 'gw-sec' AND patient_id = 'icu.bed3'"), 0)
  } finally {
    await gateway.stop()
  }
})

test('mixed mode: a client without a login connects but may not speak for a device that has one', async () => {
  const gateway = await gatewayWith({ credentials: CREDENTIALS })
  try {
    assert.ok(gateway.logs.some((l) => l.level === 'warn' && /without a login may still publish/.test(l.message)))
    const client = (await connect(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'legacy' })) as MqttClient
    const legacy = vitals('legacy-spo2', 'ward-mixed.bed1', 94)
    const claimed = vitals('amb-7.p3-monitor', 'amb-7.p3', 94)
    await client.publishAsync(legacy.topic, legacy.payload, { qos: 1 })
    await client.publishAsync(claimed.topic, claimed.payload, { qos: 1 })
    assert.deepEqual(await grantedQos(client, 'neva/#'), [128])
    await client.endAsync()
    await gateway.drain(20_000)
    assert.equal(await core.store.count('observations', "gateway_id = 'gw-sec' AND patient_id = 'ward-mixed.bed1'"), 1)
    assert.equal(await core.store.count('observations', "gateway_id = 'gw-sec' AND patient_id = 'amb-7.p3'"), 0)
    const status = (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { mqtt: { mode: string; denied: Record<string, Record<string, number>> } }
    assert.equal(status.mqtt.mode, 'mixed')
    assert.deepEqual(status.mqtt.denied['(none)'], { NEVA_EDGE_MQTT_TOPIC_DENIED: 1, NEVA_EDGE_MQTT_SUBSCRIBE_DENIED: 1 })
  } finally {
    await gateway.stop()
  }
})

test('open mode (no credentials): works as before, with a warning at start-up', async () => {
  const gateway = await gatewayWith({})
  try {
    assert.ok(gateway.logs.some((l) => l.level === 'warn' && /accepts any client/.test(l.message)))
    const client = (await connect(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'any', username: 'whoever', password: 'whatever' })) as MqttClient
    assert.ok(client instanceof mqtt.MqttClient)
    assert.deepEqual(await grantedQos(client, 'neva/#'), [0])
    await client.endAsync()
  } finally {
    await gateway.stop()
  }
})

test('MQTT over TLS: a device that trusts the CA connects and its readings are stored; plaintext to the TLS port fails', async () => {
  const pki = new TestCa()
  const server = pki.issue('server', '127.0.0.1', { ip: '127.0.0.1' })
  const gateway = await gatewayWith({ credentials: CREDENTIALS, require_credentials: true, tls: { cert_file: server.certFile, key_file: server.keyFile } })
  try {
    const client = await connect(`mqtts://127.0.0.1:${gateway.mqttPort}`, { clientId: 'amb-7', username: TABLET.username, password: TABLET.password, ca: pki.ca.cert })
    assert.ok(client instanceof mqtt.MqttClient, refusal(client))
    const own = vitals('amb-7.p1-monitor', 'amb-7.tls1', 98)
    await client.publishAsync(own.topic, own.payload, { qos: 1 })
    await client.endAsync()

    // The ambulance simulator logs in the same way.
    const report = await runAmbulance({
      brokerUrl: `mqtts://127.0.0.1:${gateway.mqttPort}`, ambulanceId: 'amb-7', username: TABLET.username, password: TABLET.password, tls: { ca: pki.ca.cert },
      patients: [{ id: 'amb-7.sim1', scenario: 'stable', seed: 1 }], intervalMs: 50, maxTicks: 3,
    })
    assert.deepEqual([report.messages, report.unacknowledged], [3, 0])
    await assert.rejects(runAmbulance({
      brokerUrl: `mqtts://127.0.0.1:${gateway.mqttPort}`, ambulanceId: 'amb-7', username: TABLET.username, password: 'wrong', tls: { ca: pki.ca.cert },
      patients: [{ id: 'amb-7.sim1', scenario: 'stable', seed: 1 }], intervalMs: 50, maxTicks: 1,
    }), /Bad username or password/i)

    const plain = await connect(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'plain', username: TABLET.username, password: TABLET.password, connectTimeout: 1500 })
    assert.ok(!(plain instanceof mqtt.MqttClient), 'plaintext MQTT on the TLS port must not connect')
    // A device that does not trust the gateway's CA refuses it.
    const untrusting = await connect(`mqtts://127.0.0.1:${gateway.mqttPort}`, { clientId: 'untrusting', username: TABLET.username, password: TABLET.password, ca: new TestCa('other').ca.cert })
    assert.ok(!(untrusting instanceof mqtt.MqttClient))
    await gateway.drain(20_000)
    assert.equal(await core.store.count('observations', "gateway_id = 'gw-sec' AND patient_id = 'amb-7.tls1'"), 1)
    assert.equal(await core.store.count('observations', "gateway_id = 'gw-sec' AND patient_id = 'amb-7.sim1'"), report.published)
    const status = (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { mqtt: { tls: boolean; tls_handshake_failures: number } }
    assert.equal(status.mqtt.tls, true)
    assert.ok(status.mqtt.tls_handshake_failures >= 1)
  } finally {
    await gateway.stop()
  }
})

test('client certificates: the CN is the login; a certificate from another CA, none, or a username that is not the CN is refused', async () => {
  const pki = new TestCa()
  const server = pki.issue('server', '127.0.0.1', { ip: '127.0.0.1' })
  const device = pki.issue('icu-mon-2', 'icu-mon-2', { clientAuth: true })
  const stranger = pki.issue('stranger', 'icu-mon-9', { clientAuth: true })
  const rogue = new TestCa('rogue-ca').issue('icu-mon-2', 'icu-mon-2', { clientAuth: true })
  const gateway = await gatewayWith({
    credentials: [...CREDENTIALS, { username: 'icu-vent-4' }],
    require_credentials: true,
    tls: { cert_file: server.certFile, key_file: server.keyFile, ca_file: pki.ca.certFile },
  })
  const url = `mqtts://127.0.0.1:${gateway.mqttPort}`
  const tls = (pem: { cert: string; key: string }) => ({ ca: pki.ca.cert, cert: pem.cert, key: pem.key })
  try {
    const good = await connect(url, { clientId: 'mon-2', ...tls(device) })
    assert.ok(good instanceof mqtt.MqttClient, refusal(good))
    const own = vitals('icu-mon-2', 'icu.cert2', 95)
    await good.publishAsync(own.topic, own.payload, { qos: 1 })
    await good.endAsync()

    const fromRogue = await connect(url, { clientId: 'rogue', ...tls(rogue) })
    assert.ok(!(fromRogue instanceof mqtt.MqttClient), 'a certificate another CA signed is refused at the handshake')
    const none = await connect(url, { clientId: 'none', ca: pki.ca.cert, username: TABLET.username, password: TABLET.password })
    assert.ok(!(none instanceof mqtt.MqttClient), 'no client certificate: refused at the handshake')
    const mismatch = await connect(url, { clientId: 'mismatch', ...tls(device), username: TABLET.username, password: TABLET.password })
    assert.equal((mismatch as { refused: number }).refused, 5, 'a username other than the CN')
    // A certificate the CA signed for a CN that is no login still needs a password.
    const noLogin = await connect(url, { clientId: 'stranger', ...tls(stranger) })
    assert.equal((noLogin as { refused: number }).refused, 5)
    const withPassword = await connect(url, { clientId: 'stranger-pw', ...tls(stranger), username: 'icu-mon-2', password: 'mon-2-secret' })
    assert.ok(withPassword instanceof mqtt.MqttClient, 'a valid certificate plus a valid password')
    await withPassword.endAsync()

    await gateway.drain(20_000)
    assert.equal(await core.store.count('observations', "gateway_id = 'gw-sec' AND patient_id = 'icu.cert2'"), 1)
    const status = (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { mqtt: { client_certificates: boolean; tls_handshake_failures: number; refused: Record<string, number> } }
    assert.equal(status.mqtt.client_certificates, true)
    assert.ok(status.mqtt.tls_handshake_failures >= 2)
    assert.deepEqual(status.mqtt.refused, { NEVA_EDGE_MQTT_CERT_MISMATCH: 1, NEVA_EDGE_MQTT_ANONYMOUS: 1 })
  } finally {
    await gateway.stop()
  }
})

test('config: a credential that could never log in, or a malformed hash, is refused at start-up naming the field', () => {
  const base = { gateway_id: 'gw', core: { token: 't' } }
  assert.throws(() => parseGatewayConfig({ ...base, mqtt: { credentials: [{ username: 'x' }] } }), /\/mqtt\/credentials\/0: no password_hash, and no mqtt.tls.ca_file/)
  assert.throws(() => parseGatewayConfig({ ...base, mqtt: { credentials: [{ username: 'x', password_hash: 'plaintext' }] } }), /\/mqtt\/credentials\/0\/password_hash: not an argon2id PHC string/)
  assert.throws(() => parseGatewayConfig({ ...base, mqtt: { credentials: [CREDENTIALS[1], CREDENTIALS[1]] } }), /username icu-mon-2 is configured twice/)
  assert.throws(() => parseGatewayConfig({ ...base, mqtt: { credentials: [{ ...CREDENTIALS[1], device_ids: ['a*b'] }] } }), /device_ids/)
})
