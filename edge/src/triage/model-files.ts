// A model as it travels: `<name>.json` (the manifest) with the ONNX file it names beside it, and
// the check every receiver makes first (schema, then the bytes against the manifest's sha256).
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ModelManifest, validator } from '@neva/contracts'
import { EdgeErrorCode } from '../errors.js'

/** The model the gateway ships with (trained by `neva model train`, evaluated in its manifest). */
export const DEFAULT_MODEL_MANIFEST = fileURLToPath(new URL('../../models/triage-lr-1.json', import.meta.url))

export async function readModelFiles(manifestPath: string): Promise<{ manifest: unknown; bytes: Uint8Array }> {
  let manifest: unknown
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'))
  } catch (err) {
    throw new Error(`${manifestPath}: ${(err as Error).message}`, { cause: err })
  }
  const file = (manifest as { file?: unknown }).file
  if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) throw new Error(`${manifestPath}: "file" must name the ONNX file beside the manifest`)
  const bytes = new Uint8Array(await readFile(join(dirname(manifestPath), file)))
  return { manifest, bytes }
}

const manifestValidator = validator(ModelManifest)

export class ModelVerifyError extends Error {
  readonly code = EdgeErrorCode.NEVA_EDGE_MODEL_UNVERIFIED
}

/** The manifest if it matches the schema and the bytes hash to its sha256; throws otherwise. */
export function verifyModel(manifest: unknown, bytes: Uint8Array): ModelManifest {
  if (!manifestValidator.check(manifest)) throw new ModelVerifyError(`model manifest: ${manifestValidator.explain(manifest)}`)
  const actual = createHash('sha256').update(bytes).digest('hex')
  if (actual !== manifest.sha256) {
    throw new ModelVerifyError(`${manifest.id}@${manifest.version}: the ONNX bytes hash to ${actual}, the manifest says sha256 ${manifest.sha256}`)
  }
  return manifest
}

/** The deterioration model the gateway ships with (`neva model train --physionet2012`, docs/model-card.md). */
export const DEFAULT_RISK_MANIFEST = fileURLToPath(new URL('../../models/deterioration-xgb-1.json', import.meta.url))
