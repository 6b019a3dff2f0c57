// The fault-injection harness, shortened: real gateway and core processes, SIGKILLs of both, a
// core stopped and restarted, an uplink outage, the gateway's clock an hour ahead and its disk
// full (when this machine lets the test mount a tmpfs); every acknowledged reading (MQTT) and
// message (HL7 over MLLP) must be in ClickHouse exactly once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const NEVA = fileURLToPath(new URL('../../bin/neva', import.meta.url))

// Its own limit: each restart of the gateway or the core is seconds on a quiet machine, tens of seconds on a busy one.
test('neva sim faults: nothing acknowledged is lost or duplicated through kills, restarts, an outage, a clock jump and a full disk', { timeout: 600_000 }, async (t) => {
  // Its own temporary directory, to see that a run that passed leaves nothing behind in it.
  const tmp = mkdtempSync(join(tmpdir(), 'neva-faults-test-'))
  t.after(() => rmSync(tmp, { recursive: true, force: true }))
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(NEVA, ['sim', 'faults', '--json', '--seconds', '16', '--kills', '3', '--outage-s', '2', '--core-restarts', '2', '--core-kills', '1',
      '--disk-full-s', '1', '--clock-jump-h', '1', '--devices', '3', '--rate', '20', '--beds', '2', '--seed', 'ci'],
    { timeout: 480_000, env: { ...process.env, TMPDIR: tmp } }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
  })
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!)
  assert.equal(report.lost, 0, stderr)
  assert.equal(report.duplicates, 0, stderr)
  assert.ok(report.acked > 1000, `acked ${report.acked}`)
  assert.ok(report.stored >= report.acked, 'stored also holds readings whose PUBACK the kill swallowed')
  assert.equal(report.kills, 3)
  assert.equal(report.hl7.lost, 0, stderr)
  assert.equal(report.hl7.duplicates, 0, stderr)
  assert.ok(report.hl7.acked > 10, `HL7 acked ${report.hl7.acked}`)
  assert.match(stderr, /SIGKILL the gateway \(3\/3\)/)
  assert.match(stderr, /SIGKILL the core, then restart it \(1\/2\)/)
  assert.match(stderr, /SIGTERM the core, then restart it \(2\/2\)/)
  assert.match(stderr, /cut the uplink/)
  if (!report.clock_jump.startsWith('skipped')) assert.match(report.clock_jump, /^\+1 h/)
  if (report.disk_full.mode === 'tmpfs') {
    // The devices were refused, not acknowledged: MQTT connections closed, HL7 AE; and the log says why.
    assert.ok(report.disk_full.mqtt_closes + report.disk_full.hl7_ae > 0, JSON.stringify(report.disk_full))
    assert.match(report.disk_full.logged, /disk is full/)
  }
  assert.equal(code, 0)
  assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('neva-faults-')), [], 'a run that passed removes its directory')
  assert.equal(report.dir, undefined, 'and names none')
})
