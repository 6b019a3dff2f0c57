// ECG over MQTT end to end: the simulated ambulance streams 12-lead chunks through a real MQTT
// client to the gateway's broker; they travel the outbox and the uplink into ClickHouse's
// waveforms table, one row per lead per chunk. A damaged chunk is kept aside; a resent one is
// stored once.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { ECG_LEADS } from '@neva/contracts'
import { encodeEcgMessage } from '@neva/firmware-adapters'
import { runAmbulance } from '@neva/simulators'
import { startTestCore, startTestGateway } from './helpers.js'

const core = await startTestCore({ 'gw-ecg': 'tok-ecg' })
after(() => core.close())

test('ECG chunks from the ambulance reach ClickHouse whole and contiguous; vitals keep their path', async () => {
  const gateway = await startTestGateway('gw-ecg', core.url, 'tok-ecg')
  try {
    const report = await runAmbulance({
      brokerUrl: `mqtt://127.0.0.1:${gateway.mqttPort}`,
      ambulanceId: 'ecg',
      patients: [{ id: 'ecg.p1', scenario: 'stable', seed: 1 }],
      intervalMs: 100,
      maxTicks: 5,
      ecg: true,
    })
    assert.equal(report.ecgChunks, 5)
    assert.equal(report.unacknowledged, 0)

    // A damaged chunk is refused by the ECG decoder, kept aside and acknowledged; a resent
    // chunk (same bytes) is acknowledged again and stored once.
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'ecg-bad', reconnectPeriod: 0 })
    await client.publishAsync('neva/v1/devices/ecg.p1-monitor/ecg', Buffer.from('not an ECG chunk at all, just text'), { qos: 1 })
    const leads = Object.fromEntries(ECG_LEADS.map((l, i) => [l, Int16Array.from({ length: 50 }, (_, k) => k * 3 - 60 + i)]))
    const again = encodeEcgMessage('ecg.p2-monitor', { patientId: 'ecg.p2', startTime: Date.now() - 1000, sampleRateHz: 500, resolutionUv: 5, leads })
    await client.publishAsync(again.topic, again.payload, { qos: 1 })
    await client.publishAsync(again.topic, again.payload, { qos: 1 })
    await client.endAsync()
    await gateway.drain(20_000)

    const rows = await (await core.clickhouse.client.query({
      query: "SELECT lead, toUnixTimestamp64Milli(start_time) AS t, length(samples) AS n, sample_rate_hz FROM waveforms WHERE patient_id = 'ecg.p1' ORDER BY t, lead",
      format: 'JSONEachRow',
    })).json<{ lead: string; t: string | number; n: number; sample_rate_hz: number }>()
    assert.equal(rows.length, 5 * 12)
    const starts = [...new Set(rows.map((r) => Number(r.t)))]
    // 100 ms at 500 Hz per chunk, end to end.
    assert.deepEqual(starts.map((t) => t - starts[0]!), [0, 100, 200, 300, 400])
    for (const r of rows) assert.deepEqual([r.n, r.sample_rate_hz], [50, 500])
    assert.deepEqual(new Set(rows.map((r) => r.lead)), new Set(ECG_LEADS))

    assert.equal(await core.store.count('waveforms', "patient_id = 'ecg.p2'"), 12)
    const [v1] = await (await core.clickhouse.client.query({ query: "SELECT samples FROM waveforms WHERE patient_id = 'ecg.p2' AND lead = 'V1'", format: 'JSONEachRow' })).json<{ samples: number[] }>()
    assert.deepEqual(v1!.samples, Array.from(leads.V1!))
    assert.equal(await core.store.count('rejected_readings', "gateway_id = 'gw-ecg' AND code = 'NEVA_ECG_BAD_MAGIC'"), 1)
    assert.ok((await core.store.count('observations', "patient_id = 'ecg.p1'")) >= 5 * 4)
  } finally {
    await gateway.stop()
  }
})
