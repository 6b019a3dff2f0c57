// Runs the test files with node's test runner (through tsx) and prints the real counts as the
// last line: "N passed, N failed, N skipped". Arguments narrow the files: `make test ARGS=edge`.
import { spawn } from 'node:child_process'
import { globSync } from 'node:fs'

const filters = process.argv.slice(2)
const files = globSync('{contracts,firmware-adapters,triage,analytics,edge,core,simulators,cli,e2e}/{src,test}/**/*.test.ts')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
if (files.length === 0) {
  console.log('no test files matched')
  console.log('0 passed, 1 failed')
  process.exit(1)
}

const args = [
  '--import', 'tsx',
  '--test',
  '--test-concurrency=2',
  '--test-timeout=180000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  ...files,
]
const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NEVA_TEST: '1' } })
const counts = { pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 }
let tail = ''
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk)
  tail = (tail + chunk.toString()).slice(-4000)
})
child.on('close', (code) => {
  for (const key of Object.keys(counts)) {
    const m = new RegExp(`^\\S*\\s*${key} (\\d+)\\s*$`, 'm').exec(tail)
    if (m) counts[key] = Number(m[1])
  }
  const failed = counts.fail + counts.cancelled + (code !== 0 && counts.fail + counts.cancelled === 0 ? 1 : 0)
  console.log(`${counts.pass} passed, ${failed} failed, ${counts.skipped + counts.todo} skipped`)
  process.exit(code ?? 1)
})
