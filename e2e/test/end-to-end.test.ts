// MQTT → edge → core → ClickHouse, with a real MQTT client over TCP and the embedded ClickHouse.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mqtt from 'mqtt'
import { vitalsTopic } from '@neva/contracts'
import { runAmbulance } from '@neva/simulators'
import { nurseFetch, startTestCore, startTestGateway } from './helpers.js'

const core = await startTestCore({ 'gw-e2e': 'tok-e2e', 'gw-bad': 'tok-bad', 'gw-dur': 'tok-dur' })
after(() => core.close())

test('a simulated ambulance streams through the gateway into ClickHouse: stored equals published', async () => {
  const gateway = await startTestGateway('gw-e2e', core.url, 'tok-e2e')
  try {
    const patients = [
      { id: 'e2e.p1', scenario: 'stable' as const, seed: 7 },
      { id: 'e2e.p2', scenario: 'sepsis' as const, seed: 7, onsetS: 0, courseS: 20 },
      { id: 'e2e.p3', scenario: 'haemorrhage' as const, seed: 7, onsetS: 0, courseS: 20 },
    ]
    const report = await runAmbulance({ brokerUrl: `mqtt://127.0.0.1:${gateway.mqttPort}`, ambulanceId: 'e2e', patients, intervalMs: 40, timeScale: 25, maxTicks: 30 })
    assert.equal(report.unacknowledged, 0)
    assert.ok(report.published >= 30 * 3 * 4)
    await gateway.drain(20_000)
    const stored = await core.store.count('observations', "gateway_id = 'gw-e2e'")
    assert.equal(stored, report.published)

    // Triage reached the core for every patient, and the deteriorating ones were escalated.
    const rs = await core.clickhouse.client.query({
      query: "SELECT patient_id, argMax(level, (time, seq)) AS level, argMax(news2_score, (time, seq)) AS score FROM triage_results WHERE gateway_id = 'gw-e2e' GROUP BY patient_id ORDER BY patient_id",
      format: 'JSONEachRow',
    })
    const levels = await rs.json<{ patient_id: string; level: string; score: number }>()
    assert.deepEqual(levels.map((l) => l.patient_id), ['e2e.p1', 'e2e.p2', 'e2e.p3'])
    assert.equal(levels[0]!.level, 'green')
    assert.notEqual(levels[1]!.level, 'green')
    assert.notEqual(levels[2]!.level, 'green')

    // Every result names its model and never sits below NEWS2.
    const scored = await (await core.clickhouse.client.query({
      query: "SELECT level, news2_level, model_level, model_version FROM triage_results WHERE gateway_id = 'gw-e2e'",
      format: 'JSONEachRow',
    })).json<{ level: string; news2_level: string; model_level: string; model_version: string }>()
    const rank = (l: string) => ['green', 'yellow', 'red'].indexOf(l)
    for (const r of scored) {
      assert.match(r.model_version, /^triage-lr@/)
      assert.ok(rank(r.level) >= rank(r.news2_level) && rank(r.level) >= rank(r.model_level), JSON.stringify(r))
    }

    const asNurse = await nurseFetch(core, ['e2e.p2'])
    const latest = (await (await asNurse('/v1/patients/e2e.p2/latest')).json()) as { vitals: Record<string, unknown>; triage: { level: string } }
    assert.ok(latest.vitals.spo2 && latest.vitals.heart_rate && latest.vitals.respiratory_rate)
    assert.equal(latest.triage.level, levels[1]!.level)

    const status = (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { outbox: { depth: number; oldestAgeMs: number }; uplink: { rows: number; batches: number; retries: number; last_error: string | null } }
    assert.equal(status.outbox.depth, 0)
    assert.equal(status.outbox.oldestAgeMs, 0)
    assert.ok(status.uplink.rows >= report.published)
    assert.equal(status.uplink.last_error, null)
    const metrics = await (await fetch(`${gateway.apiUrl}/metrics`)).text()
    for (const name of ['neva_edge_outbox_depth', 'neva_edge_outbox_oldest_age_seconds', 'neva_edge_uplink_rows_total', 'neva_edge_uplink_retries_total', 'neva_edge_dead_letters_total', 'neva_edge_outbox_full', 'neva_edge_outbox_bytes']) {
      assert.match(metrics, new RegExp(`^${name} `, 'm'), name)
    }
  } finally {
    await gateway.stop()
  }
})

test('bad input is refused with a counted reason, kept aside, and neither disconnects the device nor loses its good readings', async () => {
  const gateway = await startTestGateway('gw-bad', core.url, 'tok-bad')
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'bad-device', reconnectPeriod: 0 })
  let closed = false
  client.on('close', () => { closed = true })
  try {
    const topic = vitalsTopic('bad-monitor')
    await client.publishAsync(topic, '{"patient_id": "bad.p1", readings: nope', { qos: 1 })
    await client.publishAsync(topic, JSON.stringify({ readings: [{ vital: 'spo2', value: 97 }] }), { qos: 1 })
    await client.publishAsync(topic, JSON.stringify({ patient_id: 'bad.p1', readings: [
      { vital: 'heart_rate', value: 900 },
      { vital: 'spo2', value: 140 },
      { vital: 'spo2', value: 98 },
    ] }), { qos: 1 })
    await client.publishAsync(topic, JSON.stringify({ patient_id: 'bad.p1', readings: [{ vital: 'respiratory_rate', value: 14 }] }), { qos: 1 })
    assert.equal(closed, false, 'the device stayed connected')
    await gateway.drain(10_000)

    const rs = await core.clickhouse.client.query({ query: "SELECT name, value FROM observations WHERE gateway_id = 'gw-bad' ORDER BY name", format: 'JSONEachRow' })
    assert.deepEqual(await rs.json(), [{ name: 'respiratory_rate', value: 14 }, { name: 'spo2', value: 98 }])
    const rej = await core.clickhouse.client.query({ query: "SELECT code, reason, payload, origin FROM rejected_readings WHERE gateway_id = 'gw-bad' ORDER BY seq", format: 'JSONEachRow' })
    const rejected = await rej.json<{ code: string; reason: string; payload: string; origin: string }>()
    assert.deepEqual(rejected.map((r) => r.code), ['NEVA_DECODE_INVALID_JSON', 'NEVA_DECODE_SCHEMA', 'NEVA_DECODE_IMPLAUSIBLE_VALUE', 'NEVA_DECODE_IMPLAUSIBLE_VALUE'])
    assert.match(rejected[1]!.reason, /patient_id/)
    assert.match(rejected[2]!.reason, /900/)
    assert.equal(rejected[0]!.payload, '{"patient_id": "bad.p1", readings: nope')
    assert.equal(rejected[0]!.origin, `mqtt:${topic}`)

    const metrics = await (await fetch(`${gateway.apiUrl}/metrics`)).text()
    assert.match(metrics, /neva_edge_rejected_total\{code="NEVA_DECODE_IMPLAUSIBLE_VALUE"\} 2/)
    assert.match(metrics, /neva_edge_rejected_total\{code="NEVA_DECODE_INVALID_JSON"\} 1/)
    const status = (await (await fetch(`${gateway.apiUrl}/status`)).json()) as { recent_rejections: Array<{ code: string }> }
    assert.equal(status.recent_rejections.length, 4)
  } finally {
    await client.endAsync()
    await gateway.stop()
  }
})

test('a QoS 1 PUBACK arrives only after the reading is in the durable outbox', async () => {
  // The core is unreachable, so what the device was acknowledged for must sit in the outbox.
  const gateway = await startTestGateway('gw-dur', 'http://127.0.0.1:9', 'tok-dur')
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'dur-device', reconnectPeriod: 0 })
  try {
    const db = new Database(join(gateway.dataDir, 'outbox.db'), { readonly: true })
    const rows = db.prepare("SELECT coalesce(sum(n), 0) AS n FROM items WHERE kind = 'observation'")
    for (let i = 0; i < 20; i++) {
      await client.publishAsync(vitalsTopic('dur-monitor'), JSON.stringify({ patient_id: 'dur.p1', readings: [{ vital: 'spo2', value: 90 + (i % 10) }] }), { qos: 1 })
      // Read straight after the acknowledgement, through another connection.
      assert.equal((rows.get() as { n: number }).n, i + 1)
    }
    db.close()
  } finally {
    await client.endAsync()
    await gateway.stop()
  }
})
