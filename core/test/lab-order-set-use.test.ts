// An order placed from an order set: POST /v1/lab/orders names the preliminary suggestion whose
// set it took; the use is recorded (lab_order_set_uses: offered and ordered LOINCs), a suggestion
// of another encounter or none at all is refused, and the named query lab-order-set-share counts
// the orders placed from sets. Real core, embedded ClickHouse, real HTTP.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DxSuggestionStore, loadQueries } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { admit, TEST_SITE } from './people-helpers.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-labset-')) },
  emrSystems: { his: hashToken('his-token') }, logLevel: 'silent', bodyLimit: 1024 * 1024,
}, { labMatchEveryMs: 0 })
after(() => core.close())

const START = Date.now() - 3600_000
await admit(core, ['set-p1', 'set-p2'], 'ED', TEST_SITE, START)
const enc = (p: string) => `enc-${p}-ED-${START}`
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${core.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer his-token', 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

test('an order from the order set records its use; a foreign or unknown suggestion is refused; the share is counted', async () => {
  const suggestionId = await new DxSuggestionStore(core.clickhouse).record({
    kind: 'preliminary', encounter_id: enc('set-p1'), patient_id: 'set-p1', model: { id: 'dx-nb', version: 1 },
    suggestions: [{ icd10: 'J18.9', p: 0.6 }, { icd10: 'K35.8', p: 0.2 }, { icd10: 'G43.9', p: 0.1 }], source: 'his', time: Date.now(),
  })
  // The clinician unticked the blood culture: three of the four tests offered.
  const tests = [{ loinc: '1988-5', lab_code: 'CRP' }, { loinc: '6690-2', lab_code: 'WBC' }, { loinc: '3094-0', lab_code: 'UREA' }]
  const placed = await post('/v1/lab/orders', { patient_id: 'set-p1', encounter_id: enc('set-p1'), specimen_id: 'SET-1', tests, priority: 'urgent', order_set: { suggestion_id: suggestionId } })
  assert.equal(placed.status, 201, JSON.stringify(placed.body))
  const plain = await post('/v1/lab/orders', { patient_id: 'set-p1', encounter_id: enc('set-p1'), specimen_id: 'SET-2', tests: [{ loinc: '2345-7', lab_code: 'GLU' }], priority: 'urgent' })
  assert.equal(plain.status, 201)

  const foreign = await post('/v1/lab/orders', { patient_id: 'set-p2', encounter_id: enc('set-p2'), specimen_id: 'SET-3', tests, priority: 'urgent', order_set: { suggestion_id: suggestionId } })
  assert.equal(foreign.status, 422)
  assert.equal(foreign.body.error, 'NEVA_CORE_LAB_ORDER_SET')
  const unknown = await post('/v1/lab/orders', { patient_id: 'set-p1', encounter_id: enc('set-p1'), specimen_id: 'SET-4', tests, priority: 'urgent', order_set: { suggestion_id: 'no-such-suggestion' } })
  assert.equal(unknown.status, 422)

  const rs = await core.clickhouse.client.query({ query: 'SELECT order_id, offered, ordered FROM lab_order_set_uses', format: 'JSONEachRow' })
  assert.deepEqual(await rs.json(), [{ order_id: placed.body.order_id, offered: ['1988-5', '6690-2', '3094-0', '600-7'], ordered: ['1988-5', '6690-2', '3094-0'] }])

  const share = loadQueries().get('lab-order-set-share')!
  const q = await core.clickhouse.client.query({ query: share.sql, query_params: { from: new Date(START).toISOString().replace('T', ' ').replace('Z', ''), to: new Date(Date.now() + 60_000).toISOString().replace('T', ' ').replace('Z', '') }, format: 'JSONEachRow' })
  assert.deepEqual((await q.json<Record<string, unknown>>()).map((r) => [r.site, r.priority, Number(r.orders), Number(r.from_order_set), Number(r.share)]), [[TEST_SITE, 'urgent', 2, 1, 0.5]])
})
