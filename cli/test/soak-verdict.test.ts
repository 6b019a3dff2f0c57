// The soak's verdict on made-up series: flat, a leak, a throughput that sags, latency noise.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { soakVerdict, type SoakSample } from '../src/soak/verdict.js'

const sample = (t: number, over: Partial<SoakSample> = {}): SoakSample => ({
  t_s: t, stored_per_s: 200, board_readings_per_s: 400, p50_ms: 100, p99_ms: 400, analyst_queries: 6, analyst_p99_ms: 50, outbox_depth: 0,
  core: { rss_mb: 500, fds: 110 }, gateway: { rss_mb: 400, fds: 92 }, soak: { rss_mb: 300, fds: 112 }, ...over,
})
const check = (v: ReturnType<typeof soakVerdict>, name: string) => v.checks.find((c) => c.name === name)!

test('soak verdict: a steady run is flat, with a zero memory slope; the first sample is warm-up', () => {
  const series = Array.from({ length: 10 }, (_, i) => sample(60 * (i + 1)))
  series[0] = sample(60, { core: { rss_mb: 200, fds: 50 }, stored_per_s: 20 })
  const v = soakVerdict(series)
  assert.equal(v.flat, true)
  assert.equal(v.samples_used, 9)
  assert.equal(v.rss_slope_mb_per_min.core, 0)
})

test('soak verdict: memory that keeps growing is called out, with its slope', () => {
  const v = soakVerdict(Array.from({ length: 10 }, (_, i) => sample(60 * (i + 1), { gateway: { rss_mb: 400 + 30 * i, fds: 92 } })))
  assert.equal(v.flat, false)
  assert.equal(check(v, 'gateway_rss_mb').ok, false)
  assert.equal(v.rss_slope_mb_per_min.gateway, 30)
  assert.equal(check(v, 'core_rss_mb').ok, true)
})

test('soak verdict: throughput that sags by more than 10 % fails; latency noise under the allowance does not', () => {
  const v = soakVerdict(Array.from({ length: 7 }, (_, i) => sample(60 * (i + 1), { stored_per_s: i < 4 ? 200 : 150, p99_ms: i < 4 ? 40 : 55 })))
  assert.equal(check(v, 'stored_per_s').ok, false)
  assert.equal(check(v, 'p99_ms').ok, true)
  assert.equal(check(v, 'stored_per_s').change_pct, -25)
})

test('soak verdict: a figure never measured (no readings reached a board) fails rather than passes', () => {
  const v = soakVerdict(Array.from({ length: 5 }, (_, i) => sample(i + 1, { p99_ms: null })))
  assert.equal(check(v, 'p99_ms').ok, false)
  assert.equal(v.flat, false)
})

test('soak verdict: a figure that rises in the warm-up window and then holds is flat; judged after the window', () => {
  // Threads and their descriptors climb for four minutes (pool threads starting), then hold.
  const series = Array.from({ length: 20 }, (_, i) => sample(60 * (i + 1), {
    core: { rss_mb: 600, fds: i < 4 ? 150 + 80 * i : 470 + (i % 2), threads: i < 4 ? 60 + 25 * i : 163 },
    p99_ms: i === 12 ? 9000 : 400,
  }))
  const v = soakVerdict(series, 300)
  assert.equal(v.warmup_s, 300)
  assert.equal(v.samples_used, 15)
  assert.equal(check(v, 'core_fds').ok, true)
  assert.equal(check(v, 'core_threads').ok, true)
  assert.equal(check(v, 'core_threads').slope_per_min, 0)
  // One bad minute in the middle third moves neither median.
  assert.equal(check(v, 'p99_ms').ok, true)
  assert.equal(v.flat, true)
  // Judged from the start, the same series grew.
  assert.equal(check(soakVerdict(series, 0), 'core_fds').ok, false)
})

test('soak verdict: growth that goes on after the warm-up window is still growth', () => {
  const series = Array.from({ length: 20 }, (_, i) => sample(60 * (i + 1), { core: { rss_mb: 600, fds: 150 + 20 * i, threads: 60 + 5 * i } }))
  const v = soakVerdict(series, 300)
  assert.equal(check(v, 'core_fds').ok, false)
  assert.equal(check(v, 'core_fds').slope_per_min, 20)
  assert.equal(check(v, 'core_threads').ok, false)
  assert.equal(v.flat, false)
})

test('soak verdict: a warm-up window that would leave fewer than three samples falls back to dropping the first', () => {
  const v = soakVerdict(Array.from({ length: 4 }, (_, i) => sample(5 * (i + 1))), 60)
  assert.equal(v.samples_used, 3)
  assert.equal(v.warmup_s, 5)
})

test('soak verdict: ClickHouse per-thread stat files climbing to 3 a thread after the threads settle are not growth; other descriptors are', () => {
  const kinds = (threadStats: number, sockets = 16) => ({ sockets, pipes: 13, anon: 9, thread_stats: threadStats, files: 22 })
  const run = (sockets: (i: number) => number, perThread = 3) => soakVerdict(Array.from({ length: 20 }, (_, i) => {
    const ts = Math.min(perThread * 168, 345 + 10 * i)
    return sample(60 * (i + 1), { core: { rss_mb: 700, threads: 168, fds: 60 + sockets(i) + ts, fd_kinds: kinds(ts, sockets(i)) } })
  }), 300)
  const settled = run(() => 16)
  assert.equal(check(settled, 'core_fds').ok, true)
  assert.equal(check(settled, 'core_fds').first, 76)
  assert.equal(check(settled, 'core_thread_stat_fds').ok, true)
  assert.equal(check(settled, 'core_thread_stat_fds').rule, 'per_thread')
  assert.equal(settled.flat, true)
  // Sockets piling up (streams never closed) are still called out.
  assert.equal(check(run((i) => 16 + 5 * i), 'core_fds').ok, false)
  // More stat files than three a thread: those of threads gone, kept open.
  assert.equal(check(run(() => 16, 4), 'core_thread_stat_fds').ok, false)
})

test('soak verdict: a heap that swings with its collector is not growth; one that climbs past the allowance is', () => {
  const swing = [74, 126, 90, 113, 102, 85, 122]
  const heap = (f: (i: number) => number) => soakVerdict(Array.from({ length: 20 }, (_, i) => sample(60 * (i + 1), { gateway: { rss_mb: 420, fds: 68, threads: 14, heap_mb: f(i) } })), 300)
  assert.equal(check(heap((i) => (i < 10 ? 91 : swing[i % swing.length]!)), 'gateway_heap_mb').ok, true)
  assert.equal(check(heap((i) => 90 + 4 * i), 'gateway_heap_mb').ok, false)
})
