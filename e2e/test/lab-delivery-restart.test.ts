// Delivery tracking survives a gateway restart: orders an HL7 analyzer already took are not sent
// again by the restarted gateway (kept in its SQLite, data_dir/lab-deliveries.db), while an order
// placed after the restart still reaches it. Real core + gateway + HL7 simulator on loopback.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { EmrStore } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { Hl7LabAnalyzerSim } from '@neva/simulators'
import { startTestGateway, tempDir } from './helpers.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: tempDir('ch-lab-restart') }, logLevel: 'silent', bodyLimit: 1024 * 1024,
  gateways: { 'gw-rs': hashToken('gw-rs-token') }, gatewaySites: { 'gw-rs': ['City 1'] }, emrSystems: { his: hashToken('his-token') },
}, { labMatchEveryMs: 0 })
after(() => core.close())

const until = async (what: string, check: () => boolean, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

test('a restarted gateway does not send again what the analyzer already took; a new order still goes', async () => {
  const start = Date.now() - 3600_000
  await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: 'enc-rs', patient_id: 'MRN-RS', kind: 'admission', site: 'City 1', ward: 'Ward 1', start_time: start, end_time: null, updated_time: start }], 'test')
  const place = async (specimen: string) => {
    const res = await fetch(`${core.url}/v1/lab/orders`, {
      method: 'POST', headers: { authorization: 'Bearer his-token', 'content-type': 'application/json' },
      body: JSON.stringify({ patient_id: 'MRN-RS', encounter_id: 'enc-rs', specimen_id: specimen, tests: [{ loinc: '718-7', lab_code: 'HGB' }], priority: 'routine' }),
    })
    assert.equal(res.status, 201)
  }
  await place('RS-1')
  await place('RS-2')
  // No results sent back (no listener given): the orders stay pending at the core.
  const sim = await Hl7LabAnalyzerSim.start({ deviceId: 'hema-rs' })
  const dir = tempDir('edge-lab-restart')
  const config = { hl7_orders: [{ device_id: 'hema-rs', host: '127.0.0.1', port: sim.port, message: 'OML^O21' }] }
  try {
    let gateway = await startTestGateway('gw-rs', core.url, 'gw-rs-token', dir, config)
    await until('both orders taken', () => sim.stats.accepted === 2)
    await gateway.stop()

    gateway = await startTestGateway('gw-rs', core.url, 'gw-rs-token', dir, config)
    try {
      await place('RS-3')
      // The worklist is polled at start and every 15 s: wait for the new order to go out.
      await until('the new order taken', () => sim.received.some((o) => o.specimen_id === 'RS-3'), 40_000)
      await new Promise((r) => setTimeout(r, 500))
      assert.deepEqual(sim.received.map((o) => o.specimen_id), ['RS-1', 'RS-2', 'RS-3'], 'RS-1 and RS-2 not sent again')
      assert.equal(sim.stats.orderMessages, 3)
    } finally {
      await gateway.stop()
    }
  } finally {
    await sim.close()
  }
})
