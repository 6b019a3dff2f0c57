// Real device messages (../shared/fixtures/real/hl7: IHE PCD examples by vendors, Dräger alarm
// reports, a haematology analyzer's results) decoded by the real HL7 v2 decoder, stored by the
// core, and read back over the FHIR R4 API: every resource valid against the official R4 schema.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EmrStore } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { schemaErrors } from '@neva/core/fhir-schema'
import { decodeHl7 } from '@neva/firmware-adapters'

const DIR = fileURLToPath(new URL('../../../shared/fixtures/real/hl7/', import.meta.url))
const skip = existsSync(DIR) ? false : 'no ../shared/fixtures/real/hl7'
const SITE = 'Real Hospital'

test('real HL7 v2 messages become valid FHIR R4 resources of every type they carry', { skip }, async () => {
  const core = await startCore({
    host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 4 * 1024 * 1024,
    clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-e2e-fhir-')) }, gateways: { 'gw-1': hashToken('t') },
  })
  after(() => core.close())
  let seq = 1
  const patients = new Set<string>()
  const batch = { gateway_id: 'gw-1', batch_id: 'real', sent_time: Date.now(), observations: [] as object[], triage: [], rejected: [], lab_results: [] as object[], alarms: [] as object[] }
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.hl7'))) {
    const d = decodeHl7(readFileSync(join(DIR, name)), Date.UTC(2025, 10, 26, 12))
    for (const o of d.observations) { batch.observations.push({ ...o, gateway_id: 'gw-1', seq: seq++ }); patients.add(o.patient_id) }
    for (const l of d.labResults) { batch.lab_results.push({ ...l, gateway_id: 'gw-1', seq: seq++ }); if (l.patient_id) patients.add(l.patient_id) }
    for (const a of d.alarms) { batch.alarms.push({ ...a, gateway_id: 'gw-1', seq: seq++ }); if (a.patient_id) patients.add(a.patient_id) }
  }
  await core.store.storeBatch(batch as never)
  const ids = [...patients].filter((p) => /^[A-Za-z0-9._:/-]+$/.test(p))
  assert.ok(ids.length >= 3, ids.join(', '))
  await new EmrStore(core.clickhouse).store(ids.map((p) => ({
    type: 'encounter' as const, encounter_id: `enc-${p}`, patient_id: p, kind: 'icu_stay' as const, site: SITE, ward: 'ICU', start_time: Date.UTC(2015, 0, 1), end_time: null, updated_time: Date.UTC(2015, 0, 1),
  })), 'test')
  const password = 'real-fhir-password-1'
  await core.people.add({ id: 'real-nurse', name: 'Nurse', roles: ['nurse'], sites: [SITE], password }, 'test')
  const login = await fetch(`${core.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'real-nurse', password }) })
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
  const types = new Map<string, number>()
  for (const p of ids) {
    for (const type of ['Patient', 'Encounter', 'Observation', 'DiagnosticReport', 'Flag', 'Device']) {
      const res = await fetch(`${core.url}/fhir/R4/${type}?${type === 'Patient' ? '_id' : 'patient'}=${encodeURIComponent(p.replace(/[^A-Za-z0-9-]/g, (c) => `.${c.charCodeAt(0).toString(16)}`))}&_count=1000`, { headers: { cookie } })
      const bundle = (await res.json()) as any
      assert.equal(res.status, 200, `${type} of ${p}: ${JSON.stringify(bundle)}`)
      assert.deepEqual(schemaErrors(bundle), [], `${type} of ${p}`)
      for (const { resource } of bundle.entry) {
        assert.deepEqual(schemaErrors(resource), [], `${resource.resourceType}/${resource.id}: ${JSON.stringify(schemaErrors(resource))}`)
        types.set(resource.resourceType, (types.get(resource.resourceType) ?? 0) + 1)
      }
    }
  }
  assert.deepEqual([...types.keys()].sort(), ['Device', 'DiagnosticReport', 'Encounter', 'Flag', 'Observation'].filter((t) => types.has(t)).sort())
  for (const t of ['Observation', 'Flag', 'Device', 'Encounter']) assert.ok((types.get(t) ?? 0) > 0, `${t}: ${JSON.stringify([...types])}`)
})
