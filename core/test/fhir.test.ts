// The FHIR R4 API over the real embedded ClickHouse: every resource type mapped from stored rows
// and valid against the official R4 JSON schema; search by code and date with paging; refusals
// as attacks (outside the grants by id, by search and by _include; tampered cursors; injection
// in search values; tokens without the scope); every answer audited.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import { bulkTriagePage, positionOfBulkTriageRow, type BulkTriagePosition } from '@neva/analytics'
import { fhirNdjson, hashToken, startCore } from '@neva/core'
import { admit, userClient, TEST_SITE } from './people-helpers.js'
import { schemaErrors, seedPatient } from './fhir-fixtures.js'

const provider = await generateKeyPair('RS256', { extractable: true })
const jwks = { keys: [{ ...(await exportJWK(provider.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }
const jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)))
await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
after(() => jwksServer.close())
const ISSUER = 'https://id.example/realms/city'

const core = await startCore({
  host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024,
  clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-core-fhir-')) },
  gateways: { 'gw-1': hashToken('gw-token') },
  people: { oidc: { issuer: ISSUER, audience: 'neva-core', jwksUrl: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/certs`, rolesClaim: 'neva_roles', wardsClaim: 'neva_wards', sitesClaim: 'neva_sites', nameClaim: 'name' } },
})
after(() => core.close())

const T0 = Date.UTC(2026, 10, 20, 9)
await admit(core, ['fhir-1'])
await admit(core, ['fhir-other'], 'Cardiology')
await seedPatient(core, 'fhir-1', T0, { vitals: 5 })
await seedPatient(core, 'fhir-other', T0)
const nurse = await userClient(core, { id: 'fhir-nurse', name: 'Nurse', roles: ['nurse'], wards: [`${TEST_SITE}/ICU`] })
const analyst = await userClient(core, { id: 'fhir-analyst', name: 'Analyst', roles: ['analyst'], sites: [TEST_SITE] })

const get = async (path: string, headers: Record<string, string> = {}, client = nurse) => {
  const res = await client.fetch(`/fhir/R4${path}`, { headers })
  const body = (await res.json()) as any
  return { status: res.status, type: res.headers.get('content-type'), body }
}
const valid = (resource: any) => assert.deepEqual(schemaErrors(resource), [], `${resource.resourceType}/${resource.id}: ${JSON.stringify(schemaErrors(resource)).slice(0, 800)}`)
const views = async (patient: string) => {
  const rs = await core.clickhouse.client.query({ query: 'SELECT user_id, what FROM record_views WHERE patient_id = {p:String} ORDER BY at', query_params: { p: patient }, format: 'JSONEachRow' })
  return rs.json<{ user_id: string; what: string }>()
}
const outcome = (r: { status: number; type: string | null; body: any }, status: number, code: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body))
  assert.match(r.type ?? '', /^application\/fhir\+json/)
  assert.equal(r.body.resourceType, 'OperationOutcome')
  valid(r.body)
  assert.equal(r.body.issue[0].details.coding[0].code, code)
}

test('every resource type is mapped from the stored rows and valid against the official R4 schema', async () => {
  const seen = new Set<string>()
  for (const type of ['Encounter', 'Observation', 'DiagnosticReport', 'Condition', 'RiskAssessment', 'Flag', 'Device']) {
    const r = await get(`/${type}?patient=fhir-1`)
    assert.equal(r.status, 200, `${type}: ${JSON.stringify(r.body)}`)
    assert.match(r.type ?? '', /^application\/fhir\+json/)
    valid(r.body)
    assert.equal(r.body.type, 'searchset')
    assert.ok(r.body.entry.length > 0, type)
    for (const e of r.body.entry) {
      valid(e.resource)
      seen.add(e.resource.resourceType)
      // Read by id gives the same resource.
      const one = await get(`/${e.resource.resourceType}/${e.resource.id}`)
      assert.equal(one.status, 200, `${e.fullUrl}: ${JSON.stringify(one.body)}`)
      assert.deepEqual(one.body, e.resource)
    }
  }
  const patient = await get('/Patient/fhir-1')
  assert.equal(patient.status, 200)
  valid(patient.body)
  assert.deepEqual([patient.body.gender, patient.body.birthDate], ['female', '1958'])
  assert.deepEqual([...seen].sort(), ['Condition', 'Device', 'DiagnosticReport', 'Encounter', 'Flag', 'Observation', 'RiskAssessment'])
  const metadata = await get('/metadata')
  assert.equal(metadata.status, 200)
  valid(metadata.body)
})

test('vital signs: LOINC first, MDC second, UCUM units, the vital-signs profile; labs with range and flag', async () => {
  const r = await get('/Observation?patient=Patient/fhir-1&code=http://loinc.org|59408-5&_count=1')
  const spo2 = r.body.entry[0].resource
  // R4 oxygensat: 2708-6 required in code, 59408-5 (by pulse oximetry) beside it, then MDC.
  assert.deepEqual(spo2.code.coding, [{ system: 'http://loinc.org', code: '2708-6' }, { system: 'http://loinc.org', code: '59408-5' }, { system: 'urn:iso:std:iso:11073:10101', code: '150456' }])
  assert.deepEqual(spo2.valueQuantity, { value: 94, unit: '%', system: 'http://unitsofmeasure.org', code: '%' })
  assert.deepEqual(spo2.meta.profile, ['http://hl7.org/fhir/StructureDefinition/vitalsigns', 'http://hl7.org/fhir/StructureDefinition/oxygensat'])
  valid(spo2)
  // Found by either LOINC code, with or without the system; the same readings each way.
  const ids = async (code: string) => (await get(`/Observation?patient=fhir-1&code=${code}`)).body.entry.map((e: any) => e.resource.id)
  const byPulseOx = await ids('http://loinc.org|59408-5')
  assert.equal(byPulseOx.length, 5)
  assert.deepEqual(await ids('http://loinc.org|2708-6'), byPulseOx)
  assert.deepEqual(await ids('2708-6'), byPulseOx)
  assert.deepEqual(await ids('urn:iso:std:iso:11073:10101|150456'), byPulseOx)
  // Heart rate claims only the vital-signs profile and keeps its one LOINC code.
  const hr = (await get('/Observation?patient=fhir-1&code=8867-4&_count=1')).body.entry[0].resource
  assert.deepEqual([hr.meta.profile, hr.code.coding[0].code, hr.code.coding.length], [['http://hl7.org/fhir/StructureDefinition/vitalsigns'], '8867-4', 2])
  assert.equal(spo2.category[0].coding[0].code, 'vital-signs')
  const labs = await get('/Observation?patient=fhir-1&category=laboratory')
  const glucose = labs.body.entry.find((e: any) => e.resource.code.text === 'GLU').resource
  assert.deepEqual([glucose.valueQuantity.value, glucose.referenceRange[0].text, glucose.interpretation[0].coding[0].code], [7.2, '3.9-6.1', 'H'])
  assert.equal(labs.body.entry.find((e: any) => e.resource.code.text === 'HIV').resource.valueString, 'NEG')
  const mdc = await get('/Observation?patient=fhir-1&code=urn:iso:std:iso:11073:10101|147842')
  assert.equal(mdc.body.entry.length, 5)
})

test('date prefixes and paging: next links walk every row once; the cursor is bound to its search', async () => {
  const window = await get(`/Observation?patient=fhir-1&category=vital-signs&date=ge2026-11-20T09:01:00Z&date=lt2026-11-20T09:03:00Z`)
  assert.equal(window.body.entry.length, 4)
  const gt = await get(`/Observation?patient=fhir-1&code=8867-4&date=gt2026-11-20T09:03Z`)
  assert.deepEqual(gt.body.entry.map((e: any) => e.resource.valueQuantity.value), [84])
  const ids: string[] = []
  let url: string | undefined = '/Observation?patient=fhir-1&_count=3'
  let pages = 0
  while (url) {
    const page = await get(url)
    assert.equal(page.status, 200, JSON.stringify(page.body))
    valid(page.body)
    ids.push(...page.body.entry.map((e: any) => e.resource.id))
    const next = page.body.link.find((l: any) => l.relation === 'next')?.url as string | undefined
    url = next ? next.slice(next.indexOf('/fhir/R4') + '/fhir/R4'.length) : undefined
    pages++
  }
  assert.equal(ids.length, 12) // 10 vitals, 2 labs
  assert.equal(new Set(ids).size, 12)
  assert.equal(pages, 4)
  // Tampered, moved to another patient's search, or garbage: refused.
  const first = await get('/Observation?patient=fhir-1&_count=2')
  const next = new URL(first.body.link.find((l: any) => l.relation === 'next').url)
  const cursor = next.searchParams.get('_cursor')!
  const [body, sig] = cursor.split('.')
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), t: 0 })).toString('base64url')
  outcome(await get(`/Observation?patient=fhir-1&_count=2&_cursor=${forged}.${sig}`), 400, 'NEVA_CORE_FHIR_BAD_CURSOR')
  outcome(await get(`/Observation?patient=fhir-1&_count=3&_cursor=${cursor}`), 400, 'NEVA_CORE_FHIR_BAD_CURSOR')
  outcome(await get(`/Observation?patient=fhir-1&_count=2&_cursor=x'%20OR%201=1`), 400, 'NEVA_CORE_FHIR_BAD_CURSOR')
})

test('outside the grants: refused by id, by search, by _include, and by a tampered cursor; nothing audited', async () => {
  const before = (await views('fhir-other')).length
  outcome(await get('/Patient/fhir-other'), 403, 'NEVA_CORE_NOT_GRANTED')
  outcome(await get('/Observation?patient=fhir-other'), 403, 'NEVA_CORE_NOT_GRANTED')
  outcome(await get('/Observation?subject=Patient/fhir-other&_include=Observation:patient'), 403, 'NEVA_CORE_NOT_GRANTED')
  const theirs = await get('/Condition?patient=fhir-other', {}, await userClient(core, { id: 'fhir-cardio', name: 'Cardio', roles: ['clinician'], wards: [`${TEST_SITE}/Cardiology`] }))
  assert.equal(theirs.status, 200)
  outcome(await get(`/Condition/${theirs.body.entry[0].resource.id}`), 403, 'NEVA_CORE_NOT_GRANTED')
  // _include reaches only the searched patient's own resources.
  const mine = await get('/Observation?patient=fhir-1&_include=Observation:patient&_include=Observation:device&_count=2')
  const included = mine.body.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`)
  assert.deepEqual(included.sort(), ['Device/mon-1', 'Patient/fhir-1'])
  outcome(await get('/Observation?patient=fhir-1&_include=Observation:encounter'), 400, 'NEVA_CORE_FHIR_BAD_SEARCH')
  assert.equal((await views('fhir-other')).filter((v) => v.user_id === 'fhir-nurse').length, 0)
  assert.ok((await views('fhir-other')).length > before) // the cardiology clinician's read
  const audit = await views('fhir-1')
  assert.ok(audit.some((v) => v.user_id === 'fhir-nurse' && v.what === 'fhir Observation search'))
  assert.ok(audit.some((v) => v.what === 'fhir Patient read'))
  // Not a clinician or nurse: refused whatever the grants.
  outcome(await get('/Observation?patient=fhir-1', {}, analyst), 403, 'NEVA_CORE_FORBIDDEN')
  outcome(await (async () => { const res = await fetch(`${core.url}/fhir/R4/Patient/fhir-1`); return { status: res.status, type: res.headers.get('content-type'), body: await res.json() } })(), 401, 'NEVA_CORE_UNAUTHENTICATED')
})

test('search values are validated strictly and bound: injection is a 400 naming the parameter', async () => {
  for (const [q, what] of [
    ["patient=fhir-1'%20OR%20'1'='1", /patient/],
    ['patient=fhir-1&code=8867-4)%20OR%20(1=1', /code/],
    ['patient=fhir-1&code=http://evil|1', /unknown system/],
    ['patient=fhir-1&date=ge2026-13-01', /date/],
    ['patient=fhir-1&date=ge2026-11-20T09:00', /date/],
    ["patient=fhir-1&date=ge2026-11-20'", /date/],
    ['patient=fhir-1&_count=0', /_count/],
    ['patient=fhir-1&_count=100000', /_count/],
    ['patient=fhir-1&name=x', /not searched by name/],
    ['code=8867-4', /one patient/],
    ['patient=fhir-1&patient=fhir-other', /more than once/],
    ['patient=fhir-1&category=social-history', /category/],
  ] as const) {
    const r = await get(`/Observation?${q}`)
    outcome(r, 400, 'NEVA_CORE_FHIR_BAD_SEARCH')
    assert.match(r.body.issue[0].diagnostics, what, q)
  }
  outcome(await get('/Medication?patient=fhir-1'), 404, 'NEVA_CORE_FHIR_UNKNOWN_TYPE')
  outcome(await get('/constructor?patient=fhir-1'), 404, 'NEVA_CORE_FHIR_UNKNOWN_TYPE')
  outcome(await get('/Observation/no_such'), 404, 'NEVA_CORE_FHIR_NOT_FOUND')
  outcome(await get('/Observation?patient=fhir-1', { accept: 'application/fhir+xml' }), 406, 'NEVA_CORE_FHIR_FORMAT')
  outcome(await get('/Observation?patient=fhir-1&_format=xml'), 406, 'NEVA_CORE_FHIR_FORMAT')
})

const jwt = (claims: JWTPayload) => new SignJWT({ name: 'App', neva_roles: ['clinician'], neva_wards: [`${TEST_SITE}/ICU`], ...claims })
  .setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setAudience('neva-core').setSubject('app-1').setIssuedAt().setExpirationTime('5m').sign(provider.privateKey)
const bearer = async (path: string, claims: JWTPayload) => {
  const res = await fetch(`${core.url}/fhir/R4${path}`, { headers: { authorization: `Bearer ${await jwt(claims)}` } })
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any }
}

test('SMART scopes on OIDC tokens: user/<Type>.read, patient/*.read for the token patient only, none refused', async () => {
  assert.equal((await bearer('/Observation?patient=fhir-1', { scope: 'openid user/Observation.read' })).status, 200)
  outcome(await bearer('/Condition?patient=fhir-1', { scope: 'openid user/Observation.read' }), 403, 'NEVA_CORE_FHIR_SCOPE')
  outcome(await bearer('/Observation?patient=fhir-1', { scope: 'openid profile' }), 403, 'NEVA_CORE_FHIR_SCOPE')
  outcome(await bearer('/Observation?patient=fhir-1', {}), 403, 'NEVA_CORE_FHIR_SCOPE')
  assert.equal((await bearer('/Condition?patient=fhir-1', { scope: 'patient/*.read', patient: 'fhir-1' })).status, 200)
  // The patient's own context stands for patient=.
  assert.equal((await bearer('/RiskAssessment', { scope: 'patient/*.read', patient: 'fhir-1' })).status, 200)
  outcome(await bearer('/Condition?patient=fhir-1', { scope: 'patient/*.read', patient: 'fhir-2' }), 403, 'NEVA_CORE_FHIR_SCOPE')
  outcome(await bearer('/Condition?patient=fhir-1', { scope: 'patient/*.read' }), 403, 'NEVA_CORE_FHIR_SCOPE')
  // A scope does not widen the grants.
  outcome(await bearer('/Observation?patient=fhir-other', { scope: 'user/*.read' }), 403, 'NEVA_CORE_NOT_GRANTED')
  assert.ok((await views('fhir-1')).some((v) => v.user_id === 'oidc:app-1'))
})

test("RiskAssessment: the deterioration model's risk of in-hospital death is a second prediction, only when it ran (never 0 for missing)", async () => {
  await admit(core, ['fhir-risk'])
  const t = T0 + 3_600_000
  const news2 = { score: 5, partial: false, subscores: { respiratory_rate: 2, spo2: 1, on_oxygen: 0, systolic_bp: 0, pulse: 1, consciousness: 0, temperature: 1 }, missing: [], level: 'yellow', spo2_scale: 1 }
  const inputs = { respiratory_rate: { value: 23, time: t }, spo2: { value: 95, time: t }, on_oxygen: { value: false, time: t }, systolic_bp: { value: 120, time: t }, pulse: { value: 95, time: t }, consciousness: { value: 'A', time: t }, temperature: { value: 38.3, time: t } }
  const model = { id: 'triage-sim', version: '3', level: 'yellow', probabilities: { green: 0.2, yellow: 0.7, red: 0.1 }, drivers: [{ feature: 'pulse', value: 95, contribution: 0.3 }] }
  const verdict = (seq: number, time: number, extra: object) => ({ gateway_id: 'gw-1', seq, patient_id: 'fhir-risk', time, level: 'yellow', model_version: 'triage-sim@3', news2, inputs, model: { ...model, ...extra } })
  await core.store.storeBatch({
    gateway_id: 'gw-1', batch_id: 'fhir-risk-1', sent_time: Date.now(), observations: [], rejected: [], lab_results: [], alarms: [],
    triage: [
      verdict(900_001, t, { risk: 0.1671, risk_model: 'deterioration-xgb@1', risk_inputs: ['pulse', 'respiratory_rate', 'spo2'] }),
      verdict(900_002, t + 60_000, {}),
      verdict(900_003, t + 120_000, { risk: 0, risk_model: 'deterioration-xgb@1', risk_inputs: ['pulse'], sparse: 'only 1 of the 6 bedside vitals (pulse); the model needs 3: the level is NEWS2\'s' }),
    ],
  } as never)
  const r = await get('/RiskAssessment?patient=fhir-risk')
  assert.equal(r.status, 200, JSON.stringify(r.body))
  valid(r.body)
  const [withRisk, without, zero] = r.body.entry.map((e: any) => e.resource)
  for (const ra of [withRisk, without, zero]) {
    valid(ra)
    assert.deepEqual((await get(`/RiskAssessment/${ra.id}`)).body, ra)
  }
  assert.deepEqual(withRisk.prediction[1], { outcome: { text: 'in-hospital death' }, probabilityDecimal: 0.1671, rationale: 'deterioration-xgb@1 from pulse, respiratory_rate, spo2' })
  assert.deepEqual(withRisk.method.coding, [{ system: 'urn:neva:triage-model', code: 'triage-sim@3' }, { system: 'urn:neva:risk-model', code: 'deterioration-xgb@1' }])
  assert.equal(withRisk.prediction[0].probabilityDecimal, 0.7)
  // The model did not run: no second prediction, no risk model in the method.
  assert.equal(without.prediction.length, 1)
  assert.deepEqual(without.method.coding, [{ system: 'urn:neva:triage-model', code: 'triage-sim@3' }])
  // A risk of 0 that was computed is 0, with the reason it did not move the level.
  assert.equal(zero.prediction[1].probabilityDecimal, 0)
  assert.match(zero.prediction[1].rationale, /^deterioration-xgb@1 from pulse; only 1 of the 6 bedside vitals/)
  // The bulk NDJSON (lines by template) holds the API's resources, byte for byte.
  let ndjson = ''
  for await (const chunk of fhirNdjson(core.clickhouse, 'RiskAssessment', { since: t, until: t + 3_600_000 })) ndjson += chunk.text
  assert.equal(ndjson, [withRisk, without, zero].map((ra) => `${JSON.stringify(ra)}\n`).join(''))
  // Its keyset pages (sort key order) walk every verdict once, a page of one at a time.
  const keys: string[] = []
  let after: BulkTriagePosition | undefined
  for (;;) {
    const [one, ...more] = await bulkTriagePage(core.clickhouse, { since: t, until: t + 3_600_000 }, after, 1)
    if (!one) break
    assert.equal(more.length, 0)
    keys.push(one[2])
    after = positionOfBulkTriageRow(one)
  }
  assert.deepEqual(keys, ['gw-1|900001', 'gw-1|900002', 'gw-1|900003'])
})
