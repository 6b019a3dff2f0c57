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
