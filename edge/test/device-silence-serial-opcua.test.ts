// Serial and OPC UA devices are supervised like MLLP and MQTT ones, end to end through a real
// gateway: a ward oximeter on a serial line (socat pseudo-terminals) that stops sending, and a
// ventilator (a real OPC UA server) that is switched off, each raise a technical alarm for their
// patient, made durable in the outbox; the oximeter sending again and the ventilator back on end
// them. Bounds are generous: the check is that it happens, not how fast.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { SerialPort } from 'serialport'
import type { Alarm } from '@neva/contracts'
import { encodeOximeterAsciiRecord } from '@neva/firmware-adapters'
import { OpcuaVentilator } from '@neva/simulators'
import { SqliteOutbox, parseGatewayConfig, startGateway, type OutboxEntry } from '../src/index.js'
import { tempDir } from './helpers.js'
import { ptyPair, until } from './pty.js'

type AlarmDraft = Omit<Alarm, 'gateway_id' | 'seq'>

test('a silent serial oximeter and a switched-off OPC UA ventilator raise technical alarms, ended when they are back', { timeout: 180_000 }, async () => {
  const dir = tempDir('silence-serial-opcua')
  const alarms: AlarmDraft[] = []
  class RecordingOutbox extends SqliteOutbox {
    override async append(entries: OutboxEntry[], key?: Parameters<SqliteOutbox['append']>[1]) {
      const seqs = await super.append(entries, key)
      for (const e of entries) if (e.kind === 'alarm') alarms.push(e.body as AlarmDraft)
      return seqs
    }
  }
  const pty = await ptyPair(dir)
  const vent = new OpcuaVentilator({ pkiDir: join(dir, 'vent-pki'), port: 0, patient: { id: 'icu.bed3', scenario: 'stable', seed: 3 }, intervalMs: 200 })
  await vent.start()
  const outbox = new RecordingOutbox({ path: join(dir, 'outbox.db'), gatewayId: 'gw-sil', maxBytes: 64 * 1024 * 1024, dedupWindowMs: 3600_000, liveWindowMs: 1000 })
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-sil', data_dir: dir, mqtt: { port: 0 }, api: { port: 0 },
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000 },
    triage: { model: null, sync_interval_ms: 0 },
    serial: [{ device_id: 'ward-oxi', path: pty.b, protocol: 'oximeter-ascii', patient_id: 'ward.bed1' }],
    opcua: [{ device_id: 'vent-1', endpoint_url: vent.endpointUrl, security_mode: 'None', patient_id: 'icu.bed3', sampling_interval_ms: 200, nodes: vent.nodes() }],
    supervision: { check_interval_ms: 200, devices: [{ device_id: 'ward-oxi', silence_ms: 1500 }, { device_id: 'vent-1', silence_ms: 2500 }] },
    log_level: 'silent',
  }), () => {}, { outbox })
  const port = new SerialPort({ path: pty.a, baudRate: 9600, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
  port.on('error', () => {})
  const sendOximeter = () => port.write(encodeOximeterAsciiRecord({ time: Date.now(), spo2: 97, pulseRate: 72 }))
  const raisedFor = (device: string, patient: string) => alarms.find((a) => a.device_id === device && a.state === 'active' && a.patient_id === patient)
  const endedFor = (a: AlarmDraft) => alarms.find((b) => b.alarm_id === a.alarm_id && b.state === 'inactive')
  try {
    // The oximeter sends, then stops: silent.
    for (let i = 0; i < 3; i++) {
      sendOximeter()
      await new Promise((r) => setTimeout(r, 200))
    }
    await until('the oximeter silence alarm', () => raisedFor('ward-oxi', 'ward.bed1') !== undefined, 60_000, () => alarms)
    const oxi = raisedFor('ward-oxi', 'ward.bed1')!
    assert.deepEqual([oxi.source, oxi.alert_type, oxi.event_name], ['serial', 'technical', 'NEVA_EDGE_DEVICE_SILENT'])
    assert.match(oxi.event_text!, /^no data from .*ward-oxi for \d+ s$/)
    sendOximeter()
    await until('the oximeter alarm ended', () => endedFor(oxi) !== undefined, 60_000, () => alarms)

    // The ventilator is heard (values, keep-alives), then switched off: silent.
    await until('the ventilator heard', () => gateway.supervisor.periodOf('vent-1', 'opcua') === 2500 && !gateway.supervisor.silent().includes('vent-1') && alarms.every((a) => a.device_id !== 'vent-1' || a.patient_id === null), 30_000)
    await new Promise((r) => setTimeout(r, 1000))
    await vent.stop()
    await until('the ventilator silence alarm', () => raisedFor('vent-1', 'icu.bed3') !== undefined, 60_000, () => alarms)
    const v = raisedFor('vent-1', 'icu.bed3')!
    assert.deepEqual([v.source, v.alert_type, v.event_name], ['opcua', 'technical', 'NEVA_EDGE_DEVICE_SILENT'])
    await vent.start()
    await until('the ventilator alarm ended', () => endedFor(v) !== undefined, 90_000, () => alarms)
  } finally {
    await new Promise<void>((r) => port.close(() => r()))
    await gateway.stop()
    await vent.stop().catch(() => {})
    await pty.stop()
  }
})
