// Every read behind the patient page's summary goes through its table's sort key (or a skip
// index) rather than every granule: each query the summary sends is captured from the client and
// run again as EXPLAIN json = 1, indexes = 1 over the real embedded ClickHouse; each table read
// in the plan must name a narrowing primary-key or skip-index condition: alarms (keyed by alarm)
// and infusions (keyed by pump) through their patient skip index (migration 0031). The suggestions
// read this way still come back in full.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashToken, startCore } from '@neva/core'
import { admit, userClient, TEST_SITE } from './people-helpers.js'
import { seedPatient } from './fhir-fixtures.js'
import { captureQueries, explainPlans, type PlanNode } from './query-plans.js'

const core = await startCore({
  host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-summary-keys-')) }, gateways: { 'gw-1': hashToken('gw-token') },
})
after(() => core.close())

/** Tables allowed to be read through every granule: none. */
const KNOWN_SCANS = new Set<string>()

const T0 = Date.now() - 30 * 60_000
await admit(core, ['sk-1', 'sk-2'])
await seedPatient(core, 'sk-1', T0, { vitals: 5 })
await seedPatient(core, 'sk-2', T0)
const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23)
const suggestion = (id: string, encounter: string, patient: string, minutesAgo: number) => ({
  suggestion_id: id, encounter_id: encounter, patient_id: patient, kind: 'preliminary', model_id: 'dx-nb', model_version: 1,
  suggested_icd10: ['J18.9'], suggested_p: [0.5], physician_icd10: null, verdict: null, source: 'his', time: ts(Date.now() - minutesAgo * 60_000),
})
// enc-sk-1 is the encounter of the seeded diagnosis; another patient's suggestions sit beside.
for (const rows of [[suggestion('sg-1', 'enc-sk-1', 'sk-1', 20), suggestion('sg-2', 'enc-sk-1', 'sk-1', 10)], [suggestion('sg-3', 'enc-sk-2', 'sk-2', 5)]]) {
  await core.clickhouse.client.insert({ table: 'dx_suggestions', format: 'JSONEachRow', values: rows })
}
// A pump's reports for both patients (infusion_events is keyed by pump, read by patient).
await core.clickhouse.client.insert({ table: 'infusion_events', format: 'JSONEachRow', values: ['sk-1', 'sk-2'].map((p, i) => ({
  gateway_id: 'gw-1', seq: 700 + i, event_id: `ev-${p}`, device_id: 'pump-1', source: 'hl7v2', patient_id: p, channel: '1', drug: 'heparin', rate: 5, rate_unit: 'mL/h',
  alerts: [], received_time: ts(Date.now() - (10 - i) * 60_000),
})) })
await core.clickhouse.client.insert({ table: 'alarm_acks', format: 'JSONEachRow', values: [
  { alarm_id: 'mon-1/0^sk-1^0000000000000001^EUI-64-and-a-long-tail-so-the-id-is-hashed', user: 'sk-nurse', note: null, acked_at: ts(Date.now() - 60_000) },
] })
const nurse = await userClient(core, { id: 'sk-nurse', name: 'Nurse', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })


/** A sort key's expressions, split at top-level commas ("ifNull(patient_id, ''), received_time"). */
function keyParts(key: string): string[] {
  const parts: string[] = []
  let depth = 0
  let cur = ''
  for (const c of key) {
    if (c === ',' && depth === 0) {
      parts.push(cur.trim())
      cur = ''
      continue
    }
    if (c === '(') depth++
    if (c === ')') depth--
    cur += c
  }
  parts.push(cur.trim())
  return parts
}

const leading = new Map<string, string>()
{
  const rs = await core.clickhouse.client.query({ query: "SELECT concat(database, '.', name) AS t, sorting_key FROM system.tables WHERE database = 'default'", format: 'JSONEachRow' })
  for (const r of await rs.json<{ t: string; sorting_key: string }>()) leading.set(r.t, keyParts(r.sorting_key)[0]!)
}

/** Every ReadFromMergeTree in the plan, with whether its leading sort key column or a skip index narrows it. */
function reads(node: PlanNode, out: Array<{ table: string; keyed: boolean; condition: string }> = []) {
  if (node['Node Type'] === 'ReadFromMergeTree') {
    const idx = node.Indexes ?? []
    const lead = leading.get(String(node.Description))
    // A skip index is listed only when the condition can use it (and names no condition itself).
    const narrowing = idx.filter((i) => (i.Type === 'Skip' && i.Name !== undefined) || (i.Condition !== undefined && i.Condition !== 'true' &&
      i.Type === 'PrimaryKey' && Array.isArray(i.Keys) && (i.Keys as string[]).includes(lead ?? '')))
    out.push({ table: String(node.Description), keyed: narrowing.length > 0, condition: narrowing.map((i) => `${i.Type}: ${i.Condition ?? i.Name}`).join('; ') })
  }
  for (const p of node.Plans ?? []) reads(p, out)
  return out
}

test('summary: every table it reads is read through its key; only the known ones are scanned', async () => {
  // Capture the summary's queries from the real client.
  const { result: body, seen } = await captureQueries(core.clickhouse, async () => {
    const r = await nurse.json('/v1/patients/sk-1/summary?hours=24')
    assert.equal(r.status, 200)
    return r.body as Record<string, unknown>
  })
  const summaryQueries = seen.filter((q) => /^\s*SELECT/i.test(q.query))
  // One round trip for the page's reads (sections, UNION ALL), the grant check beside it; the
  // people's refresh may run meanwhile, so other queries are not counted.
  const unions = summaryQueries.filter((q) => q.query.includes("formatRowNoNewline('JSONEachRow', *)"))
  assert.equal(unions.length, 1, 'the reads go as one UNION ALL')
  assert.ok(summaryQueries.some((q) => /FROM encounters FINAL/.test(q.query) && !unions.includes(q)), 'the grant check')

  const scans: string[] = []
  const tables = new Set<string>()
  for (const q of summaryQueries) {
    for (const r of (await explainPlans(core.clickhouse, q.query, q)).flatMap((p) => reads(p))) {
      tables.add(r.table)
      if (!r.keyed) scans.push(r.table)
    }
  }
  // The reads that matter are in the plans (tables with rows; an empty one reads nothing).
  for (const t of ['default.dx_suggestions', 'default.encounters', 'default.diagnoses', 'default.lab_results', 'default.triage_results', 'default.vitals_per_5min',
    'default.alarms', 'default.alarm_acks', 'default.infusion_events']) {
    assert.ok(tables.has(t), `${t} read by the summary (read: ${[...tables].join(', ')})`)
  }
  const unexpected = scans.filter((t) => !KNOWN_SCANS.has(t))
  assert.deepEqual(unexpected, [], `read without a narrowing key or skip index: ${unexpected.join(', ')}`)

  // The suggestions, read by the patient's encounters, are all there and only the patient's.
  const suggestions = body.suggestions as Array<{ suggestion_id: string; clinician_icd10: string | null }>
  assert.deepEqual(suggestions.map((s) => s.suggestion_id), ['sg-2', 'sg-1'])
  assert.equal(suggestions[0]!.clinician_icd10, 'J18.9')
  assert.deepEqual((body.infusions as Array<{ device_id: string }>).map((i) => i.device_id), ['pump-1'])
  assert.deepEqual((body.alarms as Array<{ acks: Array<{ user: string }> }>).map((a) => a.acks.map((k) => k.user)), [['sk-nurse']])
})

test('summary: each window reads its vitals (and their latest readings) by the key of the table they come from', async () => {
  const expected: Record<string, string> = { 1: 'default.observations', 8: 'default.observations', 24: 'default.vitals_per_5min', 168: 'default.vitals_per_5min' }
  for (const [hours, table] of Object.entries(expected)) {
    const { seen } = await captureQueries(core.clickhouse, async () => assert.equal((await nurse.json(`/v1/patients/sk-1/summary?hours=${hours}`)).status, 200))
    const union = seen.find((q) => q.query.includes("formatRowNoNewline('JSONEachRow', *)"))!
    const vitals = (await explainPlans(core.clickhouse, union.query, union)).flatMap((p) => reads(p)).filter((r) => /vitals_per|observations/.test(r.table))
    // The series' table, and the latest readings from observations (their bound, the rollup's
    // newest bucket, is a scalar subquery: computed before the plan, so not in it).
    assert.deepEqual([...new Set(vitals.map((r) => r.table))].sort(), [...new Set([table, 'default.observations'])].sort(), `${hours} h`)
    assert.ok(vitals.every((r) => r.keyed), `${hours} h: ${JSON.stringify(vitals)}`)
  }
})
