// Versioned migrations: NNNN_name.sql files applied in order at start-up and recorded in
// schema_migrations. An applied migration is immutable: a changed file is refused.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClickHouse } from './connection.js'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url))

export interface Migration {
  version: number
  name: string
  checksum: string
  statements: string[]
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = []
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file)
    if (!m) continue
    const sql = readFileSync(join(dir, file), 'utf8')
    migrations.push({
      version: Number(m[1]),
      name: m[2]!,
      checksum: createHash('sha256').update(sql).digest('hex'),
      statements: splitStatements(sql),
    })
  }
  return migrations
}

/** Splits on `;` at the end of a line; comments-only fragments are dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0)
}

export interface MigrationReport {
  applied: number[]
  alreadyApplied: number[]
}

export async function migrate(ch: ClickHouse, migrations = loadMigrations()): Promise<MigrationReport> {
  await ch.client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC'))
      ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`,
  })
  const rs = await ch.client.query({
    query: 'SELECT version, checksum FROM schema_migrations FINAL ORDER BY version',
    format: 'JSONEachRow',
  })
  const done = new Map((await rs.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]))
  const report: MigrationReport = { applied: [], alreadyApplied: [] }
  for (const m of migrations) {
    const seen = done.get(m.version)
    if (seen !== undefined) {
      if (seen !== m.checksum) {
        throw new Error(`migration ${m.version}_${m.name} was changed after it was applied (checksum ${seen.slice(0, 12)}… → ${m.checksum.slice(0, 12)}…); add a new migration instead`)
      }
      report.alreadyApplied.push(m.version)
      continue
    }
    for (const statement of m.statements) {
      try {
        await ch.client.command({ query: statement })
      } catch (cause) {
        throw new Error(`migration ${m.version}_${m.name} failed: ${(cause as Error).message}`, { cause })
      }
    }
    await ch.client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum, applied_at: Date.now() }],
      format: 'JSONEachRow',
    })
    report.applied.push(m.version)
  }
  return report
}
