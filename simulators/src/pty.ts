// A pair of connected pseudo-terminals made by socat: a device simulator opens one end, the
// gateway's serial source the other, as if a null-modem cable joined two serial ports. Stopping
// the pair and starting it again on the same paths is unplugging and replugging the cable.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killOnExit } from './child-exit.js'

export interface PtyPair {
  /** Path of one end (a symlink to /dev/pts/N). */
  a: string
  /** Path of the other end. */
  b: string
  /** The folder holding both links; pass it to startPtyPair again to replug on the same paths. */
  dir: string
  /** Stops socat: both ends close (the cable is pulled) and the links disappear. */
  stop(): Promise<void>
}

export interface PtyPairOptions {
  /** Where the links go; default a fresh temporary folder. */
  dir?: string
  /** How long to wait for socat to create both links. Default 5 s. */
  timeoutMs?: number
  /** The socat binary. Default /usr/bin/socat when it exists, else `socat` on PATH. */
  socat?: string
}

export async function startPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'neva-pty-'))
  const a = join(dir, 'a')
  const b = join(dir, 'b')
  // Links left by a socat that was killed hard would make the new one fail.
  for (const link of [a, b]) rmSync(link, { force: true })
  const bin = options.socat ?? (existsSync('/usr/bin/socat') ? '/usr/bin/socat' : 'socat')
  const socat: ChildProcess = spawn(bin, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] })
  killOnExit(socat)
  let stderr = ''
  socat.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-2000) })
  let exited: string | undefined
  const exit = new Promise<void>((resolve) => {
    socat.once('exit', (code, signal) => {
      exited = `socat exited (${signal ?? code})`
      resolve()
    })
    socat.once('error', (err) => {
      exited = `socat could not start: ${err.message}`
      resolve()
    })
  })

  const deadline = Date.now() + (options.timeoutMs ?? 5000)
  while (!(existsSync(a) && existsSync(b))) {
    if (exited) throw new Error(`${exited}: ${stderr.trim()}`)
    if (Date.now() > deadline) {
      socat.kill('SIGKILL')
      await exit
      throw new Error(`socat did not create ${a} and ${b} within ${options.timeoutMs ?? 5000} ms: ${stderr.trim()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }

  return {
    a,
    b,
    dir,
    async stop() {
      if (!exited) socat.kill('SIGTERM')
      await exit
      for (const link of [a, b]) rmSync(link, { force: true })
    },
  }
}
