// Lab orders from the core to the gateway: the hospital system places an order at the core, the
// gateway's LabWorklist polls its site's pending orders with its own token and can answer the
// analyzer's host query for the tube; another site's gateway never learns of it; a failed poll
// keeps the last good list; a cancelled order leaves the worklist at the next poll.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { EmrStore } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { LabWorklist } from '@neva/edge'
import { LabAnalyzerSim, startPtyPair } from '@neva/simulators'
import { startTestGateway, tempDir } from './helpers.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: tempDir('ch-lab') }, logLevel: 'silent', bodyLimit: 1024 * 1024,
  // gw-city1b: a second gateway of City 1 (a gateway's readings are numbered by its id).
  gateways: { 'gw-city1': hashToken('gw-city1-token'), 'gw-city2': hashToken('gw-city2-token'), 'gw-city1b': hashToken('gw-city1b-token') },
  gatewaySites: { 'gw-city1': ['City 1'], 'gw-city2': ['City 2'], 'gw-city1b': ['City 1'] },
  emrSystems: { his: hashToken('his-token') },
}, { labMatchEveryMs: 0 })
after(() => core.close())

const START = Date.now() - 3600_000
await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: 'enc-w1', patient_id: 'MRN-W1', kind: 'admission', site: 'City 1', ward: 'Ward 3', start_time: START, end_time: null, updated_time: START }], 'test')
const his = async (path: string, body: unknown) => {
  const res = await fetch(`${core.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer his-token', 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}
const warnings: string[] = []
const worklist = (token: string) => new LabWorklist({ coreUrl: core.url, token, log: (_l, msg, fields) => warnings.push(`${msg} ${JSON.stringify(fields)}`) })

test('an order placed at the core reaches its site\'s gateway, not another site\'s; cancelled, it leaves', async () => {
  const placed = await his('/v1/lab/orders', { patient_id: 'MRN-W1', encounter_id: 'enc-w1', specimen_id: 'TUBE-1', tests: [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }], priority: 'urgent' })
  assert.equal(placed.status, 201)
  const city1 = worklist('gw-city1-token')
  const city2 = worklist('gw-city2-token')
  assert.equal(await city1.refresh(), true)
  assert.equal(await city2.refresh(), true)
  assert.deepEqual(city1.lookup('TUBE-1'), { patient_id: 'MRN-W1', specimen_id: 'TUBE-1', tests: ['GLU', 'K'], priority: 'urgent' })
  assert.equal(city2.lookup('TUBE-1'), undefined)
  assert.equal(city2.size, 0)

  // The core unreachable for this gateway (a revoked token): the last good list stays.
  const revoked = new LabWorklist({ coreUrl: core.url, token: 'not-a-token', log: (_l, msg, fields) => warnings.push(`${msg} ${JSON.stringify(fields)}`) })
  assert.equal(await revoked.refresh(), false)
  assert.match(warnings.at(-1)!, /NEVA_EDGE_LAB_WORKLIST/)
  assert.match(warnings.at(-1)!, /401/)

  assert.equal((await his(`/v1/lab/orders/${placed.body.order_id}/state`, { state: 'cancelled' })).status, 200)
  assert.equal(await city1.refresh(), true)
  assert.equal(city1.lookup('TUBE-1'), undefined, 'a cancelled order is not run')
})

test('a city lab round: order at the core, the gateway answers the analyzer\'s host query over a pty, the analyzer runs exactly the ordered tests, every result finds its order', async () => {
  const specimens = ['TUBE-11', 'TUBE-12', 'TUBE-13']
  const ids: string[] = []
  for (const [i, specimen] of specimens.entries()) {
    const tests = [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }, { loinc: '2951-2', lab_code: 'NA' }].slice(0, i + 1)
    const placed = await his('/v1/lab/orders', { patient_id: 'MRN-W1', encounter_id: 'enc-w1', specimen_id: specimen, tests, priority: 'routine' })
    assert.equal(placed.status, 201)
    ids.push(placed.body.order_id)
  }
  // Placed before the gateway starts: its first poll, at start, brings them.
  const pty = await startPtyPair()
  const gateway = await startTestGateway('gw-city1', core.url, 'gw-city1-token', tempDir('edge-lab'), {
    serial: [{ device_id: 'chem-1', path: pty.b, protocol: 'astm', host_query: true }],
  })
  const analyzer = await LabAnalyzerSim.open(pty.a)
  try {
    // The gateway polls on start; until then it answers "no information" and the analyzer asks again.
    let answered: Awaited<ReturnType<LabAnalyzerSim['ask']>> = []
    for (let tries = 0; answered.length === 0 && tries < 50; tries++) {
      answered = await analyzer.ask('TUBE-11')
      if (answered.length === 0) await new Promise((r) => setTimeout(r, 200))
    }
    assert.deepEqual(answered.map((o) => o.tests), [['GLU']])
    await analyzer.run(answered[0]!)
    for (const specimen of specimens.slice(1)) {
      const [order] = await analyzer.ask(specimen)
      assert.ok(order, specimen)
      await analyzer.run(order)
    }
    await gateway.drain(10_000)
    const pass = await core.labMatcher.run()
    assert.deepEqual([pass.matched, pass.unmatched, pass.cancelled], [6, 0, 0], 'six results, each with its order, none lost or doubled')
    for (const [i, id] of ids.entries()) {
      const order = await (await fetch(`${core.url}/v1/lab/orders/${id}`, { headers: { authorization: 'Bearer his-token' } })).json() as { state: string; tests: unknown[] }
      assert.equal(order.state, 'resulted', `order ${i + 1}`)
    }
  } finally {
    await analyzer.close()
    await gateway.stop()
    await pty.stop()
  }
})

test('a city lab round by download: the gateway sends the pending orders unprompted, the analyzer runs them, every result finds its order', async () => {
  await new EmrStore(core.clickhouse).store([{ type: 'encounter', encounter_id: 'enc-w2', patient_id: 'MRN-W2', kind: 'admission', site: 'City 1', ward: 'Ward 3', start_time: START, end_time: null, updated_time: START }], 'test')
  const ids: string[] = []
  for (const [i, specimen] of ['TUBE-21', 'TUBE-22', 'TUBE-23'].entries()) {
    const tests = [{ loinc: '2951-2', lab_code: 'NA' }, { loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }].slice(0, i + 1)
    const placed = await his('/v1/lab/orders', { patient_id: 'MRN-W2', encounter_id: 'enc-w2', specimen_id: specimen, tests, priority: (['stat', 'urgent', 'routine'] as const)[i] })
    assert.equal(placed.status, 201)
    ids.push(placed.body.order_id)
  }
  const pty = await startPtyPair()
  const analyzer = await LabAnalyzerSim.open(pty.a)
  analyzer.takeDownloads()
  const gateway = await startTestGateway('gw-city1b', core.url, 'gw-city1b-token', tempDir('edge-lab-dl'), {
    serial: [{ device_id: 'chem-2', path: pty.b, protocol: 'astm', download: true }],
  })
  try {
    const deadline = Date.now() + 30_000
    while (analyzer.resultsSent < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual([...analyzer.ran].sort(), ['TUBE-21', 'TUBE-22', 'TUBE-23'])
    assert.deepEqual(analyzer.downloaded.map((o) => o.priority).sort(), ['A', 'R', 'S'])
    let matched = 0
    while (matched < 6 && Date.now() < deadline) {
      await gateway.drain(10_000)
      matched += (await core.labMatcher.run()).matched
    }
    assert.equal(matched, 6, 'six results, each with its order')
    for (const id of ids) {
      const order = await (await fetch(`${core.url}/v1/lab/orders/${id}`, { headers: { authorization: 'Bearer his-token' } })).json() as { state: string }
      assert.equal(order.state, 'resulted')
    }
  } finally {
    await analyzer.close()
    await gateway.stop()
    await pty.stop()
  }
})
