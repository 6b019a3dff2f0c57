// A FHIR read by id finds its row through the seq skip index (migration 0019), not a scan, and a
// tampered id (bad escape, a seq that is no number or too large, another gateway, a forged hash,
// SQL in it) is a clean 404 OperationOutcome, never a ClickHouse error.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seqOfKey } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { admit, userClient, TEST_SITE } from './people-helpers.js'
import { schemaErrors, seedPatient } from './fhir-fixtures.js'

const core = await startCore({ host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-fhir-id-')) }, gateways: { 'gw-1': hashToken('t') } })
after(() => core.close())
const T0 = Date.UTC(2026, 10, 20, 9)
await admit(core, ['id-1'])
await seedPatient(core, 'id-1', T0, { vitals: 3 })
const nurse = await userClient(core, { id: 'id-nurse', name: 'Nurse', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })
const get = async (path: string) => {
  const res = await nurse.fetch(`/fhir/R4${path}`)
  return { status: res.status, body: (await res.json()) as any }
}

test('the seq skip index is there and narrows a read by seq', async () => {
  for (const table of ['observations', 'lab_results', 'triage_results']) {
    const rs = await core.clickhouse.client.query({ query: `EXPLAIN indexes = 1 SELECT * FROM ${table} WHERE seq IN (1, 2)`, format: 'TabSeparatedRaw' })
    assert.match(await rs.text(), new RegExp(`Name: ${table}_seq`), table)
  }
})

test('read by id: vitals, labs and triage verdicts found by their key, equal to the search entry', async () => {
  for (const type of ['Observation', 'RiskAssessment']) {
    const search = await get(`/${type}?patient=id-1`)
    assert.equal(search.status, 200)
    for (const e of search.body.entry) {
      const one = await get(`/${type}/${e.resource.id}`)
      assert.equal(one.status, 200, JSON.stringify(one.body))
      assert.deepEqual(one.body, e.resource)
      assert.deepEqual(schemaErrors(one.body), [])
    }
  }
})

test('a tampered id is refused cleanly (404 OperationOutcome), whatever was changed', async () => {
  const search = await get('/Observation?patient=id-1&category=vital-signs&_count=1')
  const id: string = search.body.entry[0].resource.id
  const tampered = [
    id.replace(/\.7c(\d+)\.7c/, '.7c$19.7c'), // another seq: no such row
    id.replace(/\.7c\d+\.7c/, '.7cabc.7c'), // seq not a number
    id.replace(/\.7c\d+\.7c/, '.7c99999999999999999999.7c'), // beyond UInt64
    id.replace(/\.7c\d+\.7c/, '.7c-1.7c'),
    id.replace('gw-1', 'gw-2'),
    `${id}.zz`, // a bad escape
    id.replace('.7c', '.7C'), // not the canonical escape
    `h.${'0'.repeat(40)}`, // a forged hash
    `gw-1.7c1.27.20OR.201.3d1.7cspo2`, // SQL in the seq
    'x'.repeat(65),
  ]
  for (const bad of tampered) {
    const r = await get(`/Observation/${encodeURIComponent(bad)}`)
    assert.equal(r.status, 404, `${bad}: ${JSON.stringify(r.body)}`)
    assert.equal(r.body.resourceType, 'OperationOutcome')
    assert.equal(r.body.issue[0].details.coding[0].code, 'NEVA_CORE_FHIR_NOT_FOUND')
  }
})

test('seqOfKey takes only "gateway|seq[|name]" with a UInt64 seq', () => {
  assert.equal(seqOfKey('gw-1|42|spo2'), 42n)
  assert.equal(seqOfKey('gw-1|18446744073709551615'), 18446744073709551615n)
  for (const k of ['gw-1|18446744073709551616', 'gw-1|x|spo2', '|1|a', 'gw-1', 'gw-1|1 OR 1=1', 'gw-1|-1']) assert.equal(seqOfKey(k), undefined, k)
})
