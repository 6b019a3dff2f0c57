// The benchmarks run and report every figure (their targets are judged from full runs, not here).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const NEVA = fileURLToPath(new URL('../../bin/neva', import.meta.url))
const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
  execFile(NEVA, args, { timeout: 180_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
})
const lastLine = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!) as Record<string, number>

test('neva bench outbox --json: a short run reports every figure', async () => {
  const { code, stdout, stderr } = await run(['bench', 'outbox', '--json', '--outage-s', '2', '--round-s', '1'])
  assert.equal(code, 0, stderr)
  const r = lastLine(stdout)
  assert.deepEqual(Object.keys(r), ['durable_per_s', 'bypass_per_s', 'ratio', 'ack_p99_ms', 'drain_per_s', 'live_per_s', 'live_p99_ms_during_drain'])
  // A 2 s outage drains in well under a second on a quiet machine: no live reading may fall
  // inside the drain, so its p99 may be 0; every other figure must be measured.
  for (const [k, v] of Object.entries(r)) assert.ok(Number.isFinite(v) && (v > 0 || (k === 'live_p99_ms_during_drain' && v === 0)), `${k} = ${v}`)
  assert.ok(Math.abs(r.ratio! - r.durable_per_s! / r.bypass_per_s!) < 0.01, 'ratio is durable over bypass')
})

test('neva bench ingest --json: a short run stores nothing twice; gateways flushing at once see no timeouts', async () => {
  const { code, stdout, stderr } = await run(['bench', 'ingest', '--json', '--batches', '4', '--size', '200', '--flush-gateways', '20', '--flush-batches', '2'])
  assert.equal(code, 0, stderr)
  const r = lastLine(stdout)
  assert.equal(r.duplicates_stored, 0)
  assert.ok(r.baseline_rows_per_s! > 0 && r.exactly_once_rows_per_s! > 0 && r.http_rows_per_s! > 0)
  assert.equal(r.flush_gateways, 20)
  assert.equal(r.flush_errors, 0)
  assert.ok(r.flush_rows_per_s! > 0 && r.one_gateway_flush_rows_per_s! > 0 && r.flush_busy_answers! >= 0)
})

test('neva bench triage --json: a short run reports every figure', async () => {
  const { code, stdout, stderr } = await run(['bench', 'triage', '--json', '--rows', '2000', '--seconds', '1', '--patients', '100'])
  assert.equal(code, 0, stderr)
  const r = lastLine(stdout)
  for (const k of ['pool_per_s', 'main_thread_per_s', 'ratio', 'p99_ms', 'event_loop_p99_ms']) assert.ok(Number.isFinite(r[k]) && r[k]! > 0, `${k} = ${r[k]}`)
  assert.ok(Math.abs(r.ratio! - r.pool_per_s! / r.main_thread_per_s!) < 0.01, 'ratio is pool over main thread')
})

test('neva bench decode --json: a short run reports every protocol', async () => {
  const { code, stdout, stderr } = await run(['bench', 'decode', '--json', '--hl7-messages', '200', '--astm-messages', '5', '--oximeter-lines', '200'])
  assert.equal(code, 0, stderr)
  const r = lastLine(stdout)
  for (const k of ['hl7_per_s', 'hl7_reference_per_s', 'astm_per_s', 'oximeter_per_s']) assert.ok(Number.isFinite(r[k]) && r[k]! > 0, `${k} = ${r[k]}`)
})

test('neva bench analytics --json: a short run reports ingest against direct inserts and every named query', async () => {
  const { code, stdout, stderr } = await run(['bench', 'analytics', '--json', '--rows', '20000', '--patients', '200', '--batches', '2', '--writers', '2', '--repeats', '1'])
  assert.equal(code, 0, stderr)
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { ingest_per_s: number; direct_per_s: number; ratio: number; rows: number; queries: Record<string, { p50_ms: number; p95_ms: number }> }
  assert.ok(r.ingest_per_s > 0 && r.direct_per_s > 0 && Math.abs(r.ratio - r.ingest_per_s / r.direct_per_s) < 0.01)
  assert.equal(r.rows, 20_000)
  for (const name of ['patient-timeline', 'ward-census', 'ed-load-by-hour', 'lab-turnaround']) assert.ok(Number.isFinite(r.queries[name]?.p50_ms), name)
})

test('neva bench boards --json: readings reach the ICU board in Chromium and the stream; both latencies and their ratio', { skip: existsSync('/usr/bin/chromium') ? false : 'no /usr/bin/chromium' }, async () => {
  const { code, stdout, stderr } = await run(['bench', 'boards', '--json', '--readings', '40', '--interval-ms', '50'])
  assert.equal(code, 0, stderr)
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>
  assert.equal(r.readings, 40)
  assert.equal(r.seen_on_stream, 40, stderr)
  assert.equal(r.seen_on_board, 40, stderr)
  assert.ok(r.drawn_exactly! > 0 && r.board_p50_ms! > 0 && r.board_p99_ms! >= r.board_p50_ms! && r.stream_p99_ms! >= r.stream_p50_ms! && r.ratio_p99! > 0, stdout)
})
