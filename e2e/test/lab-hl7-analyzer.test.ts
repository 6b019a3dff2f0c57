// A city lab round over HL7 v2: orders placed at the real core reach the gateway's worklist, its
// order sender sends them over MLLP on loopback to two simulated HL7 analyzers (OML^O21 and
// ORM^O01), each answers AA and sends ORU^R01 for exactly the tests it received to the gateway's
// MLLP listener; the core's matcher attaches every result to its order, none lost or doubled,
// and a cancelled order never reaches an analyzer.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { EmrStore } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { Hl7LabAnalyzerSim } from '@neva/simulators'
import { startTestGateway, tempDir } from './helpers.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: tempDir('ch-lab-hl7') }, logLevel: 'silent', bodyLimit: 1024 * 1024,
  gateways: { 'gw-hl7': hashToken('gw-hl7-token') }, gatewaySites: { 'gw-hl7': ['City 1'] }, emrSystems: { his: hashToken('his-token') },
}, { labMatchEveryMs: 0 })
after(() => core.close())

const START = Date.now() - 3600_000
const his = async (path: string, body: unknown) => {
  const res = await fetch(`${core.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer his-token', 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

test('orders over OML^O21 and ORM^O01 to simulated HL7 analyzers; their ORU^R01 results each find their order once', async () => {
  await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: 'enc-h1', patient_id: 'MRN-H1', kind: 'admission', site: 'City 1', ward: 'Ward 2', start_time: START, end_time: null, updated_time: START }], 'test')
  const cbc = [{ loinc: '6690-2', lab_code: 'WBC' }, { loinc: '718-7', lab_code: 'HGB' }]
  const crp = { loinc: '1988-5', lab_code: 'CRP' }
  const orders = [
    { specimen_id: 'HT-1', tests: [...cbc, crp], priority: 'stat' },
    { specimen_id: 'HT-2', tests: [cbc[1]!], priority: 'routine' },
    { specimen_id: 'HT-3', tests: [crp], priority: 'urgent' },
    { specimen_id: 'HT-4', tests: [crp], priority: 'routine' },
  ]
  const ids: string[] = []
  for (const o of orders) {
    const placed = await his('/v1/lab/orders', { patient_id: 'MRN-H1', encounter_id: 'enc-h1', ...o })
    assert.equal(placed.status, 201, JSON.stringify(placed.body))
    ids.push(placed.body.order_id)
  }
  assert.equal((await his(`/v1/lab/orders/${ids[3]}/state`, { state: 'cancelled' })).status, 200)

  const hema = await Hl7LabAnalyzerSim.start({ deviceId: 'hema-hl7' })
  const middleware = await Hl7LabAnalyzerSim.start({ deviceId: 'crp-mw' })
  const gateway = await startTestGateway('gw-hl7', core.url, 'gw-hl7-token', tempDir('edge-lab-hl7'), {
    mllp: { port: 0 },
    hl7_orders: [
      { device_id: 'hema-hl7', host: '127.0.0.1', port: hema.port, message: 'OML^O21', runs_tests: ['WBC', 'HGB'] },
      { device_id: 'crp-mw', host: '127.0.0.1', port: middleware.port, message: 'ORM^O01', runs_tests: ['CRP'] },
    ],
  })
  for (const sim of [hema, middleware]) sim.sendResultsTo('127.0.0.1', gateway.mllpPort!)
  try {
    const deadline = Date.now() + 60_000
    const done = () => hema.stats.resultsAcked === 2 && middleware.stats.resultsAcked === 2
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual(hema.received.map((o) => [o.specimen_id, o.tests.map((t) => t.lab_code), o.priority]).sort(), [['HT-1', ['WBC', 'HGB'], 'stat'], ['HT-2', ['HGB'], 'routine']])
    assert.deepEqual(middleware.received.map((o) => [o.specimen_id, o.tests.map((t) => t.lab_code), o.priority]).sort(), [['HT-1', ['CRP'], 'stat'], ['HT-3', ['CRP'], 'urgent']])
    assert.deepEqual([hema.stats.rejected, middleware.stats.rejected, hema.stats.repeats + middleware.stats.repeats], [0, 0, 0])
    let matched = 0
    let other = 0
    while (matched < 5 && Date.now() < deadline) {
      await gateway.drain(10_000)
      const pass = await core.labMatcher.run()
      matched += pass.matched
      other += pass.unmatched + pass.cancelled
    }
    assert.deepEqual([matched, other], [5, 0], 'five results, each with its order, none unmatched')
    // A second pass finds nothing new: none doubled.
    assert.equal((await core.labMatcher.run()).matched, 0)
    const states = []
    for (const id of ids) states.push(((await (await fetch(`${core.url}/v1/lab/orders/${id}`, { headers: { authorization: 'Bearer his-token' } })).json()) as { state: string }).state)
    assert.deepEqual(states, ['resulted', 'resulted', 'resulted', 'cancelled'])
  } finally {
    await gateway.stop()
    await hema.close()
    await middleware.close()
  }
})
