// neva fhir export as an operator runs it (bin/neva in a child process) on a data directory: one
// patient's Bundle, and the bulk NDJSON of a window per type with its progress line.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hostname, userInfo } from 'node:os'
import { connectClickHouse, EmrStore } from '@neva/analytics'
import { schemaErrors } from '@neva/core/fhir-schema'
import { hashToken, startCore } from '@neva/core'
import type { Observation } from '@neva/contracts'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const neva = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
  execFile(join(ROOT, 'bin/neva'), args, { cwd: ROOT, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }))
})

const T0 = Date.UTC(2026, 10, 20, 9)
const data = mkdtempSync(join(tmpdir(), 'neva-cli-fhir-'))
{
  const core = await startCore({ host: '127.0.0.1', port: 0, logLevel: 'silent', bodyLimit: 1024 * 1024, clickhouse: { path: join(data, 'clickhouse') }, gateways: { 'gw-1': hashToken('t') } })
  await new EmrStore(core.clickhouse).store([
    { type: 'patient', patient_id: 'exp-1', birth_year: 1970, sex: 'male', district: 'North', updated_time: T0 },
    { type: 'encounter', encounter_id: 'enc-exp-1', patient_id: 'exp-1', kind: 'ed_arrival', site: 'City Hospital 1', ward: null, start_time: T0, end_time: null, updated_time: T0 },
    { type: 'diagnosis', diagnosis_id: 'dx-exp-1', encounter_id: 'enc-exp-1', patient_id: 'exp-1', icd10: 'I21.4', kind: 'final', set_by: 'clinician', author_id: 'dr-1', time: T0 + 60_000 },
  ], 'his')
  const observations: Observation[] = []
  for (let i = 0; i < 12_000; i++) {
    const patient = i % 2 === 0 ? 'exp-1' : 'exp-2'
    observations.push({ gateway_id: 'gw-1', seq: i + 1, device_id: 'mon-1', patient_id: patient, source: 'mqtt', mdc_code: 147842, loinc: '8867-4', name: 'heart_rate', value: 60 + (i % 40), unit: '/min', device_time: T0 + i * 1000, received_time: T0 + i * 1000 + 5, flags: [] })
  }
  await core.store.storeBatch({ gateway_id: 'gw-1', batch_id: 'exp', sent_time: T0, observations, triage: [], rejected: [] })
  await core.close()
}

test('--patient writes one Bundle (collection) of the patient\'s resources; --since narrows it', async () => {
  const res = await neva(['fhir', 'export', '--data', data, '--patient', 'exp-1'])
  assert.equal(res.code, 0, res.stderr)
  const bundle = JSON.parse(res.stdout)
  assert.deepEqual([bundle.resourceType, bundle.type], ['Bundle', 'collection'])
  const types = bundle.entry.map((e: any) => e.resource.resourceType)
  assert.equal(types.filter((t: string) => t === 'Observation').length, 6000)
  assert.deepEqual([...new Set(types)].sort(), ['Condition', 'Device', 'Encounter', 'Observation', 'Patient'])
  assert.ok(bundle.entry.every((e: any) => e.resource.subject === undefined || e.resource.subject.reference === 'Patient/exp-1'))
  assert.match(res.stderr, /bundle: 6004 resources/)
  const since = JSON.parse((await neva(['fhir', 'export', '--data', data, '--patient', 'exp-1', '--since', new Date(T0 + 6000_000).toISOString()])).stdout)
  assert.equal(since.entry.filter((e: any) => e.resource.resourceType === 'Observation').length, 3000)
})

test('--ndjson writes a file per type for the window, every patient, a resource a line', async () => {
  const dir = join(data, 'bulk')
  const res = await neva(['fhir', 'export', '--data', data, '--ndjson', dir, '--since', new Date(T0).toISOString(), '--until', new Date(T0 + 10_000_000).toISOString()])
  assert.equal(res.code, 0, res.stderr)
  assert.ok(readdirSync(dir).includes('Observation.ndjson'))
  const lines = readFileSync(join(dir, 'Observation.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  assert.equal(lines.length, 10_000)
  assert.deepEqual(new Set(lines.map((o) => o.subject.reference)), new Set(['Patient/exp-1', 'Patient/exp-2']))
  assert.match(res.stderr, /ndjson: \d+ resources, [\d.]+ s, \d+\/s\naudited: 2 patients/)
  for (const line of lines) assert.deepEqual(schemaErrors(line), [])
})

test('every patient whose data left is audited: who ran the export, from where, the window', async () => {
  const before = Date.now()
  const dir = join(data, 'bulk-audit')
  const since = new Date(T0).toISOString(), until = new Date(T0 + 10_000_000).toISOString()
  assert.equal((await neva(['fhir', 'export', '--data', data, '--ndjson', dir, '--since', since, '--until', until])).code, 0)
  assert.equal((await neva(['fhir', 'export', '--data', data, '--patient', 'exp-1'])).code, 0)
  const ch = await connectClickHouse({ path: join(data, 'clickhouse') })
  try {
    const rs = await ch.client.query({
      query: `SELECT patient_id, what, user_id, via, address, user_agent FROM record_views WHERE at >= {at:DateTime64(3, 'UTC')} AND what LIKE 'fhir export%' ORDER BY what, patient_id`,
      query_params: { at: (before / 1000).toFixed(3) }, format: 'JSONEachRow',
    })
    const rows = await rs.json<Record<string, string>>()
    assert.deepEqual(rows.map((r) => [r.what, r.patient_id]), [['fhir export bundle', 'exp-1'], ['fhir export ndjson', 'exp-1'], ['fhir export ndjson', 'exp-2']])
    for (const r of rows) {
      assert.equal(r.user_id, `os:${userInfo().username}`)
      assert.equal(r.via, 'cli')
      assert.equal(r.address, hostname())
    }
    assert.equal(rows[1]!.user_agent, `neva fhir export ${since}/${until}`)
  } finally {
    await ch.close()
  }
})

test('usage errors: no mode, both modes, a bad time, a bad patient id', async () => {
  for (const args of [[], ['--patient', 'a', '--ndjson', '/tmp/x'], ['--patient', 'a', '--since', 'yesterday'], ['--patient', "a' OR 1=1"], ['--ndjson', '/tmp/x', '--since', '2026-11-20']]) {
    const res = await neva(['fhir', 'export', '--data', data, ...args])
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`)
  }
})
