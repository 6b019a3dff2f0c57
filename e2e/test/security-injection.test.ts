// The alarm-id SQL injection end to end (docs/security/injection.md): a real core on embedded
// ClickHouse, a real gateway, HL7 ORU^R40 over a real MLLP socket and MQTT from an open broker.
// The finding's exact attack: alarm id `X\E\';CREATE TABLE t (x UInt8) ENGINE=Log;--` from a
// monitor, then a nurse acknowledges it through the HTTP API. Now the alert is refused alone (ACK,
// a rejected reading at the core), the acknowledgement is refused, and `t` never exists. Then the
// board attack over MLLP: a flood of old-dated alarms for the bed does not hide a real one.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { EmrStore } from '@neva/analytics'
import { alarmsTopic, transportTopic, vitalsTopic } from '@neva/contracts'
import { hashToken, startCore } from '@neva/core'
import { parseGatewayConfig, startGateway } from '@neva/edge'
import { MDC_EVT, MllpDeframer, encodeOruR40, mllpFrame, parseHl7, type OruR40Input } from '@neva/firmware-adapters'

const temp = (p: string) => mkdtempSync(join(tmpdir(), `neva-inject-${p}-`))
const SITE = 'City Hospital'
const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: temp('ch') }, gateways: { 'gw-icu': hashToken('tok-icu') }, gatewaySites: { 'gw-icu': [SITE] },
  logLevel: 'silent', bodyLimit: 32 * 1024 * 1024,
})
after(() => core.close())
const gateway = await startGateway(parseGatewayConfig({
  gateway_id: 'gw-icu', data_dir: temp('edge'), mqtt: { port: 0 }, api: { port: 0 }, mllp: { port: 0 },
  core: { url: core.url, token: 'tok-icu', linger_ms: 5, backoff_base_ms: 20, backoff_max_ms: 200, timeout_ms: 10_000 },
  triage: { sync_interval_ms: 0 }, log_level: 'silent',
}), () => {})
after(() => gateway.stop())

const now = Date.now()
await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: 'enc-7', patient_id: 'p-7', kind: 'icu_stay', site: SITE, ward: 'ICU', bed: 'B2', start_time: now - 60_000, end_time: null, updated_time: now - 60_000 }], 'test')
core.live.load([{ board: 'icu', patient_id: 'p-7', site: SITE, ward: 'ICU' }])
await core.people.add({ id: 'nurse-icu', name: 'Nurse ICU', password: 'nurse icu password', roles: ['nurse'], wards: [`${SITE}/ICU`] }, 'test')
const loginRes = await fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nurse-icu', password: 'nurse icu password' }) })
assert.equal(loginRes.status, 200)
const cookie = loginRes.headers.getSetCookie().find((c) => /neva_session=/.test(c))!.split(';')[0]!
const nurse = (path: string, init: RequestInit = {}) => fetch(`${core.url}${path}`, { ...init, headers: { origin: core.url, cookie, 'content-type': 'application/json', ...(init.headers as object) } })

const rows = async <T = Record<string, unknown>>(query: string, params: Record<string, unknown> = {}) =>
  (await core.clickhouse.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>()
const canaryExists = async () => Number((await rows<{ n: string }>("SELECT count() AS n FROM system.tables WHERE name = 't'"))[0]!.n) > 0

/** A monitor on the MLLP port: frames out, ACKs in. */
class Monitor {
  readonly acks: string[] = []
  private readonly deframer = new MllpDeframer()
  private constructor(private readonly socket: Socket) {
    socket.on('data', (b) => this.acks.push(...this.deframer.push(b).messages.map((m) => parseHl7(m).message!.text)))
    socket.on('error', () => {})
  }
  static async open(port: number): Promise<Monitor> {
    const socket = connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    return new Monitor(socket)
  }
  async send(message: string): Promise<string> {
    const n = this.acks.length
    this.socket.write(mllpFrame(message))
    const deadline = Date.now() + 15_000
    while (this.acks.length <= n) {
      if (Date.now() > deadline) throw new Error('no ACK')
      await new Promise((r) => setTimeout(r, 5))
    }
    return this.acks[n]!
  }
  close() { this.socket.destroy() }
}

const base: OruR40Input = {
  controlId: 'a-1', time: now - 2000, sendingApplication: 'MON-3', patientId: 'p-7', location: { pointOfCare: 'ICU', room: '4', bed: 'B2' },
  equipmentId: 'mon-3', alertId: 'alm-17', event: { code: MDC_EVT.LO[0], name: MDC_EVT.LO[1], text: 'SpO2 low' },
  vital: 'spo2', value: 86, limits: { low: 90 }, priority: 'high', alertType: 'physiological', phase: 'start', state: 'active',
}
const oru = (input: Partial<OruR40Input>) => String(encodeOruR40({ ...base, ...input }))
const msa = (ack: string) => /MSA\|([A-Z]{2})\|/.exec(ack)?.[1]
let control = 0

const ATTACK = "X\\';CREATE TABLE t (x UInt8) ENGINE=Log;--"
const VARIANTS = [ATTACK, "X\\'", "\\'';CREATE TABLE t (x UInt8) ENGINE=Log;--", "X';CREATE TABLE t (x UInt8) ENGINE=Log;--", 'X;CREATE TABLE t (x UInt8) ENGINE=Log', "X\u2019;CREATE TABLE t (x UInt8) ENGINE=Log;--", 'X\\']

test('the exact attack over HL7 ORU^R40 on MLLP, then a nurse acknowledges it: refused, kept aside, nothing runs', async () => {
  const monitor = await Monitor.open(gateway.mllpPort!)
  try {
    // On the wire the backslash travels as \E\ (the encoder escapes it), exactly as the finding's id.
    const wire = oru({ controlId: `c-${control++}`, alertId: ATTACK })
    assert.ok(wire.includes("X\\E\\';CREATE TABLE t"), 'the id travels HL7-escaped')
    const ack = await monitor.send(wire)
    assert.equal(msa(ack), 'AR')
    assert.match(ack, /OBR-29 .* is not an alarm id Neva accepts/)
    for (const alertId of VARIANTS.slice(1)) assert.equal(msa(await monitor.send(oru({ controlId: `c-${control++}`, alertId }))), 'AR', alertId)
    await gateway.drain(20_000)
  } finally {
    monitor.close()
  }
  const kept = await rows<{ code: string; reason: string }>("SELECT code, reason FROM rejected_readings WHERE code = 'NEVA_HL7V2_BAD_ALARM_ID'")
  assert.equal(kept.length, VARIANTS.length)
  assert.ok(kept.every((r) => /OBR-29/.test(r.reason)))
  assert.deepEqual(await rows('SELECT alarm_id FROM alarms'), [])
  // The nurse acknowledges the id the old decoder stored: refused at the door, nothing runs.
  for (const alertId of VARIANTS) {
    const res = await nurse(`/v1/alarms/${encodeURIComponent(`mon-3/${alertId}^MON-3`)}/ack`, { method: 'POST', body: '{}' })
    assert.equal(res.status, 400, alertId)
  }
  assert.equal(await canaryExists(), false)
})

test('MQTT from an open broker: hostile alarm, device, patient and unit ids are refused and kept aside; nothing runs', async () => {
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'attacker', reconnectPeriod: 0 })
  try {
    const t0 = Date.now()
    for (const h of VARIANTS) {
      await device.publishAsync(alarmsTopic('mon-9'), JSON.stringify({ alarm_id: h, patient_id: 'p-7', time: t0, event: 'MDC_EVT_LO', priority: 'high', state: 'active' }), { qos: 1 })
      await device.publishAsync(alarmsTopic('mon-9'), JSON.stringify({ alarm_id: 'a-1', patient_id: h, time: t0, event: 'MDC_EVT_LO', priority: 'high', state: 'active' }), { qos: 1 })
      await device.publishAsync(vitalsTopic('mon-9'), JSON.stringify({ patient_id: h, time: t0, readings: [{ vital: 'heart_rate', value: 80 }] }), { qos: 1 })
      await device.publishAsync(vitalsTopic('mon-9'), JSON.stringify({ device_id: h, patient_id: 'p-7', time: t0, readings: [{ vital: 'heart_rate', value: 80 }] }), { qos: 1 })
      await device.publishAsync(transportTopic('amb-1'), JSON.stringify({ patient_id: h, destination_site: SITE, state: 'en_route', time: t0 }), { qos: 1 })
      await device.publishAsync(`neva/v1/devices/${h.replace(/[#+/\0]/g, '')}/alarms`, JSON.stringify({ alarm_id: 'a-2', time: t0, event: 'MDC_EVT_LO', priority: 'high', state: 'active' }), { qos: 1 })
    }
  } finally {
    await device.endAsync()
  }
  await gateway.drain(20_000)
  const refused = await rows<{ code: string; n: string }>("SELECT code, count() AS n FROM rejected_readings WHERE source = 'mqtt' GROUP BY code ORDER BY code")
  assert.ok(refused.reduce((s, r) => s + Number(r.n), 0) >= VARIANTS.length * 5, JSON.stringify(refused))
  assert.deepEqual(await rows("SELECT alarm_id FROM alarms WHERE device_id = 'mon-9' OR alarm_id LIKE '%CREATE%'"), [])
  assert.deepEqual(await rows("SELECT patient_id FROM observations WHERE patient_id LIKE '%CREATE%' OR device_id LIKE '%CREATE%'"), [])
  assert.deepEqual(await rows("SELECT patient_id FROM transports WHERE patient_id LIKE '%CREATE%'"), [])
  assert.equal(await canaryExists(), false)
})

test('the board attack over MLLP: 1,000 old-dated alarms for the bed, then a real one: the ICU board shows the real one', async () => {
  const monitor = await Monitor.open(gateway.mllpPort!)
  const old = now - 30 * 86_400_000
  try {
    // Ten ORU^R40, each 100 alerts (one OBR group each), all 30 days old, all for p-7's bed.
    for (let m = 0; m < 10; m++) {
      const lines: string[] = []
      for (let i = 0; i < 100; i++) {
        const segs = oru({ controlId: `flood-${m}`, time: old + (m * 100 + i) * 1000, alertId: `flood-${m * 100 + i}` }).split('\r').filter(Boolean)
        if (i === 0) lines.push(...segs.filter((s) => !/^(OBR|OBX)/.test(s)))
        lines.push(...segs.filter((s) => /^(OBR|OBX)/.test(s)).map((s) => s.replace(/^OBR\|1\|/, `OBR|${i + 1}|`)))
      }
      assert.equal(msa(await monitor.send(lines.join('\r'))), 'AA')
    }
    assert.equal(msa(await monitor.send(oru({ controlId: 'real-1', time: Date.now() - 1000, alertId: 'real', priority: 'medium' }))), 'AA')
    await gateway.drain(30_000)
  } finally {
    monitor.close()
  }
  assert.equal(Number((await rows<{ n: string }>("SELECT count() AS n FROM alarms WHERE alarm_id LIKE 'mon-3/flood-%'"))[0]!.n), 1000)
  const started = performance.now()
  const res = await nurse('/v1/boards/icu')
  const ms = performance.now() - started
  assert.equal(res.status, 200)
  const board = (await res.json()) as { alarms: Array<{ alarm_id: string; patient_id: string }> }
  assert.ok(board.alarms.some((a) => a.alarm_id === 'mon-3/real^MON-3'), 'the real alarm is on the board')
  assert.ok(board.alarms.length <= 50, `bounded per bed: ${board.alarms.length}`)
  process.stderr.write(`# ICU board snapshot with 1,001 alarms on the bed: ${ms.toFixed(0)} ms, ${board.alarms.length} alarms shown\n`)
  // And the nurse acknowledges the real one through the API: stored once, with a hashed token.
  const ack = await nurse(`/v1/alarms/${encodeURIComponent('mon-3/real^MON-3')}/ack`, { method: 'POST', body: JSON.stringify({ note: "it's fine \\' ;" }) })
  assert.equal(ack.status, 200, await ack.clone().text())
  assert.equal(await canaryExists(), false)
})
