// A setting given to one call stays with that call on the embedded engine: chdb's adapter sends
// `SET k = v; <query>`, which used to change the session for every later query. The leak let a
// batch's insert_deduplication_token turn a later insert into a "duplicate" (dropped), and an
// order store's prefer_column_name_to_alias broke another query's aliases (the surveys' reminders).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse } from '@neva/analytics'

const SETTINGS = "SELECT getSetting('prefer_column_name_to_alias') AS alias, getSetting('max_threads') AS threads, getSetting('insert_deduplication_token') AS token"

test('one call\'s settings do not reach the calls after it, nor those running beside it', async () => {
  const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-settings-')) })
  try {
    const read = async () => (await (await ch.client.query({ query: SETTINGS, format: 'JSONEachRow' })).json<Record<string, unknown>>())[0]
    const defaults = await read()
    const own = await (await ch.client.query({ query: SETTINGS, format: 'JSONEachRow', clickhouse_settings: { prefer_column_name_to_alias: 1, max_threads: 1, insert_deduplication_token: 'abc' } })).json<Record<string, unknown>>()
    assert.deepEqual(own[0], { alias: true, threads: 1, token: 'abc' }, 'the call itself runs with its settings')
    assert.deepEqual(await read(), defaults, 'the next call runs with the defaults')

    // Side by side: plain reads racing calls with settings all see the defaults.
    const mixed = await Promise.all(Array.from({ length: 24 }, (_, i) => i % 3 === 0
      ? ch.client.query({ query: 'SELECT 1', format: 'JSONEachRow', clickhouse_settings: { prefer_column_name_to_alias: 1, insert_deduplication_token: `t${i}` } }).then(() => defaults)
      : read()))
    for (const r of mixed) assert.deepEqual(r, defaults)

    // The data-loss form of the leak: an insert after a deduplicated one is stored.
    await ch.client.command({ query: 'CREATE TABLE kept (id String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100' })
    await ch.client.insert({ table: 'kept', values: [{ id: 'a' }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'batch-1' } })
    await ch.client.insert({ table: 'kept', values: [{ id: 'b' }], format: 'JSONEachRow' })
    const ids = (await (await ch.client.query({ query: 'SELECT id FROM kept ORDER BY id', format: 'JSONEachRow' })).json<{ id: string }>()).map((r) => r.id)
    assert.deepEqual(ids, ['a', 'b'])

    // A failing call with settings leaves nothing behind either.
    await assert.rejects(ch.client.query({ query: 'SELECT no_such_column', format: 'JSONEachRow', clickhouse_settings: { max_threads: 1 } }))
    assert.deepEqual(await read(), defaults)
  } finally {
    await ch.close()
  }
})
