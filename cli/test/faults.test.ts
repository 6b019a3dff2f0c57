// The fault-injection harness, shortened: real gateway and core processes, SIGKILLs, an uplink
// outage and a core restart; every acknowledged reading must be in ClickHouse exactly once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const NEVA = fileURLToPath(new URL('../../bin/neva', import.meta.url))

test('neva sim faults: nothing acknowledged is lost or duplicated through kills, an outage and a core restart', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(NEVA, ['sim', 'faults', '--json', '--seconds', '14', '--kills', '3', '--outage-s', '2', '--core-restarts', '1', '--devices', '3', '--rate', '20', '--seed', 'ci'],
      { timeout: 240_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
  })
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>
  assert.equal(report.lost, 0, stderr)
  assert.equal(report.duplicates, 0, stderr)
  assert.ok(report.acked! > 1000, `acked ${report.acked}`)
  assert.equal(report.stored, report.acked)
  assert.equal(report.kills, 3)
  assert.match(stderr, /SIGKILL the gateway \(3\/3\)/)
  assert.match(stderr, /SIGKILL the core/)
  assert.match(stderr, /cut the uplink/)
  assert.equal(code, 0)
})
