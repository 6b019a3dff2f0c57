// A test run migrates one embedded store and names it in NEVA_TEST_CLICKHOUSE_SEED; every new
// embedded store in that run starts as a copy of it instead of applying every migration again
// (1–2 s a store, about a hundred stores a run: docs/testing.md, "Duration"). Only when the run is
// a test run (NEVA_TEST=1), only into an absent or empty directory, and the copy is still migrated:
// migrate() checks each applied migration's checksum and applies what the seed lacks.
import { cpSync, existsSync, readdirSync } from 'node:fs'
import { isAbsolute } from 'node:path'

export function seedEmbeddedStore(path: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const seed = env.NEVA_TEST_CLICKHOUSE_SEED
  if (env.NEVA_TEST !== '1' || !seed || !isAbsolute(seed) || !existsSync(seed)) return false
  if (existsSync(path) && readdirSync(path).length > 0) return false
  // The seed is a stopped store; its table links are relative (data/default/t -> ../../store/…).
  cpSync(seed, path, { recursive: true, verbatimSymlinks: true })
  return true
}
