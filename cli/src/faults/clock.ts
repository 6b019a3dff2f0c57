// The gateway's wall clock, made to jump: the gateway runs under libfaketime (Debian's faketime
// package), which reads its offset from a file on every call, so writing "+1h" there moves the
// gateway's Date.now() an hour ahead at once. The monotonic clock is left alone, as NTP or a
// wrong RTC would: timers keep their pace, timestamps jump.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1'

export interface GatewayClock {
  /** Environment for the gateway's process. */
  env: NodeJS.ProcessEnv
  /** Sets the offset from real time, e.g. "+1h" or "+0". */
  set(offset: string): void
}

export function gatewayClock(dir: string): GatewayClock | { skipped: string } {
  if (!existsSync(LIBRARY)) return { skipped: `libfaketime is not installed (${LIBRARY}; apt-get install faketime)` }
  const file = join(dir, 'gateway-clock')
  writeFileSync(file, '+0\n')
  return {
    env: { LD_PRELOAD: LIBRARY, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1', DONT_FAKE_MONOTONIC: '1' },
    set(offset) {
      writeFileSync(file, `${offset}\n`)
    },
  }
}
