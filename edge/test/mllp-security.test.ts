// Finding 7 (red-team review): the MLLP listener took HL7 from anyone in clear text. Tried as the
// attacks over real sockets: a plaintext sender, a sender without a client certificate and one
// with a certificate from another CA against a TLS listener with a client CA; a sender outside
// the address allowlist; more connections from one address than allowed. The trusted sender's
// messages are acknowledged AA throughout; every refusal is counted on /status.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect as tcpConnect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { MllpDeframer, encodeOruR01, mllpFrame } from '@neva/firmware-adapters'
import { parseGatewayConfig, startGateway, type Gateway } from '../src/index.js'
import type { MllpStatus } from '../src/sources/mllp-source.js'
import { TestCa } from './certs.js'
import { tempDir } from './helpers.js'

async function gatewayWith(mllp: object): Promise<Gateway> {
  return startGateway(parseGatewayConfig({
    gateway_id: 'gw-mllpsec',
    data_dir: tempDir('mllpsec'),
    mqtt: { port: 0 },
    api: { port: 0 },
    mllp: { port: 0, ...mllp },
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000 },
    triage: { model: null, sync_interval_ms: 0 },
    log_level: 'silent',
  }), () => {})
}

const mllpStatus = async (g: Gateway) => ((await (await fetch(`${g.apiUrl}/status`)).json()) as { mllp: MllpStatus }).mllp
const oru = (id: string) => mllpFrame(encodeOruR01({ controlId: id, time: Date.now(), sendingApplication: 'MON', patientId: 'icu.bed1', equipmentId: 'icu-mon-1', readings: [{ vital: 'spo2', value: 95 }] }))

/** Sends one ORU on an open socket: the ACK's text, or null when the connection closed without one. */
function exchange(socket: Socket, id: string): Promise<string | null> {
  return new Promise((resolve) => {
    const deframer = new MllpDeframer()
    socket.on('data', (b: Buffer) => {
      const [m] = deframer.push(b).messages
      if (m) resolve(Buffer.from(m).toString('latin1'))
    })
    socket.on('error', () => resolve(null))
    socket.once('close', () => resolve(null))
    socket.write(oru(id))
  })
}

async function plain(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  const socket = tcpConnect({ port, host: '127.0.0.1', localAddress })
  socket.on('error', () => {})
  await once(socket, 'connect')
  return socket
}

test('MLLP over TLS with a client CA: only a sender with a certificate that CA signed is heard', async () => {
  const pki = new TestCa()
  const server = pki.issue('mllp-server', '127.0.0.1', { ip: '127.0.0.1' })
  const monitor = pki.issue('monitor', 'icu-mon-1', { clientAuth: true })
  const rogue = new TestCa('rogue').issue('rogue', 'icu-mon-1', { clientAuth: true })
  const gateway = await gatewayWith({ tls: { cert_file: server.certFile, key_file: server.keyFile, ca_file: pki.ca.certFile } })
  const tls = (extra: object) => new Promise<Socket | null>((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port: gateway.mllpPort!, ca: pki.ca.cert, ...extra })
    s.once('secureConnect', () => resolve(s))
    s.once('error', () => resolve(null))
  })
  try {
    const good = await tls({ cert: monitor.cert, key: monitor.key })
    assert.ok(good)
    assert.match((await exchange(good, 'tls-1')) ?? '', /MSA\|AA\|tls-1/)
    good.destroy()

    // Plaintext MLLP to the TLS port: no ACK, the connection is closed.
    assert.equal(await exchange(await plain(gateway.mllpPort!), 'plain-1'), null)
    // No client certificate, and one from another CA: the handshake fails (TLS 1.3 may report it on the first read).
    for (const extra of [{}, { cert: rogue.cert, key: rogue.key }]) {
      const s = await tls(extra)
      if (s) assert.equal(await exchange(s, 'nocert'), null)
    }
    const status = await mllpStatus(gateway)
    assert.deepEqual([status.tls, status.client_certificates], [true, true])
    assert.ok(status.tls_handshake_failures >= 3, `handshake failures: ${status.tls_handshake_failures}`)
    assert.equal(gateway.outbox.stats().appended >= 1, true)
  } finally {
    await gateway.stop()
  }
})

test('an address allowlist: a peer outside it is closed before a byte is read, counted; the allowed peer is acknowledged', async () => {
  const gateway = await gatewayWith({ allow_from: ['127.0.0.2/32', '10.0.4.0/24'], max_connections_per_address: 2 })
  try {
    assert.equal(await exchange(await plain(gateway.mllpPort!, '127.0.0.1'), 'outsider'), null)
    const allowed = await plain(gateway.mllpPort!, '127.0.0.2')
    assert.match((await exchange(allowed, 'inside-1')) ?? '', /MSA\|AA\|inside-1/)
    // The per-address cap: a second connection is fine, a third is closed.
    const second = await plain(gateway.mllpPort!, '127.0.0.2')
    assert.equal(await exchange(await plain(gateway.mllpPort!, '127.0.0.2'), 'third'), null)
    assert.match((await exchange(second, 'inside-2')) ?? '', /MSA\|AA\|inside-2/)
    const status = await mllpStatus(gateway)
    assert.deepEqual(status.refused, { NEVA_EDGE_CONN_NOT_ALLOWED: 1, NEVA_EDGE_CONN_TOO_MANY_FROM_ADDRESS: 1 })
    assert.equal(status.connections, 2)
    assert.match(await (await fetch(`${gateway.apiUrl}/metrics`)).text(), /neva_edge_mllp_connections_refused_total\{code="NEVA_EDGE_CONN_NOT_ALLOWED"\} 1/)
    allowed.destroy()
    second.destroy()
  } finally {
    await gateway.stop()
  }
})

test('config: an allowlist entry that is not a CIDR block is refused naming the field', () => {
  assert.throws(() => parseGatewayConfig({ gateway_id: 'g', core: { token: 't' }, mllp: { allow_from: ['10.0.4.0/33'] } }), /\/mllp\/allow_from\/0: .* is not an address or CIDR block/)
})
