// There are no oximeter or ECG captures among the real device messages (../shared/fixtures/real
// holds HL7 and ASTM). What they do hold is real serial traffic of other devices: a port
// configured for an oximeter but wired to one of those must refuse all of it, with reasons,
// and never turn a byte of it into a reading. Skipped when the folder is absent.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decodeEcgMessage } from '../ecg/index.js'
import { decodeOximeterCapture } from './index.js'

const REAL = join(fileURLToPath(new URL('../../../', import.meta.url)), '../shared/fixtures/real')
const skip = existsSync(REAL) ? false : 'real fixtures absent (../shared/fixtures/real)'

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.md') ? [] : [path]
  })
}

test('real HL7 and ASTM traffic on an oximeter port is refused with reasons and offsets, never read as readings', { skip }, () => {
  const all = files(REAL)
  assert.ok(all.length > 10, `${all.length} files`)
  const options = { deviceId: 'ox-1', patientId: 'p-1', receivedTime: Date.UTC(2026, 10, 25, 12) }
  for (const path of all) {
    const bytes = readFileSync(path)
    const ascii = decodeOximeterCapture(bytes, 'ascii', options)
    assert.deepEqual(ascii.observations, [], path)
    assert.ok(ascii.problems.length > 0, path)
    for (const p of ascii.problems) {
      assert.ok(['NEVA_OXIMETER_NOT_A_RECORD', 'NEVA_OXIMETER_LINE_TOO_LONG'].includes(p.code), `${path}: ${p.code}`)
      assert.ok(p.offset! >= 0 && p.offset! < bytes.length)
    }
    const binary = decodeOximeterCapture(bytes, 'binary', options)
    assert.deepEqual(binary.observations, [], path)
    assert.ok(binary.problems.some((p) => p.code === 'NEVA_OXIMETER_SKIPPED_BYTES' && p.offset === 0), path)
    assert.equal(decodeEcgMessage('neva/v1/devices/t/ecg', bytes, options.receivedTime).problems.length, 1, path)
  }
})
