// The soak's verdict: is the run flat? The series (one sample an interval, the first dropped as
// warm-up when there are enough) is cut in thirds; the last third's mean is compared with the
// first's. Throughput must stay within ±10 %; latency, memory and descriptors may not grow by more
// than 10 % (with a small absolute allowance, so that 40 → 46 ms or 31 → 35 descriptors is not
// called growth). Memory's least-squares slope is reported beside it.

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
  /** RSS (MB) and open descriptors of each process; null when it could not be read. */
  core: { rss_mb: number; fds: number } | null
  gateway: { rss_mb: number; fds: number } | null
  soak: { rss_mb: number; fds: number } | null
}

export interface Check {
  name: string
  first: number | null
  last: number | null
  /** last / first − 1, in per cent. */
  change_pct: number | null
  ok: boolean
}

export interface SoakVerdict {
  flat: boolean
  samples_used: number
  checks: Check[]
  /** Least-squares slope of each process's RSS, MB per minute, over the samples used. */
  rss_slope_mb_per_min: { core: number | null; gateway: number | null; soak: number | null }
}

const TOLERANCE = 0.1
/** Absolute allowances under which a rise is noise, not growth. */
const SLACK = { ms: 20, mb: 10, fds: 8 }

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length
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

export function soakVerdict(series: SoakSample[]): SoakVerdict {
  const used = series.length >= 4 ? series.slice(1) : series
  const third = Math.max(1, Math.floor(used.length / 3))
  const head = used.slice(0, third)
  const tail = used.slice(-third)
  const checks: Check[] = []
  const compare = (name: string, pick: (s: SoakSample) => number | null | undefined, kind: 'steady' | 'grows', slack: number) => {
    const values = (xs: SoakSample[]) => xs.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    const first = mean(values(head))
    const last = mean(values(tail))
    if (first === null || last === null) {
      checks.push({ name, first: round(first), last: round(last), change_pct: null, ok: false })
      return
    }
    const change = first === 0 ? (last === 0 ? 0 : Infinity) : last / first - 1
    const ok = kind === 'steady'
      ? Math.abs(change) <= TOLERANCE
      : last <= first * (1 + TOLERANCE) || last - first <= slack
    checks.push({ name, first: round(first), last: round(last), change_pct: Number.isFinite(change) ? round(change * 100) : null, ok })
  }
  compare('stored_per_s', (s) => s.stored_per_s, 'steady', 0)
  compare('board_readings_per_s', (s) => s.board_readings_per_s, 'steady', 0)
  compare('p99_ms', (s) => s.p99_ms, 'grows', SLACK.ms)
  for (const p of ['core', 'gateway', 'soak'] as const) {
    compare(`${p}_rss_mb`, (s) => s[p]?.rss_mb, 'grows', SLACK.mb)
    compare(`${p}_fds`, (s) => s[p]?.fds, 'grows', SLACK.fds)
  }
  const rssSlope = (p: 'core' | 'gateway' | 'soak') =>
    round(slope(used.flatMap((s) => (s[p] ? [[s.t_s / 60, s[p]!.rss_mb] as [number, number]] : []))), 2)
  return {
    flat: checks.every((c) => c.ok),
    samples_used: used.length,
    checks,
    rss_slope_mb_per_min: { core: rssSlope('core'), gateway: rssSlope('gateway'), soak: rssSlope('soak') },
  }
}
