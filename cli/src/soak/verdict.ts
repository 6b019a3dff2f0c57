// The soak's verdict: is the run flat? Samples inside the warm-up window are dropped first (the
// embedded ClickHouse starts its pool threads, and with each a few descriptors, as the load first
// asks for them; caches and V8's heap settle), then what is left is cut in thirds and the last
// third's median compared with the first's (medians: one minute of a shared machine's noise does
// not make a trend). Throughput must stay within ±10 %; latency, memory, threads and descriptors
// may not grow by more than 10 % (with a small absolute allowance, so that 40 → 46 ms or 31 → 35
// descriptors is not called growth); ClickHouse's per-thread stat files, at most three a thread.
// Each figure's least-squares slope per minute is reported beside it.
import type { ProcessSample } from './probe.js'

export interface SoakSample {
  /** Seconds since the load started, at the end of the interval. */
  t_s: number
  /** Rows the core committed for the gateway, per second (the gateway's uplink counter). */
  stored_per_s: number
  /** Vital-sign readings that reached the board streams, per second (all subscribers). */
  board_readings_per_s: number
  /** Device timestamp → seen on a board stream, over the interval (null: nothing seen). */
  p50_ms: number | null
  p99_ms: number | null
  analyst_queries: number
  analyst_p99_ms: number | null
  outbox_depth: number | null
  /** The core's mean time to store one of the gateway's batches over the interval (null: none, or not read). */
  core_ingest_ms?: number | null
  /** RSS (MB), threads and open descriptors of each process; null when it could not be read. */
  core: ProcessSample | null
  gateway: ProcessSample | null
  soak: ProcessSample | null
  /** Shown, not judged: ClickHouse's own accounting in the core (MB by system.metrics name), and V8's heaps committed (MB). */
  memory?: SoakMemory
}

export interface SoakMemory {
  core_clickhouse_mb: Record<string, number>
  core_heap_total_mb: number | null
  gateway_heap_total_mb: number | null
  /** The gateway's worker threads (outbox-writer, triage): committed heap, MB by name. */
  gateway_worker_heaps_mb?: Record<string, number>
  /** Memory of the gateway's JS objects held outside V8's heaps (Buffers, sockets' data), MB. */
  gateway_external_mb?: number | null
}

export interface Check {
  name: string
  /**
   * steady: within ±10 %; bounded: may fall, may not rise by more than 10 % (and the allowance);
   * per_thread: never more than 3 per thread of the process (ClickHouse's per-thread stat files).
   */
  rule: 'steady' | 'bounded' | 'per_thread'
  /** Medians of the first and the last third of the samples after warm-up. */
  first: number | null
  last: number | null
  /** last / first − 1, in per cent. */
  change_pct: number | null
  /** Least-squares slope over the samples after warm-up, per minute. */
  slope_per_min: number | null
  ok: boolean
}

export interface SoakVerdict {
  flat: boolean
  /** Samples taken up to this many seconds into the run were warm-up, not judged. */
  warmup_s: number
  samples_used: number
  checks: Check[]
  /** Least-squares slope of each process's RSS, MB per minute, over the samples used. */
  rss_slope_mb_per_min: { core: number | null; gateway: number | null; soak: number | null }
}

const TOLERANCE = 0.1
/**
 * Absolute allowances under which a rise is noise, not growth. V8's heap in use is read wherever
 * its collector happens to be: it swung 71–172 MB minute to minute in a 20-minute run with no
 * trend (0.3 MB/min), so its allowance is the width of that swing's middle, not 10 MB.
 */
const SLACK = { ms: 20, mb: 10, heapMb: 25, fds: 8, threads: 4 }

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function slope(points: Array<[number, number]>): number | null {
  if (points.length < 2) return null
  const mx = mean(points.map((p) => p[0]))!
  const my = mean(points.map((p) => p[1]))!
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return den === 0 ? null : num / den
}

const round = (x: number | null, places = 1) => (x === null ? null : Math.round(x * 10 ** places) / 10 ** places)

/**
 * `warmupS`: samples at or before this many seconds are warm-up. Absent, or when it would leave
 * fewer than three samples, only the first sample is (when there are four or more).
 */
export function soakVerdict(series: SoakSample[], warmupS?: number): SoakVerdict {
  let used = warmupS === undefined ? [] : series.filter((s) => s.t_s > warmupS)
  let warmup = warmupS ?? 0
  if (used.length < 3) {
    used = series.length >= 4 ? series.slice(1) : series
    warmup = series.length >= 4 ? series[0]!.t_s : 0
  }
  const third = Math.max(1, Math.floor(used.length / 3))
  const head = used.slice(0, third)
  const tail = used.slice(-third)
  const checks: Check[] = []
  const compare = (name: string, pick: (s: SoakSample) => number | null | undefined, rule: Check['rule'], slack: number) => {
    const values = (xs: SoakSample[]) => xs.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    const first = median(values(head))
    const last = median(values(tail))
    const perMin = round(slope(used.flatMap((s) => {
      const v = pick(s)
      return typeof v === 'number' && Number.isFinite(v) ? [[s.t_s / 60, v] as [number, number]] : []
    })), 2)
    if (first === null || last === null) {
      checks.push({ name, rule, first: round(first), last: round(last), change_pct: null, slope_per_min: perMin, ok: false })
      return
    }
    const change = first === 0 ? (last === 0 ? 0 : Infinity) : last / first - 1
    const ok = rule === 'steady'
      ? Math.abs(change) <= TOLERANCE
      : last <= first * (1 + TOLERANCE) || last - first <= slack
    checks.push({ name, rule, first: round(first), last: round(last), change_pct: Number.isFinite(change) ? round(change * 100) : null, slope_per_min: perMin, ok })
  }
  compare('stored_per_s', (s) => s.stored_per_s, 'steady', 0)
  compare('board_readings_per_s', (s) => s.board_readings_per_s, 'steady', 0)
  compare('p99_ms', (s) => s.p99_ms, 'bounded', SLACK.ms)
  for (const p of ['core', 'gateway', 'soak'] as const) {
    compare(`${p}_rss_mb`, (s) => s[p]?.rss_mb, 'bounded', SLACK.mb)
    // The JS heap beside RSS: a heap that holds while RSS rises points at native memory.
    if (used.some((s) => typeof s[p]?.heap_mb === 'number')) compare(`${p}_heap_mb`, (s) => s[p]?.heap_mb, 'bounded', SLACK.heapMb)
    // Embedded ClickHouse's per-thread stat files are opened as its pool threads first run part
    // of a query, and closed only with the thread: they climb towards 3 × threads for a while
    // after the threads have stopped growing. So they are judged by that bound, the threads by
    // the 10 % rule, and the descriptors by the rule without them.
    compare(`${p}_fds`, (s) => (s[p] ? s[p]!.fds - (s[p]!.fd_kinds?.thread_stats ?? 0) : null), 'bounded', SLACK.fds)
    // Older series (and processes /proc does not describe) have no thread count: not judged.
    if (used.some((s) => typeof s[p]?.threads === 'number')) {
      compare(`${p}_threads`, (s) => s[p]?.threads, 'bounded', SLACK.threads)
      const statFds = used.flatMap((s) => (s[p]?.fd_kinds && typeof s[p]?.threads === 'number' ? [[s[p]!.fd_kinds!.thread_stats, s[p]!.threads!]] : []))
      if (statFds.some(([n]) => n! > 0)) {
        const firstStat = median(head.map((s) => s[p]?.fd_kinds?.thread_stats).filter((v): v is number => typeof v === 'number'))
        const lastStat = median(tail.map((s) => s[p]?.fd_kinds?.thread_stats).filter((v): v is number => typeof v === 'number'))
        checks.push({
          name: `${p}_thread_stat_fds`, rule: 'per_thread', first: round(firstStat), last: round(lastStat),
          change_pct: firstStat && lastStat !== null ? round((lastStat / firstStat - 1) * 100) : null,
          slope_per_min: null,
          ok: statFds.every(([n, threads]) => n! <= 3 * threads!),
        })
      }
    }
  }
  const rssSlope = (p: 'core' | 'gateway' | 'soak') => checks.find((c) => c.name === `${p}_rss_mb`)?.slope_per_min ?? null
  return {
    flat: checks.every((c) => c.ok),
    warmup_s: warmup,
    samples_used: used.length,
    checks,
    rss_slope_mb_per_min: { core: rssSlope('core'), gateway: rssSlope('gateway'), soak: rssSlope('soak') },
  }
}
