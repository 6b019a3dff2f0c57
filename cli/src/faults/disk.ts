// A disk that fills: the gateway's data directory on a small tmpfs of its own, filled to the last
// byte by a ballast file (as a runaway log would) and emptied again. Mounting needs root (or
// CAP_SYS_ADMIN); without it the harness says so and runs the other faults.
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface SmallDisk {
  path: string
  /** Writes a ballast file until the filesystem refuses (ENOSPC); returns the bytes written. */
  fill(): number
  /** Deletes the ballast. */
  release(): void
  unmount(): void
}

export function mountSmallDisk(dir: string, sizeMb: number): SmallDisk | { skipped: string } {
  const path = join(dir, 'disk')
  mkdirSync(path, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', path], { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (err) {
    return { skipped: `cannot mount a ${sizeMb} MB tmpfs (needs root): ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}` }
  }
  const ballast = join(path, 'ballast')
  return {
    path,
    fill() {
      const fd = openSync(ballast, 'a')
      let written = 0
      try {
        for (const size of [1 << 20, 1 << 12, 1]) {
          const chunk = Buffer.alloc(size, 0x2e)
          for (;;) {
            try {
              written += writeSync(fd, chunk)
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break
              throw err
            }
          }
        }
      } finally {
        closeSync(fd)
      }
      return written
    },
    release() {
      rmSync(ballast, { force: true })
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', path], { stdio: 'ignore' })
      } catch {
        // Already gone; nothing else to undo.
      }
    },
  }
}
