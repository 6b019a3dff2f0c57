// The simulated ventilator as a real OPC UA server: a node-opcua client reads and subscribes to
// what nodes() names, and the gateway's decoder turns it into observations (round trip).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AttributeIds, ClientMonitoredItemGroup, MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy, TimestampsToReturn, type DataValue } from 'node-opcua'
import { decodeOpcuaValue, validateOpcuaMapping } from '@neva/firmware-adapters'
import { OpcuaVentilator } from '../src/opcua-ventilator.js'

const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `neva-${prefix}-`))

async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function client(pkiDir: string): OPCUAClient {
  return OPCUAClient.create({
    applicationName: 'neva-test',
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    clientCertificateManager: new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: true }),
    connectionStrategy: { initialDelay: 100, maxDelay: 500, maxRetry: 3 },
  })
}

test('the ventilator serves plausible values the gateway decodes, updated each interval, and restarts on its port', async () => {
  const dir = tempDir('vent')
  const vent = new OpcuaVentilator({ pkiDir: join(dir, 'pki'), patient: { id: 'icu.bed3', scenario: 'respiratory', seed: 7, onsetS: 0, courseS: 60 }, intervalMs: 200, timeScale: 10 })
  await vent.start()
  const c = client(join(dir, 'client-pki'))
  try {
    assert.ok(vent.port > 0)
    assert.equal(vent.endpointUrl, `opc.tcp://127.0.0.1:${vent.port}`)
    const [mapping] = validateOpcuaMapping([{ device_id: 'vent-1', endpoint_url: vent.endpointUrl, security_mode: 'None', patient_id: 'icu.bed3', nodes: vent.nodes() }])
    assert.deepEqual(mapping!.nodes.map((n) => n.vital.name), ['respiratory_rate', 'ventilation_rate', 'fio2', 'peep', 'peak_airway_pressure', 'tidal_volume', 'minute_volume', 'etco2', 'spo2', 'pulse_rate'])

    await c.connect(vent.endpointUrl)
    const session = await c.createSession()
    const read = await session.read(mapping!.nodes.map((n) => ({ nodeId: n.nodeId, attributeId: AttributeIds.Value })))
    const now = Date.now()
    read.forEach((dv, i) => {
      const d = decodeOpcuaValue(mapping!.nodes[i]!, { value: dv.value.value, sourceTimestamp: dv.sourceTimestamp, serverTimestamp: dv.serverTimestamp, statusCode: dv.statusCode.value }, now)
      assert.deepEqual(d.problems, [], JSON.stringify(d.problems))
      assert.equal(d.observations.length, 1, `${mapping!.nodes[i]!.nodeId}: ${JSON.stringify(d)}`)
    })

    // Subscribed: changes arrive with source timestamps from the ventilator's clock.
    const subscription = await session.createSubscription2({ requestedPublishingInterval: 100, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 100, publishingEnabled: true })
    const group = ClientMonitoredItemGroup.create(subscription, mapping!.nodes.map((n) => ({ nodeId: n.nodeId, attributeId: AttributeIds.Value })), { samplingInterval: 100, queueSize: 10 }, TimestampsToReturn.Both)
    const seen: Array<{ name: string; value: number; time: number }> = []
    group.on('changed', (_item, dv: DataValue, index: number) => {
      const d = decodeOpcuaValue(mapping!.nodes[index]!, { value: dv.value.value, sourceTimestamp: dv.sourceTimestamp, serverTimestamp: dv.serverTimestamp, statusCode: dv.statusCode.value }, Date.now())
      for (const o of d.observations) seen.push({ name: o.name, value: o.value!, time: o.device_time })
    })
    await until('changes of the breathing variables', () => new Set(seen.filter((s) => s.time > now).map((s) => s.name)).size >= 3)
    for (const s of seen) assert.ok(Math.abs(s.time - Date.now()) < 10_000, JSON.stringify(s))
    const stats = vent.stats()
    assert.equal(stats.running, true)
    assert.equal(stats.sessions, 1)
    assert.ok(stats.ticks >= 1 && stats.updates === stats.ticks * 10, JSON.stringify(stats))
    await c.disconnect()

    const port = vent.port
    await vent.stop()
    assert.equal(vent.stats().running, false)
    await vent.start()
    assert.equal(vent.port, port)
    assert.equal(vent.stats().starts, 2)
    const again = client(join(dir, 'client-pki'))
    await again.connect(vent.endpointUrl)
    const s2 = await again.createSession()
    const [dv] = await s2.read([{ nodeId: 'ns=1;s=Vent.SpO2', attributeId: AttributeIds.Value }])
    assert.equal(typeof dv!.value.value, 'number')
    await again.disconnect()
  } finally {
    await c.disconnect().catch(() => {})
    await vent.stop()
  }
})

test('without an oximetry probe the ventilator exposes no SpO2 nor pulse rate', () => {
  const vent = new OpcuaVentilator({ pkiDir: tempDir('vent'), patient: { id: 'p', scenario: 'stable', seed: 1 }, oximetry: false, settings: { fio2: 60 } })
  assert.deepEqual(vent.nodes().map((n) => n.node_id).filter((id) => /SpO2|Pulse/.test(id)), [])
  assert.ok(vent.nodes().every((n) => n.unit !== undefined && n.mdc_code > 0))
})
