// neva model keygen and neva model sign, run as an operator would: the signature written beside
// the manifest verifies under the printed public key, and not once the manifest is changed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parsePublicKey, verifyManifestSignature } from '@neva/edge'

const neva = fileURLToPath(new URL('../../bin/neva', import.meta.url))
const manifestPath = fileURLToPath(new URL('../../edge/models/triage-lr-1.json', import.meta.url))

test('keygen writes a private key only its owner reads; sign writes a signature that verifies under the public key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-sign-'))
  execFileSync(neva, ['model', 'keygen', '--out', dir])
  assert.equal(statSync(join(dir, 'model-signing.key')).mode & 0o777, 0o600)
  assert.throws(() => execFileSync(neva, ['model', 'keygen', '--out', dir], { stdio: 'pipe' }), /exists/)
  const out = execFileSync(neva, ['model', 'sign', '--key', join(dir, 'model-signing.key'), manifestPath, '--out', join(dir, 'm.sig')]).toString()
  assert.match(out, /signed triage-lr@1/)
  const key = parsePublicKey(readFileSync(join(dir, 'model-signing.pub'), 'utf8').trim())
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { thresholds: { red: number } }
  const signature = JSON.parse(readFileSync(join(dir, 'm.sig'), 'utf8')) as unknown
  assert.match(verifyManifestSignature(manifest, signature, [key]), /^[0-9a-f]{16}$/)
  // Key order does not matter (canonical JSON); content does.
  assert.doesNotThrow(() => verifyManifestSignature(Object.fromEntries(Object.entries(manifest).reverse()), signature, [key]))
  assert.throws(() => verifyManifestSignature({ ...manifest, thresholds: { ...manifest.thresholds, red: 0.99 } }, signature, [key]), /does not verify/)
})

test('sign also signs the deterioration model (checked as a gateway checks it), and refuses it with the wrong bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neva-sign-risk-'))
  execFileSync(neva, ['model', 'keygen', '--out', dir])
  const riskPath = fileURLToPath(new URL('../../edge/models/deterioration-xgb-1.json', import.meta.url))
  const out = execFileSync(neva, ['model', 'sign', '--key', join(dir, 'model-signing.key'), riskPath, '--out', join(dir, 'r.sig')]).toString()
  assert.match(out, /signed deterioration-xgb@1/)
  const key = parsePublicKey(readFileSync(join(dir, 'model-signing.pub'), 'utf8').trim())
  const manifest = JSON.parse(readFileSync(riskPath, 'utf8')) as { min_vitals: number; file: string }
  const signature = JSON.parse(readFileSync(join(dir, 'r.sig'), 'utf8')) as unknown
  assert.match(verifyManifestSignature(manifest, signature, [key]), /^[0-9a-f]{16}$/)
  assert.throws(() => verifyManifestSignature({ ...manifest, min_vitals: 0 }, signature, [key]), /does not verify/)
  // A manifest whose ONNX file is another is not signed.
  writeFileSync(join(dir, 'other.json'), JSON.stringify(manifest))
  writeFileSync(join(dir, manifest.file), 'not the model')
  assert.throws(() => execFileSync(neva, ['model', 'sign', '--key', join(dir, 'model-signing.key'), join(dir, 'other.json')], { stdio: 'pipe' }), /hash to/)
})
