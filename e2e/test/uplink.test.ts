// The uplink against a core that fails: 5xx, lost acknowledgements, refusals, restarts.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import mqtt from 'mqtt'
import { vitalsTopic } from '@neva/contracts'
import { startTestCore, startTestGateway, tempDir } from './helpers.js'

const core = await startTestCore({ 'gw-faults': 'tok-f', 'gw-restart': 'tok-r', 'gw-dead': 'tok-d' })
after(() => core.close())

type Fault = 'ok' | '503' | 'drop-answer' | 'reset' | '400'

/** A proxy in front of the core that applies one fault per request, in order. */
async function faultyProxy(faults: Fault[]) {
  const seen: Array<{ fault: Fault; batchId: string; attempt: string | undefined }> = []
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    const fault = faults.shift() ?? 'ok'
    const attempt = req.headers['neva-batch-attempt'] as string | undefined
    seen.push({ fault, batchId: (JSON.parse(body.toString()) as { batch_id: string }).batch_id, attempt })
    if (fault === 'reset') return req.socket.destroy()
    if (fault === '503') return res.writeHead(503).end('{"error":"down"}')
    if (fault === '400') return res.writeHead(400).end('{"error":"bad"}')
    const answer = await fetch(`${core.url}${req.url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: req.headers.authorization!, ...(attempt ? { 'neva-batch-attempt': attempt } : {}) }, body })
    const text = await answer.text()
    // The core committed, but the gateway never hears it.
    if (fault === 'drop-answer') return req.socket.destroy()
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) }
}

async function publish(port: number, patient: string, n: number) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `dev-${patient}`, reconnectPeriod: 0 })
  for (let i = 0; i < n; i++) {
    await client.publishAsync(vitalsTopic(`${patient}-mon`), JSON.stringify({ patient_id: patient, readings: [{ vital: 'pulse_rate', value: 60 + (i % 50) }] }), { qos: 1 })
  }
  await client.endAsync()
}

test('503s, connection resets and a lost acknowledgement: retried with the same batch id, stored exactly once', async () => {
  const proxy = await faultyProxy(['503', 'reset', 'drop-answer', '503'])
  const gateway = await startTestGateway('gw-faults', proxy.url, 'tok-f')
  try {
    await publish(gateway.mqttPort, 'faults.p1', 40)
    await gateway.drain(20_000)
    assert.equal(await core.store.count('observations', "patient_id = 'faults.p1'"), 40)
    // The first batch was sent at least five times under one id, and stored once.
    const first = proxy.seen[0]!.batchId
    const sends = proxy.seen.filter((s) => s.batchId === first)
    assert.ok(sends.length >= 5)
    // Each send names its attempt: only the first skips the core's ledger lookup, so the resend
    // after the lost acknowledgement is recognised as stored.
    assert.deepEqual(sends.map((s) => s.attempt), sends.map((_, i) => String(i + 1)))
    const metrics = await (await fetch(`${gateway.apiUrl}/metrics`)).text()
    assert.match(metrics, /neva_edge_uplink_retries_total [4-9]/)
  } finally {
    await gateway.stop()
    await proxy.close()
  }
})

test('a gateway stopped with a backlog delivers it after restarting on the same directory', async () => {
  const dir = tempDir('edge-restart')
  let gateway = await startTestGateway('gw-restart', 'http://127.0.0.1:9', 'tok-r', dir)
  await publish(gateway.mqttPort, 'restart.p1', 25)
  assert.equal(gateway.outbox.stats().depth >= 25, true)
  await gateway.stop()
  gateway = await startTestGateway('gw-restart', core.url, 'tok-r', dir)
  try {
    await gateway.drain(20_000)
    assert.equal(await core.store.count('observations', "patient_id = 'restart.p1'"), 25)
  } finally {
    await gateway.stop()
  }
})

test('a batch the core refuses permanently becomes a dead letter and the rest keeps flowing', async () => {
  const proxy = await faultyProxy(['400'])
  const gateway = await startTestGateway('gw-dead', proxy.url, 'tok-d')
  try {
    await publish(gateway.mqttPort, 'dead.p1', 1)
    await gateway.drain(10_000)
    await publish(gateway.mqttPort, 'dead.p2', 3)
    await gateway.drain(10_000)
    assert.equal(await core.store.count('observations', "patient_id = 'dead.p2'"), 3)
    assert.ok(gateway.outbox.stats().deadLettered >= 1)
    const metrics = await (await fetch(`${gateway.apiUrl}/metrics`)).text()
    assert.match(metrics, /neva_edge_dead_letters_total [1-9]/)
  } finally {
    await gateway.stop()
    await proxy.close()
  }
})
