// A model on disk: `<name>.json` (the manifest) with the ONNX file it names beside it.
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

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
