// A process using killOnExit and exitOnSignals, stopped by each signal an operator sends, takes
// its children with it; without them its child would be left running (the soak's orphans).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const MODULE = fileURLToPath(new URL('./child-exit.ts', import.meta.url))

/** A node process that starts `sleep` and prints its pid; with `guard`, through child-exit. */
function parent(guard: boolean) {
  const script = `
    import { spawn } from 'node:child_process'
    const { killOnExit, exitOnSignals } = await import(${JSON.stringify(MODULE)})
    const child = spawn('sleep', ['600'], { stdio: 'ignore' })
    if (${guard}) { killOnExit(child); exitOnSignals() }
    console.log(child.pid)
    setInterval(() => {}, 1000)
  `
  return spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
}

/** Running, not a zombie waiting for init to reap it. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'))
  } catch {
    return false
  }
}

async function run(guard: boolean, signal: NodeJS.Signals, waitMs: number): Promise<{ code: number | null; childAlive: boolean }> {
  const p = parent(guard)
  const pid = await new Promise<number>((resolve) => p.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))))
  const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)))
  p.kill(signal)
  const code = await exited
  const deadline = Date.now() + waitMs
  while (running(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  const childAlive = running(pid)
  if (childAlive) process.kill(pid, 'SIGKILL')
  return { code, childAlive }
}

test('SIGINT and SIGTERM end the process with 130 and 143 and stop its children', async () => {
  assert.deepEqual(await run(true, 'SIGINT', 5000), { code: 130, childAlive: false })
  assert.deepEqual(await run(true, 'SIGTERM', 5000), { code: 143, childAlive: false })
})

test('without them the child outlives a SIGTERM (what the test above guards against)', async () => {
  assert.equal((await run(false, 'SIGTERM', 500)).childAlive, true)
})
