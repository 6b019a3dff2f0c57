// A gateway whose uplink is cut is a technical alarm at the core, ended when it reconnects: a real
// core (embedded ClickHouse) and a real gateway whose uplink goes through a proxy that can refuse
// every connection. Another gateway's token cannot end the alarm.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import mqtt from 'mqtt'
import { AlarmStore } from '@neva/analytics'
import { vitalsTopic, type Alarm, type IngestBatch } from '@neva/contracts'
import { GATEWAY_SILENCE_PREFIX, hashToken, startCore, storedGatewayState } from '@neva/core'
import { startTestGateway, tempDir } from './helpers.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: tempDir('ch') }, logLevel: 'silent',
  gateways: { 'gw-cut': hashToken('tok-cut'), 'gw-other': hashToken('tok-other') },
  gatewaySites: { 'gw-cut': ['Silence Hospital'] },
  gatewaySupervision: { silenceS: 2, checkEveryMs: 200 },
})
after(() => core.close())
const alarms = new AlarmStore(core.clickhouse)

/** The uplink: forwards to the core, or, while cut, drops every connection. */
let cut = false
const proxy = createServer(async (req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  if (cut) return req.socket.destroy()
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }
  const attempt = req.headers['neva-batch-attempt']
  if (typeof attempt === 'string') headers['neva-batch-attempt'] = attempt
  const answer = await fetch(`${core.url}${req.url}`, { method: req.method, headers, ...(req.method === 'GET' ? {} : { body: Buffer.concat(chunks) }) })
  res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text())
})
await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
after(() => new Promise<void>((r) => proxy.close(() => r())))

async function publish(port: number, patient: string) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `dev-${patient}`, reconnectPeriod: 0 })
  await client.publishAsync(vitalsTopic(`${patient}-mon`), JSON.stringify({ patient_id: patient, readings: [{ vital: 'pulse_rate', value: 72 }] }), { qos: 1 })
  await client.endAsync()
}

/** Polls until `probe` gives a value (no timing is asserted: the deadline only ends a hung test). */
async function until<T>(probe: () => Promise<T | undefined>, what: string, deadlineMs = 30_000): Promise<T> {
  const end = Date.now() + deadlineMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`never: ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const silenceOf = async (gateway: string) => (await alarms.active()).find((a) => a.alarm_id.startsWith(`${GATEWAY_SILENCE_PREFIX}${gateway}/`))

test('uplink cut: a technical alarm at the core; another gateway cannot end it; reconnected: it ends', async () => {
  const gateway = await startTestGateway('gw-cut', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, 'tok-cut')
  try {
    await publish(gateway.mqttPort, 'silence.p1')
    await gateway.drain(20_000)
    assert.equal(await silenceOf('gw-cut'), undefined)

    cut = true
    // Readings keep arriving at the gateway; its outbox keeps them while the core hears nothing.
    await publish(gateway.mqttPort, 'silence.p1')
    const active = await until(() => silenceOf('gw-cut'), 'a silence alarm for gw-cut')
    assert.deepEqual([active.patient_id, active.alert_type, active.priority, active.device_id, active.facility, active.ward],
      [null, 'technical', 'medium', 'gw-cut', 'Silence Hospital', null])
    assert.match(active.event_text ?? '', /^no data from gateway gw-cut for \d+ s$/)
    // A restarted core would read the same: the last contact and the alarm still active.
    const stored = await storedGatewayState(core.clickhouse, ['gw-cut', 'gw-other'])
    assert.deepEqual(stored.contacts.map((c) => c.gateway_id), ['gw-cut'])
    assert.deepEqual(stored.active.map((a) => [a.gateway_id, a.alarm_id]), [['gw-cut', active.alarm_id]])

    // gw-other sends an end for gw-cut's alarm under its own token: kept aside, not stored.
    const now = Date.now()
    const forged: Alarm = {
      gateway_id: 'gw-other', seq: 1, alarm_id: active.alarm_id, device_id: 'gw-cut', source: 'mqtt', patient_id: null,
      ward: null, room: null, bed: null, facility: null, event_code: null, event_name: null, event_text: 'back', source_code: null, source_name: null,
      alert_type: 'technical', priority: 'medium', state: 'inactive', phase: 'end', alarm_state: 'inactive', inactivation_state: null,
      value: null, unit: null, limit_low: null, limit_high: null, device_time: null, received_time: now,
    }
    const batch: IngestBatch = { gateway_id: 'gw-other', batch_id: 'forged-end', sent_time: now, observations: [], triage: [], rejected: [], alarms: [forged] }
    const res = await fetch(`${core.url}/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer tok-other' }, body: JSON.stringify(batch) })
    assert.equal(res.status, 200)
    assert.equal(((await res.json()) as { alarms: number }).alarms, 0)
    assert.equal(await core.store.count('rejected_readings', "gateway_id = 'gw-other' AND code = 'NEVA_CORE_ALARM_ID_RESERVED'"), 1)
    // Nor does its contact end gw-cut's alarm.
    await core.gatewaySupervisor.check()
    assert.equal((await alarms.get(active.alarm_id))?.state, 'active')
    assert.ok(core.gatewaySupervisor.silent().includes('gw-cut'))

    cut = false
    const ended = await until(async () => {
      const a = await alarms.get(active.alarm_id)
      return a?.state === 'inactive' ? a : undefined
    }, 'the alarm ended')
    assert.match(ended.event_text ?? '', /^gateway gw-cut heard again after \d+ s$/)
    assert.equal(await silenceOf('gw-cut'), undefined)
    // What it kept while cut off arrives too.
    await gateway.drain(20_000)
    assert.equal(await core.store.count('observations', "patient_id = 'silence.p1'"), 2)
  } finally {
    await gateway.stop()
  }
})
