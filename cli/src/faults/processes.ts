// Child processes for the fault harness: the real `neva core` and `neva edge`, started through
// bin/neva, killed with real signals.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { killOnExit } from '@neva/simulators'

const NEVA = fileURLToPath(new URL('../../../bin/neva', import.meta.url))

export interface Managed {
  child: ChildProcess
  /** The first match of `ready` in the process's stderr. */
  ready: RegExpExecArray
}

/** Starts `neva ARGS`, logging to `logFile`, and resolves once stderr matches `ready`. */
export function startNeva(args: string[], env: NodeJS.ProcessEnv, logFile: string, ready: RegExp, timeoutMs = 30_000): Promise<Managed> {
  const log = createWriteStream(logFile, { flags: 'a' })
  const child = spawn(NEVA, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  killOnExit(child)
  child.stdout!.pipe(log, { end: false })
  return new Promise((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => fail(new Error(`neva ${args[0]} did not start within ${timeoutMs} ms (log: ${logFile})`)), timeoutMs)
    const onData = (chunk: Buffer) => {
      log.write(chunk)
      seen += chunk.toString()
      const m = ready.exec(seen)
      if (m) {
        clearTimeout(timer)
        child.off('exit', onExit)
        resolve({ child, ready: m })
      }
    }
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`neva ${args[0]} exited (${signal ?? code}) before it was ready (log: ${logFile})`))
    function fail(err: Error) {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(err)
    }
    child.stderr!.on('data', onData)
    child.once('exit', onExit)
  })
}

/** Sends `signal` and resolves when the process has exited. */
export function stop(child: ChildProcess, signal: NodeJS.Signals, timeoutMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill(signal)
  })
}

/** A port free on loopback now (for a child that takes its port from a config file). */
export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((r) => probe.close(() => r()))
  return port
}
