// What a process holds, read from /proc (Linux): resident memory, threads and open file
// descriptors by kind. The soak reads it for the core, the gateway and itself every interval.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** Open descriptors by what they point at. */
export interface FdKinds {
  sockets: number
  pipes: number
  /** anon_inode: eventfd, eventpoll, io_uring, timerfd… (libuv, ClickHouse's pools). */
  anon: number
  /**
   * /proc/…/task/TID/{stat,schedstat,io}: embedded ClickHouse opens these for each of its threads
   * that runs part of a query (its per-thread accounting) and keeps them while the thread lives.
   */
  thread_stats: number
  /** Everything else: data files, logs, /dev/null… */
  files: number
}

export interface ProcessSample {
  rss_mb: number
  fds: number
  threads?: number
  fd_kinds?: FdKinds
  /** V8's heap in use (MB), from the process's own metrics, where it has them (core, gateway). */
  heap_mb?: number
}

const THREAD_STAT = /^\/proc\/(?:\d+\/task\/\d+|thread-self)\/(?:stat|schedstat|io)$/

/** Sorts descriptor targets (readlink of /proc/PID/fd/N) into kinds. */
export function fdKinds(targets: string[]): FdKinds {
  const k: FdKinds = { sockets: 0, pipes: 0, anon: 0, thread_stats: 0, files: 0 }
  for (const t of targets) {
    if (t.startsWith('socket:')) k.sockets++
    else if (t.startsWith('pipe:')) k.pipes++
    else if (t.startsWith('anon_inode:')) k.anon++
    else if (THREAD_STAT.test(t)) k.thread_stats++
    else k.files++
  }
  return k
}

/** RSS, threads and open descriptors of `pid`; missing (null) when the process is gone or /proc is not there. */
export function sampleProcess(pid: number | undefined): ProcessSample | null {
  if (pid === undefined) return null
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1])
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1])
    const targets: string[] = []
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        targets.push(readlinkSync(`/proc/${pid}/fd/${fd}`))
      } catch {
        // Closed between the listing and the read: not open any more.
      }
    }
    if (!Number.isFinite(kb)) return null
    return { rss_mb: Math.round(kb / 102.4) / 10, fds: targets.length, ...(Number.isFinite(threads) ? { threads } : {}), fd_kinds: fdKinds(targets) }
  } catch {
    return null
  }
}
