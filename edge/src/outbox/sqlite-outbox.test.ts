import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SqliteOutbox } from './sqlite-outbox.js'
import { obs, outboxConformance } from './conformance.js'

const dir = mkdtempSync(join(tmpdir(), 'neva-outbox-'))
outboxConformance('SqliteOutbox', { open: (key) => new SqliteOutbox({ path: join(dir, `${key}.db`), gatewayId: 'gw-test' }) })

test('SqliteOutbox: runs in WAL mode with full sync, and a resolved append is visible to another connection', async () => {
  const path = join(dir, 'wal.db')
  const o = new SqliteOutbox({ path, gatewayId: 'gw-test' })
  await o.append([obs('p', 90)])
  const other = new Database(path, { readonly: true })
  assert.equal((other.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal')
  assert.equal((other.prepare('SELECT count(*) AS n FROM items').get() as { n: number }).n, 1)
  other.close()
  await o.close()
})

test('SqliteOutbox: appends in one turn of the event loop share one commit', async () => {
  const o = new SqliteOutbox({ path: join(dir, 'group.db'), gatewayId: 'gw-test' })
  let commits = 0
  o.onAppend(() => commits++)
  await Promise.all(Array.from({ length: 50 }, (_, i) => o.append([obs('p', i)])))
  assert.equal(commits, 1)
  assert.equal(o.stats().depth, 50)
  await o.close()
})

test('SqliteOutbox: refuses a batch id from another outbox', async () => {
  const o = new SqliteOutbox({ path: join(dir, 'foreign.db'), gatewayId: 'gw-test' })
  assert.throws(() => o.ack('ffffffffffff-1'), /not from this outbox/)
  await o.close()
})
