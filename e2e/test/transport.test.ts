// A crew tablet's transport messages over MQTT: simulator → gateway (decoder, outbox kind
// `transport`, uplink) → core → ClickHouse; a bad message is kept aside, the good ones around it stored.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { transportTopic } from '@neva/contracts'
import { runAmbulance } from '@neva/simulators'
import { startTestCore, startTestGateway } from './helpers.js'

const core = await startTestCore({ 'gw-tr': 'tok-tr' }, { 'gw-tr': ['city-1'] })
after(() => core.close())

test('the ambulance says en_route with an ETA, then arrived; stored once each; a bad message is refused naming the field', async () => {
  const gateway = await startTestGateway('gw-tr', core.url, 'tok-tr')
  try {
    const broker = `mqtt://127.0.0.1:${gateway.mqttPort}`
    const bad = await mqtt.connectAsync(broker, { clientId: 'bad-tablet' })
    await bad.publishAsync(transportTopic('amb-9'), JSON.stringify({ patient_id: 'tr.p9', destination_site: 'city-1', state: 'parked', time: Date.now() }), { qos: 1 })
    await bad.endAsync()
    const report = await runAmbulance({
      brokerUrl: broker, ambulanceId: 'amb-tr', patients: [{ id: 'tr.p1', scenario: 'stable', seed: 3 }], intervalMs: 40, maxTicks: 30,
      transport: { destinationSite: 'city-1', driveMs: 500, everyTicks: 4 },
    })
    assert.equal(report.unacknowledged, 0)
    await gateway.drain(20_000)
    // Every message the tablet had acknowledged reached the core (its ledger counts each batch's
    // transports); the table itself keeps each patient's latest state once ClickHouse merges.
    await core.store.settled()
    const [ledger] = await (await core.clickhouse.client.query({ query: "SELECT sum(transports) AS n FROM ingest_batches FINAL WHERE gateway_id = 'gw-tr'", format: 'JSONEachRow' })).json<{ n: string }>()
    assert.equal(Number(ledger!.n), report.transports)
    assert.ok(report.transports >= 2)
    const rows = await (await core.clickhouse.client.query({
      query: "SELECT unit, patient_id, destination_site, state, toUnixTimestamp64Milli(eta) AS eta FROM transports WHERE gateway_id = 'gw-tr' ORDER BY updated_time",
      format: 'JSONEachRow',
    })).json<{ unit: string; patient_id: string; destination_site: string; state: string; eta: string | null }>()
    assert.ok(rows.every((r) => r.unit === 'amb-tr' && r.patient_id === 'tr.p1' && r.destination_site === 'city-1' && (r.state === 'en_route') === (r.eta !== null)), JSON.stringify(rows))
    assert.deepEqual([rows.at(-1)!.state, rows.at(-1)!.eta], ['arrived', null])
    const refused = await (await core.clickhouse.client.query({ query: "SELECT code, reason FROM rejected_readings WHERE gateway_id = 'gw-tr'", format: 'JSONEachRow' })).json<{ code: string; reason: string }>()
    assert.equal(refused.length, 1)
    assert.equal(refused[0]!.code, 'NEVA_DECODE_SCHEMA')
    assert.match(refused[0]!.reason, /state/)
  } finally {
    await gateway.stop()
  }
})
