// The MQTT source skips aedes' routing of a device's publish while nothing could receive it (no
// client has subscribed, the message is not retained). Checked over TCP with a real gateway in
// open mode, the only mode where anyone may subscribe: a subscriber that arrives later still gets
// what is published after it subscribed, and a retained message is still kept for it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import mqtt from 'mqtt'
import { parseGatewayConfig, startGateway } from '../src/index.js'
import { tempDir } from './helpers.js'

const payload = (time: number, hr: number) => JSON.stringify({ patient_id: 'route.p1', time, readings: [{ vital: 'heart_rate', value: hr }] })

test('publishes are stored before and after a client subscribes; a subscriber gets what follows and what was retained', async () => {
  const dir = tempDir('routing')
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-routing',
    data_dir: dir,
    mqtt: { port: 0 },
    api: { port: 0 },
    // No core: the outbox keeps every row for the test to count.
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000 },
    triage: { model: null, sync_interval_ms: 0 },
    log_level: 'silent',
  }), () => {})
  const url = `mqtt://127.0.0.1:${gateway.mqttPort}`
  const device = await mqtt.connectAsync(url, { reconnectPeriod: 0, clientId: 'route-dev' })
  const t0 = Date.now() - 60_000
  try {
    // Nobody subscribed: acknowledged (durable) all the same.
    for (let i = 0; i < 20; i++) await device.publishAsync('neva/v1/devices/route-dev/vitals', payload(t0 + i, 70), { qos: 1 })
    // A retained message while nobody listens is kept for a later subscriber.
    await device.publishAsync('neva/v1/devices/route-dev/vitals', payload(t0 + 20, 71), { qos: 1, retain: true })

    const watcher = await mqtt.connectAsync(url, { reconnectPeriod: 0, clientId: 'route-watch' })
    const seen: Array<{ topic: string; hr: number; retain: boolean }> = []
    watcher.on('message', (topic, body, packet) => seen.push({ topic, hr: (JSON.parse(body.toString()) as { readings: Array<{ value: number }> }).readings[0]!.value, retain: packet.retain }))
    await watcher.subscribeAsync('neva/v1/devices/+/vitals', { qos: 1 })
    for (let i = 0; i < 5; i++) await device.publishAsync('neva/v1/devices/route-dev/vitals', payload(t0 + 21 + i, 80 + i), { qos: 1 })
    const deadline = Date.now() + 10_000
    while (seen.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await watcher.endAsync()

    assert.deepEqual(seen.filter((m) => m.retain).map((m) => m.hr), [71], 'the retained message, once')
    assert.deepEqual(seen.filter((m) => !m.retain).map((m) => m.hr), [80, 81, 82, 83, 84], 'every publish after the subscription')
  } finally {
    await device.endAsync()
    await gateway.stop()
  }
  const db = new DatabaseSync(join(dir, 'outbox.db'), { readOnly: true })
  const { n } = db.prepare("SELECT coalesce(sum(n), 0) AS n FROM items WHERE kind = 'observation'").get() as { n: number }
  db.close()
  assert.equal(Number(n), 26, 'every publish stored, before and after the subscription')
})
