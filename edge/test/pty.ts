// For the serial tests: socat joining two pseudo-terminals at dir/a and dir/b (the same as
// simulators/src/pty.ts, which the edge does not depend on); stopping it pulls the cable. And the
// device's end opened as a real serial port.
import { spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { SerialPort } from 'serialport'

export async function until(what: string, check: () => boolean, timeoutMs = 20_000, show: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${JSON.stringify(show())}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export async function ptyPair(dir: string): Promise<{ a: string; b: string; stop(): Promise<void> }> {
  const a = join(dir, 'a')
  const b = join(dir, 'b')
  const socat = spawn('/usr/bin/socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' })
  const exited = new Promise((r) => socat.once('exit', r))
  await until('socat links', () => existsSync(a) && existsSync(b))
  return {
    a,
    b,
    async stop() {
      socat.kill('SIGTERM')
      await exited
      for (const link of [a, b]) rmSync(link, { force: true })
    },
  }
}

/** Opens a pty end as the device would (9600 baud); its errors are the test's to observe, not thrown. */
export async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())))
  port.on('error', () => {})
  return port
}
