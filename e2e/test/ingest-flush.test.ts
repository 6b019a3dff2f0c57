// Many gateways flushing backlogs into one core at once (issue 17): the core admits a bounded
// number of batches and answers the rest 429 with Retry-After; the gateways wait and come back
// with jitter. No timeouts, every reading stored once.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import mqtt from 'mqtt'
import { vitalsTopic } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { startTestGateway, tempDir } from './helpers.js'

const GATEWAYS = 5
const PER_GATEWAY = 240
const tokens = Object.fromEntries(Array.from({ length: GATEWAYS }, (_, i) => [`gw-flush-${i}`, `tok-flush-${i}`]))
const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: tempDir('ch') }, logLevel: 'silent',
  gateways: Object.fromEntries(Object.entries(tokens).map(([id, t]) => [id, hashToken(t)])),
  ingest: { maxInFlightBatches: 1, retryAfterS: 1 },
})
after(() => core.close())

/** Holds an ingest slot: a request whose body is announced but never finished. */
async function stalledIngest(token: string): Promise<Socket> {
  const socket = connect(Number(new URL(core.url).port), '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  socket.on('error', () => {})
  socket.write(`POST /v1/ingest HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"gateway_id":`)
  return socket
}

const post = (token: string, batchId: string) => fetch(`${core.url}/v1/ingest`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ gateway_id: 'gw-flush-0', batch_id: batchId, sent_time: Date.now(), observations: [], triage: [], rejected: [] }),
})

test('at its limit the core answers 429 with Retry-After at once; a place frees when a body is abandoned', async () => {
  const held = await stalledIngest('tok-flush-0')
  await new Promise((r) => setTimeout(r, 100))
  const busy = await post('tok-flush-0', 'adm-1')
  assert.equal(busy.status, 429)
  assert.equal(busy.headers.get('retry-after'), '1')
  assert.equal(((await busy.json()) as { error: string }).error, 'NEVA_CORE_INGEST_BUSY')
  held.destroy()
  // The abandoned body's place is given back when its connection closes.
  let res = await post('tok-flush-0', 'adm-2')
  for (let i = 0; i < 50 && res.status === 429; i++) {
    await new Promise((r) => setTimeout(r, 20))
    res = await post('tok-flush-0', 'adm-2')
  }
  assert.equal(res.status, 200)
})

async function publish(port: number, patient: string, n: number) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `dev-${patient}`, reconnectPeriod: 0 })
  await Promise.all(Array.from({ length: n }, (_, i) =>
    client.publishAsync(vitalsTopic(`${patient}-mon`), JSON.stringify({ patient_id: patient, readings: [{ vital: 'pulse_rate', value: 60 + (i % 50), time: Date.now() - 60_000 + i }] }), { qos: 1 })))
  await client.endAsync()
}

test(`${GATEWAYS} gateways flush their backlogs at once into a core taking one batch at a time: 429s, no timeouts, every reading stored once`, async () => {
  const ids = Object.keys(tokens)
  const dirs = ids.map(() => tempDir('edge-flush'))
  // Each gateway gathers a backlog while its core is unreachable.
  await Promise.all(ids.map(async (id, i) => {
    const gateway = await startTestGateway(id, 'http://127.0.0.1:9', tokens[id]!, dirs[i])
    await publish(gateway.mqttPort, `flush.g${i}`, PER_GATEWAY)
    await gateway.stop()
  }))
  // The core's one place is taken while they all come back, so every gateway meets a 429 first.
  const held = await stalledIngest('tok-flush-0')
  const gateways = await Promise.all(ids.map((id, i) => startTestGateway(id, core.url, tokens[id]!, dirs[i], {
    core: { url: core.url, token: tokens[id]!, batch_max: 40, linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 2000, timeout_ms: 5000 },
  })))
  try {
    // Released once every gateway has been told to wait at least once.
    const told = async (g: (typeof gateways)[number]) => /neva_edge_uplink_batches_total\{outcome="http_429"\} [1-9]/.test(await (await fetch(`${g.apiUrl}/metrics`)).text())
    for (let i = 0; i < 1200 && !(await Promise.all(gateways.map(told))).every(Boolean); i++) await new Promise((r) => setTimeout(r, 50))
    held.destroy()
    await Promise.all(gateways.map((g) => g.drain(60_000)))
    for (const [i, gateway] of gateways.entries()) {
      const metrics = await (await fetch(`${gateway.apiUrl}/metrics`)).text()
      assert.match(metrics, /neva_edge_uplink_batches_total\{outcome="http_429"\} [1-9]/, `gateway ${i} was never told to wait`)
      assert.doesNotMatch(metrics, /outcome="network_error"/, `gateway ${i} timed out or lost its connection`)
      const where = `patient_id = 'flush.g${i}'`
      assert.equal(await core.store.count('observations', where), PER_GATEWAY, `gateway ${i}: readings stored`)
      const [row] = await (await core.clickhouse.client.query({ query: `SELECT uniqExact(gateway_id, seq) AS n FROM observations WHERE ${where}`, format: 'JSONEachRow' })).json<{ n: string }>()
      assert.equal(Number(row!.n), PER_GATEWAY, `gateway ${i}: each reading once`)
    }
  } finally {
    held.destroy()
    await Promise.all(gateways.map((g) => g.stop()))
  }
})
