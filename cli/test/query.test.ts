// neva query and neva sql as a user runs them (bin/neva in child processes) on a data directory
// holding a small data set: answers, refusals, exit codes and the audit trail with the OS user.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connectClickHouse, migrate } from '@neva/analytics'
import { hashToken, startCore } from '@neva/core'
import { insertFixture, MRN_A, T0 } from '@neva/analytics/analyst-fixture'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const NEVA = join(ROOT, 'bin/neva')

function neva(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(NEVA, args, { cwd: ROOT, timeout: 120_000, env: { ...process.env, NEVA_PSEUDONYM_KEY: 'cli-key', ...env } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
  })
}

const data = mkdtempSync(join(tmpdir(), 'neva-cli-query-'))
{
  const ch = await connectClickHouse({ path: join(data, 'clickhouse') })
  await migrate(ch)
  await insertFixture(ch)
  await ch.close()
}

test('neva query lists the library with descriptions and parameters', async () => {
  const res = await neva(['query'])
  assert.equal(res.code, 0, res.stderr)
  assert.match(res.stdout, /patient-timeline\n\s+Timeline of one pseudonymous patient/)
  assert.match(res.stdout, /--param from=<DateTime64\(3, 'UTC'\)>/)
})

test('neva query NAME runs pseudonymously; bad parameters and names are usage errors', async () => {
  const current = await neva(['query', 'current-triage', '--data', data, '--format', 'JSONEachRow'])
  assert.equal(current.code, 0, current.stderr)
  const rows = current.stdout.trim().split('\n').map((l) => JSON.parse(l) as { patient_id: string; current_level: string })
  assert.deepEqual(rows.map((r) => r.current_level), ['red', 'green'])
  assert.ok(!current.stdout.includes(MRN_A))
  const patient = rows[0]!.patient_id
  const timeline = await neva(['query', 'patient-timeline', '--data', data, '--format', 'TabSeparatedWithNames',
    '--param', `patient=${patient}`, '--param', `from=${T0 - 1000}`, '--param', `to=${new Date(T0 + 3600_000).toISOString()}`])
  assert.equal(timeline.code, 0, timeline.stderr)
  assert.equal(timeline.stdout.split('\n')[0], 'time\tkind\tname\tvalue\tnumeric_value\tunit\tsource')
  assert.equal(timeline.stdout.trim().split('\n').length, 6)
  const bad = await neva(['query', 'patient-timeline', '--data', data, '--param', `patient=${patient}`, '--param', 'from=noon', '--param', 'to=1'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /from \(DateTime64\(3, 'UTC'\)\): expected an ISO 8601 time/)
  assert.equal((await neva(['query', 'ed-load', '--data', data])).code, 2)
})

test('neva sql reads the analyst views, refuses raw tables and writes, and audits with the OS user', async () => {
  const ok = await neva(['sql', '--data', data, '--format', 'TabSeparated', 'SELECT count() FROM observations'])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(ok.stdout, '3\n')
  const pretty = await neva(['sql', '--data', data, 'SELECT DISTINCT source FROM observations ORDER BY source'])
  assert.match(pretty.stdout, /│ source │\n├─+┤\n│ mqtt   │\n│ serial │\n└─+┘\n2 rows/)
  const raw = await neva(['sql', '--data', data, 'SELECT patient_id FROM default.observations'])
  assert.equal(raw.code, 2)
  assert.match(raw.stderr, /only the analyst views may be read.*audited/)
  const drop = await neva(['sql', '--data', data, 'DROP TABLE observations'])
  assert.equal(drop.code, 2)
  assert.match(drop.stderr, /only reads are allowed/)
  const ch = await connectClickHouse({ path: join(data, 'clickhouse') })
  try {
    const rs = await ch.client.query({ query: "SELECT user, outcome, query_name FROM analyst_audit WHERE via = 'cli' ORDER BY at", format: 'JSONEachRow' })
    const audit = await rs.json<{ user: string; outcome: string; query_name: string }>()
    assert.ok(audit.every((a) => a.user === `os:${userInfo().username}`))
    assert.deepEqual(audit.map((a) => a.outcome).slice(-4), ['ok', 'ok', 'refused', 'refused'])
    assert.ok(audit.some((a) => a.query_name === 'patient-timeline'))
  } finally {
    await ch.close()
  }
})

test('with --core, neva sql and neva query go through a running core as the token\'s analyst', async () => {
  // The core owns its data directory while it runs: the CLI asks it instead of opening the engine.
  const core = await startCore({
    host: '127.0.0.1', port: 0, clickhouse: { path: mkdtempSync(join(tmpdir(), 'neva-cli-core-')) }, logLevel: 'silent',
    bodyLimit: 1 << 20, gateways: {}, analysts: { ana: hashToken('ana-token') },
  })
  try {
    await insertFixture(core.clickhouse)
    const env = { NEVA_ANALYST_TOKEN: 'ana-token' }
    const ok = await neva(['sql', '--core', core.url, '--format', 'TabSeparated', 'SELECT count() FROM observations'], env)
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(ok.stdout, '3\n')
    const named = await neva(['query', 'current-triage', '--core', core.url, '--format', 'JSONEachRow'], env)
    assert.equal(named.code, 0, named.stderr)
    assert.ok(named.stdout.trim().split('\n').length >= 1)
    assert.doesNotMatch(named.stdout, new RegExp(MRN_A))
    const raw = await neva(['sql', '--core', core.url, 'SELECT patient_id FROM default.observations'], env)
    assert.equal(raw.code, 2)
    assert.match(raw.stderr, /only the analyst views may be read.*audited/)
    const stranger = await neva(['sql', '--core', core.url, 'SELECT 1'], { NEVA_ANALYST_TOKEN: 'guess' })
    assert.equal(stranger.code, 2)
    assert.match(stranger.stderr, /refused NEVA_ANALYST_TOKEN/)
    const none = await neva(['sql', '--core', core.url, 'SELECT 1'], { NEVA_ANALYST_TOKEN: '' })
    assert.equal(none.code, 2)
    assert.match(none.stderr, /set NEVA_ANALYST_TOKEN/)
    const rs = await core.clickhouse.client.query({ query: "SELECT user, outcome FROM analyst_audit WHERE via = 'http' ORDER BY at", format: 'JSONEachRow' })
    const audit = await rs.json<{ user: string; outcome: string }>()
    assert.deepEqual(audit.map((a) => `${a.user} ${a.outcome}`), ['analyst:ana ok', 'analyst:ana ok', 'analyst:ana refused'])
  } finally {
    await core.close()
  }
})
