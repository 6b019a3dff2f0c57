// What a process holds, read from /proc (Linux): resident memory and open file descriptors. The
// soak reads it for the core, the gateway and itself every interval.
import { readdirSync, readFileSync } from 'node:fs'

export interface ProcessSample {
  rss_mb: number
  fds: number
}

/** RSS and open descriptors of `pid`; missing (null) when the process is gone or /proc is not there. */
export function sampleProcess(pid: number | undefined): ProcessSample | null {
  if (pid === undefined) return null
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1])
    const fds = readdirSync(`/proc/${pid}/fd`).length
    return Number.isFinite(kb) ? { rss_mb: Math.round(kb / 102.4) / 10, fds } : null
  } catch {
    return null
  }
}
