// GET /v1/lab/orders?patient_id= (and the patient page's lab_orders, the same LabOrderStore read)
// reads lab_order_events by patient, but the table is sorted by order id: the read must go
// through the patient skip index (patient_idx, 0023) for the rows of that patient and then
// through the primary key for their orders, not over every granule. Each query the route sends
// is captured from the real client and run again as EXPLAIN json = 1, indexes = 1 on the
// embedded ClickHouse with enough other patients' orders to fill many granules.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashToken, startCore } from '@neva/core'
import { admit, TEST_SITE } from './people-helpers.js'
import { captureQueries, explainPlans, type PlanNode } from './query-plans.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-lab-keys-')) }, logLevel: 'silent', bodyLimit: 1024 * 1024,
  gateways: { 'gw-1': hashToken('gw-token') }, emrSystems: { his: hashToken('his-token') },
}, { labMatchEveryMs: 0 })
after(() => core.close())

const START = Date.now() - 3600_000
await admit(core, ['keys-p1'], 'ICU', TEST_SITE, START)
// A city's orders of other patients, spread over the order-id sort key (one part, many granules).
const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23)
const OTHERS = 120_000
await core.clickhouse.client.command({
  query: `INSERT INTO lab_order_events (order_id, patient_id, encounter_id, site, ward, specimen_id, test_loinc, test_codes, priority, diagnosis_code, diagnosis_text, ordered_by, state, changed_by, placed_time, event_time)
    SELECT concat('lo-', leftPad(toString(number), 8, '0')), concat('other-', toString(number % 40000)), 'enc-x', 'City', NULL, concat('SPX-', toString(number)), ['2345-7'], ['GLU'], 'routine', '', '', 'system:his', 'ordered', 'system:his',
      toDateTime64('${ts(START)}', 3, 'UTC'), toDateTime64('${ts(START)}', 3, 'UTC') FROM numbers(${OTHERS})`,
  clickhouse_settings: { insert_deduplication_token: '', async_insert: 0 },
})

function reads(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  if (node['Node Type'] === 'ReadFromMergeTree') out.push(node)
  for (const p of node.Plans ?? []) reads(p, out)
  return out
}

test('a patient\'s lab orders are read through the patient skip index and the order-id key, not every granule', async () => {
  const res = await fetch(`${core.url}/v1/lab/orders`, {
    method: 'POST', headers: { authorization: 'Bearer his-token', 'content-type': 'application/json' },
    body: JSON.stringify({ patient_id: 'keys-p1', encounter_id: `enc-keys-p1-ICU-${START}`, specimen_id: 'KEY-1', tests: [{ loinc: '2345-7', lab_code: 'GLU' }], priority: 'stat' }),
  })
  assert.equal(res.status, 201, await res.text())

  const { result: listed, seen } = await captureQueries(core.clickhouse, async () => {
    const r = await fetch(`${core.url}/v1/lab/orders?patient_id=keys-p1`, { headers: { authorization: 'Bearer his-token' } })
    assert.equal(r.status, 200)
    return ((await r.json()) as { orders: Array<{ specimen_id: string }> }).orders
  })
  assert.deepEqual(listed.map((o) => o.specimen_id), ['KEY-1'])
  const q = seen.find((s) => /lab_order_events/.test(s.query) && /patient_id/.test(s.query))
  assert.ok(q, `the route reads lab_order_events by patient (saw ${seen.length} queries)`)
  const explain = async (query: string) =>
    (await explainPlans(core.clickhouse, query, q)).flatMap((p) => reads(p)).filter((n) => n.Description === 'default.lab_order_events').flatMap((n) => n.Indexes ?? [])
  // The set of the patient's order ids is built before the main read (CreatingSets): its own plan.
  const inner = /IN \((SELECT order_id FROM lab_order_events WHERE [^()]*patient_id[^()]*)\)/.exec(q.query)?.[1]
  assert.ok(inner, `the patient's orders found by a subquery: ${q.query}`)
  const skip = (await explain(inner)).find((i) => i.Type === 'Skip' && i.Name === 'patient_idx')
  assert.ok(skip, 'patient_idx narrows the read by patient')
  assert.ok(Number(skip['Selected Granules']) < Number(skip['Initial Granules']) / 4, `granules skipped: ${JSON.stringify(skip)}`)
  const key = (await explain(q.query)).find((i) => i.Type === 'PrimaryKey' && Array.isArray(i.Keys) && (i.Keys as string[]).includes('order_id'))
  assert.ok(key, 'the orders are then read by their key')
  assert.ok(Number(key['Selected Granules']) < Number(key['Initial Granules']) / 4, `granules skipped: ${JSON.stringify(key)}`)
  process.stdout.write(`# patient_idx ${skip['Selected Granules']}/${skip['Initial Granules']} granules, order_id key ${key['Selected Granules']}/${key['Initial Granules']}\n`)
})
