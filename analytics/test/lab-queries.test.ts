// The lab named queries through the analyst path on a small set of orders and matches: turnaround
// from placement to first result per test, priority and site; results no order claimed. The
// analysts see pseudonyms for the specimen and order ids, never the ids themselves.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LabOrder } from '@neva/contracts'
import { connectClickHouse, LabMatchStore, LabOrderStore, loadQueries, migrate, openAnalyst, runNamedQuery } from '@neva/analytics'

const dir = mkdtempSync(join(tmpdir(), 'neva-lab-queries-'))
const ch = await connectClickHouse({ path: dir })
await migrate(ch)
const analyst = await openAnalyst(ch, { path: dir }, { secret: 'lab-queries-secret' })
after(async () => {
  await analyst.close()
  await ch.close()
})
const T0 = Date.parse('2026-03-01T08:00:00Z')
const MIN = 60_000
const orders = new LabOrderStore(ch)
const matches = new LabMatchStore(ch)

async function place(id: string, priority: LabOrder['priority'], resultedAfterMin: number | null): Promise<void> {
  const base: LabOrder = {
    order_id: id, patient_id: 'MRN-1', encounter_id: 'enc-1', site: 'City 1', ward: 'ICU', specimen_id: `SP-${id}`,
    tests: [{ loinc: '2345-7', lab_code: 'GLU' }, { loinc: '2823-3', lab_code: 'K' }], priority, diagnosis_code: 'E87.5', diagnosis_text: 'secret note',
    ordered_by: 'user:dr-a', state: 'ordered', placed_time: T0, updated_time: T0, history: [{ state: 'ordered', by: 'user:dr-a', time: T0 }],
  }
  await orders.record(base)
  if (resultedAfterMin !== null) {
    const t = T0 + resultedAfterMin * MIN
    await orders.record({ ...base, state: 'resulted', updated_time: t, history: [...base.history, { state: 'resulted', by: 'gateway:gw-1', time: t }] })
  }
}
await place('o1', 'stat', 30)
await place('o2', 'stat', 60)
await place('o3', 'routine', null)
await matches.put([
  { gateway_id: 'gw-1', seq: 1, specimen_id: 'SP-o1', test_code: 'GLU', loinc: '2345-7', order_id: 'o1', outcome: 'matched', critical: false, received_time: T0 + 30 * MIN, matched_time: T0 + 30 * MIN },
  { gateway_id: 'gw-1', seq: 2, specimen_id: 'SP-none', test_code: 'GLU', loinc: '2345-7', order_id: '', outcome: 'unmatched', critical: true, received_time: T0 + MIN, matched_time: T0 + MIN },
  { gateway_id: 'gw-1', seq: 3, specimen_id: 'SP-gone', test_code: 'K', loinc: '2823-3', order_id: 'o9', outcome: 'cancelled_order', critical: false, received_time: T0 + 2 * MIN, matched_time: T0 + 2 * MIN },
  // Unmatched first, claimed later: the latest row wins, so it is not listed.
  { gateway_id: 'gw-1', seq: 4, specimen_id: 'SP-o2', test_code: 'K', loinc: '2823-3', order_id: '', outcome: 'unmatched', critical: false, received_time: T0 + 3 * MIN, matched_time: T0 + 3 * MIN },
  { gateway_id: 'gw-1', seq: 4, specimen_id: 'SP-o2', test_code: 'K', loinc: '2823-3', order_id: 'o2', outcome: 'matched', critical: false, received_time: T0 + 3 * MIN, matched_time: T0 + 9 * MIN },
])
const queries = loadQueries()
const range = { from: new Date(T0 - 3600_000).toISOString(), to: new Date(T0 + 3600_000).toISOString() }
const run = (name: string) => runNamedQuery(analyst, queries.get(name)!, range, { user: 'analyst:lab', via: 'test' })

test('lab-order-turnaround: minutes from order to first result per test and priority; waiting orders counted apart', async () => {
  const res = await run('lab-order-turnaround')
  const rows = res.rows.map((r) => ({ ...r })) as Array<Record<string, unknown>>
  const glu = rows.filter((r) => r.test_code === 'GLU')
  assert.deepEqual(glu.map((r) => [r.priority, Number(r.orders), Number(r.resulted), Number(r.waiting), r.p50_min === null ? null : Number(r.p50_min), r.max_min === null ? null : Number(r.max_min)]), [
    ['routine', 1, 0, 1, null, null],
    ['stat', 2, 2, 0, 45, 60],
  ])
})

test('lab-unmatched-results: unmatched and cancelled-order results, not those claimed since', async () => {
  const res = await run('lab-unmatched-results')
  const rows = (res.rows as Array<Record<string, unknown>>).map((r) => [r.test_code, r.outcome, Number(r.results), Number(r.critical)])
  assert.deepEqual(rows.sort(), [['GLU', 'unmatched', 1, 1], ['K', 'cancelled_order', 1, 0]].sort())
})

test('analysts see pseudonyms for specimen and order ids, and no diagnosis text', async () => {
  const rs = await ch.client.query({ query: 'SELECT specimen_id, order_id FROM analyst.lab_order_events LIMIT 1', format: 'JSONEachRow' })
  const [row] = await rs.json<{ specimen_id: string; order_id: string }>()
  assert.ok(row && !row.specimen_id.startsWith('SP-') && !row.order_id.startsWith('o'))
  await assert.rejects(ch.client.query({ query: 'SELECT diagnosis_text FROM analyst.lab_order_events', format: 'JSONEachRow' }))
})

test('lab-orders-overdue: pending orders past their due time by priority, judged at a given moment', async () => {
  const at = (min: number) => runNamedQuery(analyst, queries.get('lab-orders-overdue')!, { at: new Date(T0 + min * MIN).toISOString() }, { user: 'analyst:lab', via: 'test' })
  // o3 (routine) is still ordered: not due after 2 h, overdue after 25 h; o1 and o2 were resulted.
  assert.deepEqual((await at(120)).rows, [])
  const late = (await at(25 * 60)).rows as Array<Record<string, unknown>>
  assert.deepEqual(late.map((r) => [r.site, r.priority, r.state, Number(r.overdue)]), [['City 1', 'routine', 'ordered', 1]])
  // o2 (stat) was resulted at 60 min: pending but not yet due at 59 min, not pending at 61.
  assert.deepEqual((await at(59)).rows, [])
  assert.deepEqual((await at(61)).rows, [])
})
