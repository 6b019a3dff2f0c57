// The Dräger ACM watchdog (the real capture: an ORU^R40 whose event is MDC_EVT_ACTIVE with
// MDC_ATTR_CONFIRM_TIMEOUT 5 s) sets its own device's period: sent over MLLP to a real gateway
// whose HL7 period is 60 s, the reporter silent past 5 s raises the technical alarm; a heartbeat
// again ends it. A `devices` entry still wins over the watchdog's promise.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { once } from 'node:events'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Alarm } from '@neva/contracts'
import { MllpDeframer, decodeHl7, mllpFrame } from '@neva/firmware-adapters'
import { DeviceRegistry, DeviceSupervisor, SqliteOutbox, parseGatewayConfig, startGateway, type OutboxEntry } from '../src/index.js'
import { tempDir } from './helpers.js'
import { until } from './pty.js'

const CAPTURE = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/fixtures/real/hl7/draeger_ihe_acm_mock_pcd04_oru_r40_watchdog.hl7')
const skip = !existsSync(CAPTURE) && 'no ../shared/fixtures/real/hl7'
type AlarmDraft = Omit<Alarm, 'gateway_id' | 'seq'>
const DEVICE = 'urn:uuid:f9bd67ba-10f9-11ea-bab1-0050b612afeb'

test('the real watchdog capture decodes to a heartbeat with its 5 s period', { skip }, () => {
  const d = decodeHl7(readFileSync(CAPTURE, 'latin1'), Date.now())
  assert.deepEqual([d.deviceId, d.heartbeatMs, d.alarms.length], [DEVICE, 5000, 0])
})

test('the watchdog period is the device\'s period; a devices entry wins over it', () => {
  let clock = 1_000_000
  const devices = new DeviceRegistry()
  const raised: string[] = []
  const supervisor = new DeviceSupervisor({
    devices, log: () => {}, now: () => clock, next: { async consume(d) { for (const a of d.alarms ?? []) raised.push(a.device_id) } },
    silenceMs: { mqtt: 30_000, hl7v2: 60_000, astm: 0, serial: 30_000, opcua: 30_000 }, deviceSilenceMs: [{ device_id: 'pinned', silence_ms: 20_000 }], checkIntervalMs: 1000, priority: 'medium',
  })
  for (const id of ['acm', 'pinned', 'plain']) devices.message(id, 'hl7v2', 'x', 0, clock)
  devices.heartbeat('acm', 5000)
  devices.heartbeat('pinned', 5000)
  assert.deepEqual(['acm', 'pinned', 'plain'].map((id) => supervisor.periodOf(id, 'hl7v2')), [5000, 20_000, 60_000])
  clock += 5001
  return supervisor.check().then(() => assert.deepEqual(raised, ['acm']))
})

test('a watchdog silent past its own 5 s raises the technical alarm at the gateway (HL7 period 60 s); its next heartbeat ends it', { skip, timeout: 120_000 }, async () => {
  const dataDir = tempDir('watchdog')
  const alarms: AlarmDraft[] = []
  class RecordingOutbox extends SqliteOutbox {
    override async append(entries: OutboxEntry[], key?: Parameters<SqliteOutbox['append']>[1]) {
      const seqs = await super.append(entries, key)
      for (const e of entries) if (e.kind === 'alarm') alarms.push(e.body as AlarmDraft)
      return seqs
    }
  }
  const outbox = new RecordingOutbox({ path: join(dataDir, 'outbox.db'), gatewayId: 'gw-wd', maxBytes: 64 * 1024 * 1024, dedupWindowMs: 3600_000, liveWindowMs: 1000 })
  const gateway = await startGateway(parseGatewayConfig({
    gateway_id: 'gw-wd', data_dir: dataDir, mqtt: { port: 0 }, api: { port: 0 }, mllp: { port: 0 },
    core: { url: 'http://127.0.0.1:9', token: 't', backoff_base_ms: 1000 },
    triage: { model: null, sync_interval_ms: 0 },
    supervision: { check_interval_ms: 200, silence_ms: { hl7v2: 60_000 } },
    log_level: 'silent',
  }), () => {}, { outbox })
  const socket = connect(gateway.mllpPort!, '127.0.0.1')
  const capture = readFileSync(CAPTURE, 'latin1').replace(/[\r\n]+$/, '')
  try {
    await once(socket, 'connect')
    const deframer = new MllpDeframer()
    const acks: string[] = []
    socket.on('data', (b: Buffer) => { for (const m of deframer.push(b).messages) acks.push(Buffer.from(m).toString()) })
    let n = 0
    const beat = async () => {
      const before = acks.length
      // Each heartbeat its own message id, as a reporter sends them.
      socket.write(mllpFrame(capture.replace('2df8823a-f8fb-44e0-a4ba-1d826e0809f1', `wd-${++n}`)))
      await until('the ACK', () => acks.length > before, 30_000)
      assert.match(acks.at(-1)!, /MSA\|AA\|/)
    }
    await beat()
    const sentAt = Date.now()
    await until('the watchdog silence alarm', () => alarms.some((a) => a.device_id === DEVICE && a.state === 'active'), 60_000, () => alarms)
    const raised = alarms.find((a) => a.device_id === DEVICE && a.state === 'active')!
    // Well before the HL7 period of 60 s: the watchdog's own 5 s.
    assert.ok(Date.now() - sentAt < 60_000)
    assert.deepEqual([raised.alert_type, raised.event_name, raised.patient_id], ['technical', 'NEVA_EDGE_DEVICE_SILENT', '8888'])
    assert.equal(gateway.supervisor.periodOf(DEVICE, 'hl7v2'), 5000)
    await beat()
    await until('the alarm ended', () => alarms.some((a) => a.alarm_id === raised.alarm_id && a.state === 'inactive'), 30_000, () => alarms)
  } finally {
    socket.destroy()
    await gateway.stop()
  }
})
