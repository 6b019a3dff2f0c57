// Findings 2–4 (red-team review), tried as the attacks over real TCP against a real gateway:
// a CONNECT announcing 200 MB, a silent socket, a first packet that is not a CONNECT, bytes piled
// up before the login, a publish over mqtt.max_packet_bytes, too many connections from one
// address and in all, and a flood of bad logins while a real device logs in.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect as tcpConnect, type Socket } from 'node:net'
import mqtt, { MqttClient } from 'mqtt'
import { ECG_LEADS } from '@neva/contracts'
import { encodeEcgMessage, MAX_ECG_PAYLOAD_BYTES } from '@neva/firmware-adapters'
import { hashPassword, parseGatewayConfig, startGateway, type Gateway } from '@neva/edge'
import { startTestCore, tempDir } from './helpers.js'

const core = await startTestCore({ 'gw-lim': 'tok-lim' })
after(() => core.close())

async function gatewayWith(mqttConfig: object): Promise<Gateway> {
  return startGateway(parseGatewayConfig({
    gateway_id: 'gw-lim',
    data_dir: tempDir('lim'),
    mqtt: { port: 0, ...mqttConfig },
    api: { port: 0 },
    core: { url: core.url, token: 'tok-lim', linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 5000 },
    triage: { model: null, sync_interval_ms: 0 },
    log_level: 'silent',
  }), () => {})
}

const status = async (g: Gateway) => ((await (await fetch(`${g.apiUrl}/status`)).json()) as { mqtt: { refused: Record<string, number>; connections: number } }).mqtt

/** A raw TCP socket from `localAddress`; resolves when it closes, with how long that took. */
async function raw(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = tcpConnect({ port, host: '127.0.0.1', localAddress })
  socket.on('error', () => {})
  await once(socket, 'connect')
  const t0 = Date.now()
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - t0)))
  return { socket, closed }
}

/** A fixed header: packet type and a remaining length (variable byte integer). */
function header(type: number, length: number): Buffer {
  const bytes = [type << 4]
  do {
    let b = length % 128
    length = Math.floor(length / 128)
    if (length > 0) b |= 0x80
    bytes.push(b)
  } while (length > 0)
  return Buffer.from(bytes)
}

/** An MQTT 3.1.1 CONNECT with a login. */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const str = (v: string) => { const b = Buffer.from(v); return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]) }
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str(clientId), str(username), str(password)])
  return Buffer.concat([header(1, body.length), body])
}

/** An MQTT client whose TCP connection leaves from `localAddress` (another loopback address = another peer). */
function clientFrom(port: number, localAddress: string, options: mqtt.IClientOptions = {}): Promise<MqttClient | Error> {
  return new Promise((resolve) => {
    const client = new MqttClient(() => tcpConnect({ port, host: '127.0.0.1', localAddress }), { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options })
    client.once('connect', () => resolve(client))
    client.once('error', (err) => { client.end(true); resolve(err) })
    client.once('close', () => { client.end(true); resolve(new Error('closed before CONNACK')) })
  })
}

test('a CONNECT announcing 200 MB, a silent socket, a non-CONNECT first packet and bytes piled up before the login are closed at once', async () => {
  const gateway = await gatewayWith({ connect_timeout_ms: 300, require_credentials: true, credentials: [{ username: 'icu-mon-1', password_hash: hashPassword('monitor secret') }] })
  try {
    const huge = await raw(gateway.mqttPort)
    huge.socket.write(Buffer.concat([header(1, 200 * 1024 * 1024), Buffer.alloc(1024, 0x41)]))
    assert.ok((await huge.closed) < 1000, 'closed on the header, not after buffering')

    const silent = await raw(gateway.mqttPort)
    const silentFor = await silent.closed
    assert.ok(silentFor >= 250 && silentFor < 3000, `closed after ${silentFor} ms`)

    const notConnect = await raw(gateway.mqttPort)
    notConnect.socket.write(header(12, 0)) // PINGREQ
    await notConnect.closed

    // A CONNECT of 70 KB (a will that large is no device's): over the 64 KiB a connection may send before its login.
    // (While a login is checked aedes stops reading, so TCP holds back whatever follows the CONNECT.)
    const piling = await raw(gateway.mqttPort)
    piling.socket.write(Buffer.concat([header(1, 70_000), Buffer.alloc(70_000, 0x43)]))
    await piling.closed

    const refused = (await status(gateway)).refused
    assert.equal(refused.NEVA_EDGE_MQTT_PREAUTH_BYTES, 2, JSON.stringify(refused))
    assert.equal(refused.NEVA_EDGE_MQTT_CONNECT_TIMEOUT, 1)
    assert.equal(refused.NEVA_EDGE_MQTT_NOT_CONNECT, 1)
    const metrics = await (await fetch(`${gateway.apiUrl}/metrics`)).text()
    assert.match(metrics, /neva_edge_mqtt_connections_refused_total\{code="NEVA_EDGE_MQTT_CONNECT_TIMEOUT"\} 1/)
  } finally {
    await gateway.stop()
  }
})

test('after the login: the largest ECG chunk the format allows is stored; a publish over max_packet_bytes closes the connection', async () => {
  const gateway = await gatewayWith({})
  try {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { reconnectPeriod: 0 })
    // 12 leads × 10 000 samples of alternating extremes: every delta takes the varint's 3 bytes.
    const leads = Object.fromEntries(ECG_LEADS.map((l) => [l, Int16Array.from({ length: 10_000 }, (_, i) => (i % 2 ? 32767 : -32768))]))
    const { topic, payload } = encodeEcgMessage('amb-3-ecg', { patientId: 'amb-3.p', startTime: Date.now() - 60_000, sampleRateHz: 500, resolutionUv: 1, leads })
    assert.ok(payload.length > 256 * 1024 && payload.length <= MAX_ECG_PAYLOAD_BYTES, `${payload.length} bytes`)
    await client.publishAsync(topic, payload, { qos: 1 })
    await gateway.drain(10_000)
    assert.equal(gateway.outbox.stats().appended, 12, 'the chunk is stored (a waveform per lead)')

    const closed = new Promise((resolve) => client.once('close', () => resolve(undefined)))
    client.publish('neva/v1/devices/amb-3/vitals', Buffer.alloc(600 * 1024, 0x20), { qos: 1 })
    await closed
    client.end(true)
    assert.equal((await status(gateway)).refused.NEVA_EDGE_MQTT_PACKET_TOO_LARGE, 1)
  } finally {
    await gateway.stop()
  }
})

test('connection caps: per address and per listener, extra connections closed and counted, other addresses unaffected', async () => {
  const gateway = await gatewayWith({ max_connections: 5, max_connections_per_address: 3 })
  const clients: MqttClient[] = []
  try {
    for (let i = 0; i < 3; i++) {
      const c = await clientFrom(gateway.mqttPort, '127.0.0.1')
      assert.ok(c instanceof MqttClient, `client ${i}: ${(c as Error).message}`)
      clients.push(c)
    }
    const fourth = await clientFrom(gateway.mqttPort, '127.0.0.1')
    assert.ok(fourth instanceof Error, 'a fourth connection from the same address is closed')
    for (const from of ['127.0.0.2', '127.0.0.3']) {
      const c = await clientFrom(gateway.mqttPort, from)
      assert.ok(c instanceof MqttClient, `${from}: ${(c as Error).message}`)
      clients.push(c)
    }
    assert.ok((await clientFrom(gateway.mqttPort, '127.0.0.4')) instanceof Error, 'a sixth connection in all is closed')
    const s = await status(gateway)
    assert.deepEqual([s.connections, s.refused.NEVA_EDGE_CONN_TOO_MANY_FROM_ADDRESS, s.refused.NEVA_EDGE_CONN_TOO_MANY], [5, 1, 1])
    // A connection closed frees its place.
    await clients.shift()!.endAsync()
    await new Promise((r) => setTimeout(r, 100))
    const again = await clientFrom(gateway.mqttPort, '127.0.0.4')
    assert.ok(again instanceof MqttClient)
    clients.push(again)
  } finally {
    for (const c of clients) c.end(true)
    await gateway.stop()
  }
})

test('a flood of bad CONNECTs cannot hold a real device\'s login back: bounded queue, per-address limits', async (t) => {
  // Real argon2 cost (OWASP baseline, ~0.1 s a check): the attack is on that cost.
  const gateway = await gatewayWith({
    require_credentials: true,
    credentials: [{ username: 'icu-mon-1', password_hash: hashPassword('monitor secret') }],
    max_connections_per_address: 1000,
  })
  const flood: MqttClient[] = []
  try {
    // 300 CONNECTs with wrong passwords from one address, and 100 from each of two more.
    const attackers = [['127.0.0.2', 300], ['127.0.0.3', 100], ['127.0.0.4', 100]] as const
    const refusals = attackers.flatMap(([from, n]) => Array.from({ length: n }, (_, i) => clientFrom(gateway.mqttPort, from, { username: i % 2 ? 'icu-mon-1' : `nobody-${i}`, password: 'guess' })))
    // Let the flood reach the broker and fill whatever queue it can.
    await new Promise((r) => setTimeout(r, 500))
    // What holds the device back is the password checks queued ahead of it: count them rather
    // than time them (a loaded machine slows every check, not the bound).
    const checked = async () => (await status(gateway)).refused.NEVA_EDGE_MQTT_BAD_CREDENTIALS ?? 0
    const before = await checked()
    const t0 = Date.now()
    const device = await clientFrom(gateway.mqttPort, '127.0.0.1', { username: 'icu-mon-1', password: 'monitor secret', connectTimeout: 120_000 })
    const ahead = (await checked()) - before
    t.diagnostic(`device login during the flood: ${Date.now() - t0} ms, ${ahead} attackers' password checks ahead of it`)
    assert.ok(device instanceof MqttClient, `the device logs in: ${(device as Error).message}`)
    flood.push(device)
    const results = await Promise.all(refusals)
    assert.ok(results.every((r) => r instanceof Error), 'no attacker got in')
    // At most the queue (32) and the checks running (2) go first; the former limits let 256 wait.
    assert.ok(ahead <= 34, `${ahead} password checks ran before the device's`)
    const refused = (await status(gateway)).refused
    const early = (refused.NEVA_EDGE_MQTT_BUSY ?? 0) + (refused.NEVA_EDGE_MQTT_BUSY_ADDRESS ?? 0) + (refused.NEVA_EDGE_MQTT_LOGIN_RATE_LIMITED ?? 0)
    assert.ok(early >= 400, `refused without a password check: ${JSON.stringify(refused)}`)
    assert.ok((refused.NEVA_EDGE_MQTT_BAD_CREDENTIALS ?? 0) <= 3 * 10 + 10, `checked: ${refused.NEVA_EDGE_MQTT_BAD_CREDENTIALS}`)
    // The rate limit holds afterwards: that address is refused at once, the device's is not.
    const limited = (await status(gateway)).refused.NEVA_EDGE_MQTT_LOGIN_RATE_LIMITED ?? 0
    const checks = await checked()
    assert.ok((await clientFrom(gateway.mqttPort, '127.0.0.2', { username: 'icu-mon-1', password: 'monitor secret' })) instanceof Error)
    // Refused without a password check: no argon2 cost for a rate-limited address.
    assert.equal(await checked(), checks)
    assert.equal((await status(gateway)).refused.NEVA_EDGE_MQTT_LOGIN_RATE_LIMITED, limited + 1)
  } finally {
    for (const c of flood) c.end(true)
    await gateway.stop()
  }
})
