// neva decode --protocol wfdb on the real recordings (../shared/fixtures/real, skipped when
// absent) and on a garbled header written here.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const REAL = resolve(ROOT, '../shared/fixtures/real')
const NEVA = join(ROOT, 'bin/neva')
const neva = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
  execFile(NEVA, args, { timeout: 60_000 }, (err, stdout, stderr) => done({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }))
})

test('neva decode --protocol wfdb: a summary with every checksum matching; --json for machines', { skip: !existsSync(REAL) && 'no real fixtures here' }, async () => {
  const text = await neva(['decode', '--protocol', 'wfdb', join(REAL, 'ecg/100.hea')])
  assert.equal(text.code, 0, text.stderr)
  assert.match(text.stdout, /record 100: 2 signal\(s\) at 360 Hz, 650000 samples each/)
  assert.match(text.stdout, /MLII .*checksum match, initial value match/)
  const json = await neva(['decode', '--protocol', 'wfdb', '--json', join(REAL, 'ctg/1001.hea')])
  assert.equal(json.code, 0, json.stderr)
  const s = JSON.parse(json.stdout) as { samplingHz: number; signals: Array<{ description: string; checksum: string }> }
  assert.equal(s.samplingHz, 4)
  assert.deepEqual(s.signals.map((g) => [g.description, g.checksum]), [['FHR', 'match'], ['UC', 'match']])
})

test('neva decode --protocol wfdb: a garbled header exits 1 with the code and the line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-wfdb-'))
  writeFileSync(join(dir, 'r.hea'), 'r 1 360 10\nr.dat sixteen\n')
  const out = await neva(['decode', '--protocol', 'wfdb', join(dir, 'r.hea')])
  assert.equal(out.code, 1)
  assert.match(out.stderr, /NEVA_WFDB_BAD_HEADER: line 2: format "sixteen"/)
})
