// neva bench triage --risk runs the deterioration model through the pool and reports its ratio
// (the target is judged from full runs, not here).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const NEVA = fileURLToPath(new URL('../../bin/neva', import.meta.url))

test('neva bench triage --risk --json: a short run reports both rates and their ratio', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(NEVA, ['bench', 'triage', '--risk', '--json', '--rows', '300'], { timeout: 180_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
  })
  assert.equal(code, 0, stderr)
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>
  for (const k of ['risk_pool_per_s', 'risk_main_thread_per_s', 'ratio']) assert.ok(Number.isFinite(r[k]) && r[k]! > 0, `${k} = ${r[k]}`)
  assert.ok(Math.abs(r.ratio! - r.risk_pool_per_s! / r.risk_main_thread_per_s!) < 0.02, 'ratio is pool over main thread')
})
