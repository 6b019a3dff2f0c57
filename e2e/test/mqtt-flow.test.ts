// One busy connection against a small pending bound (issue 17): a publisher keeping 5,000 QoS 1
// messages unacknowledged gets every one acknowledged and stored once, while the gateway stops
// reading its socket at the bound (seen in /status) and never holds much more than the bound.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import mqtt from 'mqtt'
import { vitalsTopic } from '@neva/contracts'
import { parseGatewayConfig, startGateway } from '@neva/edge'
import { tempDir } from './helpers.js'

const MESSAGES = 10_000
const WINDOW = 5000
const BOUND = 20
// The bound is soft by what one read of the socket brings (seen up to about 130 KiB here: two
// 64 KiB reads before aedes took them); these messages are about 130 bytes.
const CHUNK_MESSAGES = Math.ceil((160 * 1024) / 120)

interface Flow { pending: number; pending_max: number; paused_connections: number; pauses: number; max_pending_per_connection: number }

test('a window of 5,000 against a bound of 20: all acknowledged, stored once, the socket paused at the bound', async () => {
  const dataDir = tempDir('flow')
  const g = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-flow',
    data_dir: dataDir,
    mqtt: { port: 0, max_pending_per_connection: BOUND, max_pending_total: 100 },
    api: { port: 0 },
    // Nothing listens there: the readings stay in the outbox, to be counted.
    core: { url: 'http://127.0.0.1:9', token: 'tok', backoff_base_ms: 1000, backoff_max_ms: 5000 },
    triage: { model: null, sync_interval_ms: 0 },
    log_level: 'silent',
  }), () => {})
  const flow = async () => ((await (await fetch(`${g.apiUrl}/status`)).json()) as { mqtt: { flow: Flow } }).mqtt.flow
  let acknowledged = 0
  let seenPending = 0
  try {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${g.mqttPort}`, { clientId: 'flow-1', reconnectPeriod: 0 })
    const t0 = Date.now() - 3_600_000
    let sent = 0
    let inflight = 0
    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        while (sent < MESSAGES && inflight < WINDOW) {
          const time = t0 + sent++
          inflight++
          client.publish(vitalsTopic('flow-dev'), JSON.stringify({ patient_id: 'flow.p1', time, readings: [{ vital: 'heart_rate', value: 60 + (time % 40) }] }), { qos: 1 }, (err) => {
            if (err) return reject(err)
            inflight--
            acknowledged++
            if (acknowledged === MESSAGES) resolve()
            else pump()
          })
        }
      }
      pump()
    })
    const f = await flow()
    seenPending = f.pending_max
    assert.equal(f.max_pending_per_connection, BOUND)
    assert.ok(f.pauses > 0, `the connection was paused at the bound (${JSON.stringify(f)})`)
    assert.ok(f.pending_max <= BOUND + CHUNK_MESSAGES, `pending never went far past the bound: ${f.pending_max}`)
    assert.ok(f.pending_max < WINDOW / 2, 'the gateway held far less than the window')
    assert.equal(f.pending, 0)
    assert.equal(f.paused_connections, 0)
    await client.endAsync()
  } finally {
    await g.stop()
  }
  assert.equal(acknowledged, MESSAGES)
  const db = new DatabaseSync(join(dataDir, 'outbox.db'), { readOnly: true })
  const row = db.prepare("SELECT coalesce(sum(n), 0) AS n FROM items WHERE kind = 'observation'").get() as { n: number }
  db.close()
  assert.equal(Number(row.n), MESSAGES, `every acknowledged reading stored once (pending max ${seenPending})`)
})
