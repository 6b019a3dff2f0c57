// The neva command line as a user runs it: through bin/neva, in child processes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { parseGatewayConfig } from '@neva/edge'
import { COMMANDS } from '../src/commands.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const NEVA = join(ROOT, 'bin/neva')

function neva(args: string[], input?: string, timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = execFile(NEVA, args, { cwd: ROOT, timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolvePromise({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })
    })
    if (input !== undefined) child.stdin!.end(input)
  })
}

test('neva triage: one result per line; a malformed line gets an error naming the problem', async () => {
  const lines = [
    JSON.stringify({ respiratory_rate: 25, spo2: 91, on_oxygen: true, systolic_bp: 90, pulse: 131, consciousness: 'U', temperature: 35 }),
    '{"pulse": 72,',
    JSON.stringify({ pulse: 72, spo2: 97 }),
    '',
    JSON.stringify({ pulse: 900 }),
    JSON.stringify({ spo2: 95, spo2_scale: 2, on_oxygen: true }),
    JSON.stringify({ heartrate: 80 }),
  ]
  const { code, stdout } = await neva(['triage'], lines.join('\n') + '\n')
  assert.equal(code, 0)
  const out = stdout.trim().split('\n').map((l) => JSON.parse(l))
  assert.equal(out.length, 6)
  assert.equal(out[0].news2.score, 20)
  assert.equal(out[0].level, 'red')
  assert.equal(out[1].line, 2)
  assert.match(out[1].error, /invalid JSON/)
  assert.deepEqual(out[2].news2.subscores, { respiratory_rate: null, spo2: 0, on_oxygen: null, systolic_bp: null, pulse: 0, consciousness: null, temperature: null })
  assert.equal(out[2].news2.partial, true)
  for (const r of out.filter((o) => !o.error)) {
    // The shipped models have their say; the final level is never below NEWS2's, and above it
    // only from a risk at the deterioration model's escalation threshold (never from sparse inputs).
    assert.equal(r.model_version, `${r.model.id}@${r.model.version}`)
    assert.ok(LEVELS.indexOf(r.level) >= LEVELS.indexOf(r.news2.level))
    if (r.level !== r.news2.level) assert.ok(!r.model.sparse && r.model.risk >= ESCALATION.yellow)
  }
  assert.deepEqual([out[3].line, out[3].error], [5, 'pulse: 900 is physiologically impossible (outside 0–350 /min)'])
  assert.equal(out[4].news2.subscores.spo2, 2)
  assert.match(out[5].error, /unknown key "heartrate"/)
})

const LEVELS = ['green', 'yellow', 'red']
const ESCALATION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../edge/models/deterioration-xgb-1.json', import.meta.url)), 'utf8')) as { escalation: { yellow: number } }).escalation

test("neva triage: a patient's lines build a history the model reads; --no-model is NEWS2 alone", async () => {
  const t0 = Date.UTC(2026, 10, 1)
  // Twenty minutes of a young patient bleeding: pulse climbs while the blood pressure holds.
  const lines = Array.from({ length: 21 }, (_, m) =>
    JSON.stringify({ patient_id: 'p1', time: t0 + m * 60_000, age: 24, pulse: 80 + 2 * m, systolic_bp: 124 - m / 2, respiratory_rate: 16 + m / 5, spo2: 97, on_oxygen: false, consciousness: 'A', temperature: 36.8 }))
  const withModel = await neva(['triage'], lines.join('\n') + '\n')
  assert.equal(withModel.code, 0, withModel.stderr)
  const out = withModel.stdout.trim().split('\n').map((l) => JSON.parse(l))
  assert.equal(out.length, 21)
  assert.ok(out.every((r) => r.model && LEVELS.indexOf(r.level) >= LEVELS.indexOf(r.news2.level)))
  const bare = await neva(['triage', '--no-model'], lines.join('\n') + '\n')
  const plain = bare.stdout.trim().split('\n').map((l) => JSON.parse(l))
  assert.ok(plain.every((r) => r.model === null && r.model_version === 'news2-rcp-2017' && r.level === r.news2.level))
  const bad = await neva(['triage'], JSON.stringify({ patient_id: 'p1', time: 'now', pulse: 80 }) + '\n')
  assert.match(bad.stdout, /time: expected epoch milliseconds/)
})

test('neva demo --json: every device reaches ClickHouse over its own transport, stored equals published; neva sql reads it and refuses writes', async () => {
  const data = mkdtempSync(join(tmpdir(), 'neva-demo-'))
  const demo = await neva(['demo', '--seconds', '8', '--json', '--ephemeral-ports', '--data', data])
  assert.equal(demo.code, 0, demo.stderr)
  const summary = JSON.parse(demo.stdout.trim().split('\n').at(-1)!) as {
    published: number; stored: number; ecg_chunks: number; transports: number; triage: Record<string, number>; devices: Record<string, number>; stored_by_source: Record<string, number>
  }
  assert.ok(summary.published > 0)
  assert.equal(summary.stored, summary.published)
  assert.ok((summary.triage.green ?? 0) + (summary.triage.yellow ?? 0) + (summary.triage.red ?? 0) >= 3)
  const s = summary.stored_by_source
  assert.ok(summary.ecg_chunks > 0)
  assert.equal(s.ecg_rows, summary.ecg_chunks * 12)
  assert.ok(summary.devices.hl7_messages_acked! > 0 && s.hl7v2! > 0, JSON.stringify(summary))
  assert.ok(s.opcua! > 0, JSON.stringify(summary))
  assert.ok(summary.devices.oximeter_lines_written! > 0 && s.serial! > 0, JSON.stringify(summary))
  assert.ok(summary.devices.astm_messages_acked! > 0 && s.lab_results! > 0, JSON.stringify(summary))
  // The crew's tablet: en_route at least once, then arrived, for each of its patients; the core's ledger counts them all.
  assert.ok(summary.transports >= 6 && s.transports === summary.transports, JSON.stringify(summary))

  const sql = await neva(['sql', '--data', data, '--format', 'TabSeparatedWithNames', "SELECT count() AS n FROM observations WHERE source = 'mqtt'"])
  assert.equal(sql.code, 0, sql.stderr)
  assert.equal(sql.stdout, `n\n${summary.stored}\n`)
  const drop = await neva(['sql', '--data', data, 'DROP TABLE observations'])
  assert.equal(drop.code, 2)
  assert.match(drop.stderr, /only reads are allowed/)
  // Table functions are refused (as ClickHouse's readonly=1 would), audited, a usage error.
  const sneaky = await neva(['sql', '--data', data, "SELECT * FROM url('http://127.0.0.1:9/', CSV, 'a String')"])
  assert.equal(sneaky.code, 2)
  assert.match(sneaky.stderr, /readonly.*url\(\)/i)
  const still = await neva(['sql', '--data', data, '--format', 'TabSeparated', "SELECT count() FROM observations WHERE source = 'mqtt'"])
  assert.equal(still.stdout.trim(), String(summary.stored))

  // A second demo starts afresh, so the whole table is again exactly what it stored.
  const second = await neva(['demo', '--seconds', '3', '--json', '--ephemeral-ports', '--data', data])
  assert.equal(second.code, 0, second.stderr)
  const again = JSON.parse(second.stdout.trim().split('\n').at(-1)!) as { stored: number }
  const total = await neva(['sql', '--data', data, '--format', 'TabSeparated', "SELECT count() FROM observations WHERE source = 'mqtt'"])
  assert.equal(total.stdout.trim(), String(again.stored))
})

test('neva demo refuses to clear a directory it did not create', async () => {
  const data = mkdtempSync(join(tmpdir(), 'neva-precious-'))
  writeFileSync(join(data, 'precious.txt'), 'keep me')
  const res = await neva(['demo', '--seconds', '1', '--ephemeral-ports', '--data', data])
  assert.equal(res.code, 1)
  assert.match(res.stderr, /holds data that neva demo did not create/)
  assert.equal(readFileSync(join(data, 'precious.txt'), 'utf8'), 'keep me')
})

test('neva: unknown commands and options are usage errors', async () => {
  assert.equal((await neva(['frobnicate'])).code, 2)
  const bad = await neva(['demo', '--seconds', 'ten'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--seconds: expected a number/)
})

test('docker-compose.yml parses, and every service it names exists in the repository', () => {
  const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { build?: string; image?: string; command?: string[]; depends_on?: unknown; environment?: Record<string, string>; profiles?: string[] }>
  }
  const services = compose.services
  // `docker compose up` without a profile: the single-node system; the cluster and Grafana are profiles.
  assert.deepEqual(Object.keys(services).filter((n) => !services[n]!.profiles).sort(), ['clickhouse', 'core', 'edge', 'migrate', 'simulators'])
  const [, version] = /clickhouse-server:(\d+\.\d+)/.exec(services.clickhouse!.image!) ?? []
  assert.ok(version && Number(version.split('.')[0]) * 100 + Number(version.split('.')[1]) >= 2408, 'ClickHouse 24.8 or newer')
  for (const [name, service] of Object.entries(services)) {
    const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {})
    for (const d of deps) assert.ok(services[d], `${name} depends on unknown service ${d}`)
    if (!service.build) continue
    assert.ok(existsSync(join(ROOT, service.build, 'Dockerfile')), `${name}: no Dockerfile in ${service.build}`)
    const [command, ...args] = service.command ?? []
    assert.ok(command && COMMANDS[command], `${name}: neva has no command ${command}`)
    const configAt = args.indexOf('--config')
    if (configAt >= 0) {
      const file = args[configAt + 1]!.replace(/^\/app\//, '')
      parseGatewayConfig(JSON.parse(readFileSync(join(ROOT, file), 'utf8')), file)
    }
    if (args[0] === 'ambulance') assert.match(args.join(' '), /--broker mqtt:\/\/edge:1883/)
  }
  assert.match(services.core!.environment!.NEVA_GATEWAY_TOKENS!, /^edge-1=/)
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  for (const ws of ['contracts', 'firmware-adapters', 'analytics', 'edge', 'core', 'simulators']) {
    assert.match(dockerfile, new RegExp(`COPY ${ws}/package.json`), `Dockerfile installs ${ws}`)
  }
})

test('the example gateway configuration is valid; a wrong one names the field', () => {
  parseGatewayConfig(JSON.parse(readFileSync(join(ROOT, 'edge/gateway.example.json'), 'utf8')))
  assert.throws(() => parseGatewayConfig({ gateway_id: 'g', core: { token: 't' }, mqtt: { port: 70000 } }, 'x.json'), /x\.json: \/mqtt\/port/)
  assert.throws(() => parseGatewayConfig({ gateway_id: 'g' }, 'x.json'), /x\.json: \/core/)
})

test('neva sim emr: a seeded city goes into ClickHouse; run again it is stored once', async () => {
  const data = mkdtempSync(join(tmpdir(), 'neva-emr-'))
  const args = ['sim', 'emr', '--patients', '200', '--seed', 'cli', '--telemetry-rows', '20000', '--end', String(Date.UTC(2026, 10, 26)), '--data', data, '--json']
  const first = await neva(args)
  assert.equal(first.code, 0, first.stderr)
  const report = JSON.parse(first.stdout.trim().split('\n').at(-1)!) as Record<string, number>
  assert.equal(report.patients, 200)
  assert.ok(report.encounters! > 200 && report.diagnoses === 2 * report.encounters! && report.lab_results! > 0)
  assert.equal(report.telemetry_rows, 20_000)
  assert.match(first.stderr, /patients 200 \/ 200 .*100%/)
  assert.equal((await neva(args)).code, 0)
  const { connectClickHouse } = await import('@neva/analytics')
  const ch = await connectClickHouse({ path: join(data, 'clickhouse') })
  try {
    const count = async (q: string) => Number(((await (await ch.client.query({ query: q, format: 'JSONEachRow' })).json()) as Array<{ n: string }>)[0]!.n)
    assert.equal(await count('SELECT count() AS n FROM encounters'), report.encounters)
    assert.equal(await count('SELECT count() AS n FROM observations'), 20_000)
    assert.equal(await count('SELECT count() AS n FROM lab_results'), report.lab_results)
  } finally {
    await ch.close()
  }
})

test('neva migrate --cluster NAME --print renders the schema as cluster DDL; --print alone is a usage error', async () => {
  const out = await neva(['migrate', '--cluster', 'neva', '--print'])
  assert.equal(out.code, 0, out.stderr)
  assert.match(out.stdout, /CREATE TABLE IF NOT EXISTS `neva`\.`observations_local` ON CLUSTER `neva`/)
  assert.match(out.stdout, /ENGINE = Distributed\(/)
  assert.doesNotMatch(out.stdout, /ENGINE = MergeTree\b/)
  assert.equal((await neva(['migrate', '--print'])).code, 2)
})
