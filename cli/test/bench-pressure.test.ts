// neva bench pressure runs every phase and reports every figure, every acknowledged reading
// counted once in the outbox (its targets are judged from full runs: docs/benchmarks.md).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const NEVA = fileURLToPath(new URL('../../bin/neva', import.meta.url))

test('neva bench pressure --json: a short run reports every figure, every reading stored once', async () => {
  const args = ['bench', 'pressure', '--json', '--rate', '400', '--seconds', '1', '--window', '200', '--connections', '5', '--backlog-s', '2', '--backlog-rate', '100', '--live', '2', '--mllp-messages', '300']
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(NEVA, args, { timeout: 180_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
  })
  assert.equal(code, 0, stderr)
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number | boolean>
  assert.deepEqual(Object.keys(r).slice(0, 8), ['one_conn_per_s', 'bare_broker_per_s', 'ratio', 'overload_per_s', 'overload_ratio', 'backlog_flush_s', 'live_p99_ms_during_flush', 'rss_mb_max'])
  for (const k of ['one_conn_per_s', 'bare_broker_per_s', 'ratio', 'overload_per_s', 'overload_ratio', 'backlog_flush_s', 'rss_mb_max', 'paced_per_s', 'many_per_s']) {
    assert.ok(Number.isFinite(r[k]) && (r[k] as number) > 0, `${k} = ${r[k]}`)
  }
  assert.equal(r.stored_once, true)
  // HL7 over one MLLP connection without waiting, against a bare sink; ACKs in order.
  for (const k of ['mllp_one_conn_per_s', 'mllp_bare_sink_per_s', 'mllp_ratio', 'mllp_stop_and_wait_per_s', 'mllp_pending_max']) assert.ok(Number.isFinite(r[k]) && (r[k] as number) > 0, `${k} = ${r[k]}`)
  assert.equal(r.mllp_out_of_order, 0)
  assert.ok(Math.abs((r.ratio as number) - (r.one_conn_per_s as number) / (r.bare_broker_per_s as number)) < 0.01, 'ratio is the gateway over the bare broker')
})
