// neva sim soak, short: every door of a real gateway (MQTT, MLLP, serial) and a real core with
// embedded ClickHouse, boards and analysts; the JSON line carries the series and the verdict,
// and everything acknowledged is stored once. Flatness itself is not asserted (20 s says little
// and a shared machine makes it noisy); a 10-minute run's figures are in docs/benchmarks.md.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const NEVA = fileURLToPath(new URL('../../bin/neva', import.meta.url))

test('neva sim soak --seconds 20: per-interval samples of every process, a verdict, stored == acknowledged', { timeout: 600_000 }, async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(NEVA, ['sim', 'soak', '--json', '--seconds', '20', '--interval-s', '5', '--ambulances', '1', '--beds', '3', '--analyzers', '1', '--boards', '2', '--analysts', '1', '--seed', 'ci'],
      { timeout: 480_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
  })
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!)
  assert.ok(code === 0 || report.verdict.flat === false, stderr)
  assert.equal(report.series.length, 4)
  for (const s of report.series) {
    for (const p of ['core', 'gateway', 'soak']) {
      assert.ok(s[p].rss_mb > 10, `${p} RSS ${JSON.stringify(s)}`)
      assert.ok(s[p].fds > 3, `${p} fds ${JSON.stringify(s)}`)
      assert.ok(s[p].threads >= 1, `${p} threads ${JSON.stringify(s)}`)
      const k = s[p].fd_kinds
      assert.equal(k.sockets + k.pipes + k.anon + k.thread_stats + k.files, s[p].fds, `${p} fd kinds ${JSON.stringify(s)}`)
    }
  }
  assert.ok(report.series.some((s: { board_readings_per_s: number; p99_ms: number | null }) => s.board_readings_per_s > 0 && s.p99_ms !== null), stderr)
  assert.ok(report.series.some((s: { stored_per_s: number }) => s.stored_per_s > 0))
  for (const p of ['core', 'gateway']) assert.ok(report.series.some((s: Record<string, { heap_mb?: number }>) => (s[p]?.heap_mb ?? 0) > 5), `${p}'s heap is read`)
  assert.ok(report.series.some((s: { core_ingest_ms: number | null }) => typeof s.core_ingest_ms === 'number' && s.core_ingest_ms > 0), 'the core\'s ingest time is read')
  // Shown beside RSS, not judged: the engine's own accounting and V8's committed heaps.
  type Memory = { memory?: { core_clickhouse_mb: Record<string, number>; core_heap_total_mb: number | null; gateway_heap_total_mb: number | null } }
  assert.ok(report.series.some((s: Memory) => (s.memory?.core_clickhouse_mb.MemoryTracking ?? 0) > 0), 'ClickHouse\'s MemoryTracking is read')
  assert.ok(report.series.some((s: Memory) => typeof s.memory?.core_clickhouse_mb.MarkCacheBytes === 'number'), 'the mark cache is read')
  assert.ok(report.series.some((s: Memory) => (s.memory?.gateway_heap_total_mb ?? 0) > 5 && (s.memory?.core_heap_total_mb ?? 0) > 5), 'heaps committed are read')
  type Workers = { memory?: { gateway_worker_heaps_mb?: Record<string, number>; gateway_external_mb?: number | null } }
  assert.ok(report.series.some((s: Workers) => (s.memory?.gateway_worker_heaps_mb?.['outbox-writer'] ?? 0) > 0), 'the outbox writer\'s heap is read')
  assert.ok(report.series.some((s: Workers) => (s.memory?.gateway_worker_heaps_mb?.triage ?? 0) > 0), 'the triage scorer\'s heap is read')
  assert.ok(report.series.some((s: Workers) => (s.memory?.gateway_external_mb ?? 0) > 0), 'the gateway\'s external memory is read')
  assert.equal(typeof report.verdict.flat, 'boolean')
  // A quarter of 20 s is warm-up: the first sample.
  assert.equal(report.verdict.warmup_s, 5)
  assert.ok(report.verdict.checks.length >= 12)
  for (const c of report.verdict.checks) assert.ok(['steady', 'bounded', 'per_thread'].includes(c.rule), JSON.stringify(c))
  assert.ok(report.acknowledged.ambulance_readings > 0 && report.acknowledged.hl7_messages > 0 && report.acknowledged.astm_specimens > 0, JSON.stringify(report.acknowledged))
  assert.deepEqual(report.stored, report.acknowledged)
  assert.equal(report.duplicates, 0)
  assert.equal(report.lost, 0)
  assert.equal(report.stored_equals_acknowledged, true)
  assert.match(stderr, /soak: \+5s stored/)
})

/** Processes whose command line names `dir` (the soak's gateway, core and socat pairs all do). */
function processesUnder(dir: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(dir)) pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

test('a soak stopped by SIGTERM leaves no gateway, core or socat behind (SIGINT: simulators/src/child-exit.test.ts)', { timeout: 300_000 }, async () => {
  const child = spawn(NEVA, ['sim', 'soak', '--seconds', '120', '--ambulances', '1', '--beds', '1', '--analyzers', '1', '--boards', '0', '--analysts', '0'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  const dir = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      const m = /logs in (\S+)/.exec(stderr)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`the soak exited (${code}) before it started: ${stderr}`)))
  })
  // Its gateway, core and one socat are running.
  assert.ok(processesUnder(dir).length >= 3, `${processesUnder(dir).length} processes under ${dir}`)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  assert.equal(await exited, 143)
  // They stop as a SIGTERM stops them: given up to 30 s, then the test fails.
  const deadline = Date.now() + 30_000
  while (processesUnder(dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
  assert.deepEqual(processesUnder(dir), [], 'still running after the soak\'s SIGTERM')
  rmSync(dir, { recursive: true, force: true })
})
