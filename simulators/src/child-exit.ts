// A child process (socat, a gateway, a core) must not outlive the command that started it: when
// that command exits, however it exits, each child still running is sent SIGTERM (it then stops
// as an operator's signal would stop it). Signals that would end the command without an exit
// event (SIGINT, SIGTERM) are turned into an exit by exitOnSignals().
import type { ChildProcess } from 'node:child_process'

const live = new Set<ChildProcess>()
let hooked = false

/** Sends `child` SIGTERM if it is still running when this process exits. */
export function killOnExit(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (!hooked) {
    hooked = true
    process.once('exit', () => {
      for (const c of live) c.kill('SIGTERM')
    })
  }
}

/** Makes SIGINT and SIGTERM end this process through its exit event (130, 143), so killOnExit runs. */
export function exitOnSignals(): void {
  process.once('SIGINT', () => process.exit(130))
  process.once('SIGTERM', () => process.exit(143))
}
