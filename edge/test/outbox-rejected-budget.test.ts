// Finding 5 (red-team review): refused input shared the outbox's byte budget, so a device sending
// junk could fill the outbox and make the gateway stop acknowledging every device's good
// readings. Tried as the attack over real MQTT into a real SQLite outbox with the uplink down:
// junk is bounded by outbox.rejected_max_bytes (the excess dropped and counted), good readings
// keep being acknowledged and stored, and the budget survives a restart.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { encodeVitalsMessage } from '@neva/firmware-adapters'
import { parseGatewayConfig, startGateway, SqliteOutbox } from '../src/index.js'
import { tempDir } from './helpers.js'

test('junk fills only its own budget; good readings keep flowing; the budget holds across a restart', async () => {
  const dir = tempDir('rejbudget')
  const config = parseGatewayConfig({
    gateway_id: 'gw-junk',
    data_dir: dir,
    mqtt: { port: 0 },
    api: { port: 0 },
    // The uplink is down: nothing leaves the outbox during the attack.
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000 },
    outbox: { max_bytes: 2 * 1024 * 1024, rejected_max_bytes: 128 * 1024 },
    triage: { model: null, sync_interval_ms: 0 },
    log_level: 'silent',
  })
  const gateway = await startGateway(config, () => {})
  try {
    const junk = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { reconnectPeriod: 0 })
    // 3 MB of payloads that are not JSON: more than the whole outbox's budget.
    const garbage = Buffer.alloc(6 * 1024, 0x7b)
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 100 }, () => junk.publishAsync('neva/v1/devices/junk-1/vitals', garbage, { qos: 1 })))
    }
    await junk.endAsync()
    const afterJunk = gateway.outbox.stats()
    assert.equal(afterJunk.full, false, 'junk alone cannot fill the outbox')
    assert.ok(afterJunk.rejectedDropped! > 400, `dropped ${afterJunk.rejectedDropped}`)
    assert.ok(afterJunk.appended < 100, `kept ${afterJunk.appended} refusals`)

    const good = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { reconnectPeriod: 0 })
    const t = Date.now()
    for (let i = 0; i < 20; i++) {
      const { topic, payload } = encodeVitalsMessage('icu-mon-1', { patient_id: 'icu.bed1', time: t + i, readings: [{ vital: 'heart_rate', value: 70 + i }] })
      await good.publishAsync(topic, payload, { qos: 1 })
    }
    await good.endAsync()
    const s = gateway.outbox.stats()
    assert.ok(s.appended - afterJunk.appended >= 20, 'every good reading stored and acknowledged (and its triage results)')
    assert.equal(s.refusedFull, 0)
  } finally {
    await gateway.stop()
  }
  // Restarted: the refusals already kept count against the budget from the first append.
  const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), gatewayId: 'gw-junk', maxBytes: 2 * 1024 * 1024, rejectedMaxBytes: 128 * 1024 })
  try {
    const seqs = await outbox.append([{ kind: 'rejected', body: { source: 'mqtt', origin: 'test', received_time: Date.now(), code: 'NEVA_DECODE_INVALID_JSON', reason: 'x', payload: 'y'.repeat(8192) } }])
    assert.deepEqual(seqs, [-1])
    assert.equal(outbox.stats().rejectedDropped, 1)
  } finally {
    await outbox.close()
  }
})
