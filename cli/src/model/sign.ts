// neva model keygen|sign: the offline key that triage and deterioration models are signed with. `keygen` writes an
// Ed25519 key pair (the private key readable by its owner only) and prints the public key to put
// in each gateway's models.trusted_keys; `sign` checks a manifest and its ONNX file, signs the
// manifest and writes the signature beside it (<manifest>.sig), which the upload carries.
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkRiskManifest, generateModelKeyPair, readModelFiles, signManifest, verifyModel } from '@neva/edge'
import { parse, UsageError } from '../args.js'

export const SIGN_USAGE = `       neva model keygen --out DIR            (writes DIR/model-signing.key and DIR/model-signing.pub)
       neva model sign --key FILE MANIFEST.json [--out FILE.sig]`

export async function keygenCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string' } })
  if (!values.out) throw new UsageError(`--out DIR is required\n${SIGN_USAGE}`)
  const keyFile = join(values.out, 'model-signing.key')
  if (existsSync(keyFile)) throw new UsageError(`${keyFile} exists: not overwriting a signing key`)
  const pair = generateModelKeyPair()
  writeFileSync(keyFile, pair.privateKeyPem, { mode: 0o600 })
  chmodSync(keyFile, 0o600)
  writeFileSync(join(values.out, 'model-signing.pub'), `${pair.publicKey}\n`)
  process.stdout.write(`private key ${keyFile} (keep it offline)\npublic key  ${pair.publicKey}\nkey id      ${pair.keyId}\nput the public key in each gateway's models.trusted_keys\n`)
  return 0
}

export async function signCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { key: { type: 'string' }, out: { type: 'string' } }, true)
  const [manifestPath] = positionals
  if (!values.key || !manifestPath || positionals.length > 1) throw new UsageError(`--key FILE and one MANIFEST.json are required\n${SIGN_USAGE}`)
  // Only a manifest that checks out (schema, and its ONNX file's hash) is signed: a triage model's,
  // or the deterioration model's (kind gradient_boosted_trees, checked as the gateway checks it).
  const { manifest, bytes } = await readModelFiles(manifestPath)
  const checked = (manifest as { kind?: unknown }).kind === 'gradient_boosted_trees' ? checkRisk(manifest, bytes) : verifyModel(manifest, bytes)
  let key: Buffer
  try {
    key = readFileSync(values.key)
  } catch (err) {
    throw new UsageError(`--key: ${(err as Error).message}`)
  }
  const signature = signManifest(checked, key)
  const out = values.out ?? `${manifestPath}.sig`
  writeFileSync(out, `${JSON.stringify(signature)}\n`)
  process.stdout.write(`signed ${checked.id}@${checked.version} (sha256 ${checked.sha256}) with key ${signature.key_id}\nwrote ${out}\n`)
  return 0
}

function checkRisk(manifest: unknown, bytes: Uint8Array): { id: string; version: string; sha256: string } {
  const m = checkRiskManifest(manifest)
  const actual = createHash('sha256').update(bytes).digest('hex')
  if (actual !== m.sha256) throw new UsageError(`${m.id}@${m.version}: the ONNX bytes hash to ${actual}, the manifest says sha256 ${m.sha256}`)
  return m
}
