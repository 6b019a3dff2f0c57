// The settings guard in front of chdb's connection adapter: chdb sends clickhouse_settings as
// `SET k = 'v'; <query>` text, doubling quotes but not escaping backslashes, so a hostile value
// runs SQL in the core's own session. Through connectClickHouse no such value reaches chdb: it is
// refused before any SQL is sent, and nothing runs (the canary table is never created).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { SAFE_SETTING_VALUE, UnsafeSettingError, checkClickHouseSettings, connectClickHouse, dedupToken } from '@neva/analytics'

// The canary check lists every table: this store starts empty, not as a copy of the run's seed.
delete process.env.NEVA_TEST_CLICKHOUSE_SEED

const ch = await connectClickHouse({ path: mkdtempSync(join(tmpdir(), 'neva-settings-guard-')) })
after(() => ch.close())
await ch.client.command({ query: 'CREATE TABLE acks (id String) ENGINE = MergeTree ORDER BY id' })

const tables = async () =>
  (await (await ch.client.query({ query: 'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name', format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name)
const acks = async () => Number((await (await ch.client.query({ query: 'SELECT count() AS n FROM acks', format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n)

const CANARY = 'CREATE TABLE t (x UInt8) ENGINE=Log'
const HOSTILE = [
  `X\\';${CANARY};--`, // the finding: HL7 \E\ unescaped to a backslash, then a quote
  `X\\\\';${CANARY};--`,
  `X\\'';${CANARY};--`,
  `X\\`, // a trailing backslash swallows the closing quote
  `\\';${CANARY};SELECT '`,
  `X';${CANARY};--`,
  `X'\n;${CANARY};--`,
  `X\n${CANARY}`,
  `X;${CANARY}`,
  `X\0';${CANARY};--`,
  `X\u2019;${CANARY};--`, // unicode right single quote
  `X\u02bc';${CANARY};--`,
  `X\uff07;${CANARY};--`, // fullwidth apostrophe
  `X\`;${CANARY};--`,
  `X";${CANARY};--`,
  `X\r\n';${CANARY};--`,
  'ack:mon-1/17^MON-1^0123456789ABCDEF^EUI-64:nurse.ana', // a plain id that is still not a safe setting (^)
  'x'.repeat(257),
]

for (const value of HOSTILE) {
  test(`a hostile setting value is refused and runs nothing: ${JSON.stringify(value.slice(0, 40))}`, async () => {
    const before = await acks()
    for (const call of [
      () => ch.client.insert({ table: 'acks', values: [{ id: 'a' }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: value } }),
      () => ch.client.query({ query: 'SELECT 1', format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: value } }),
      () => ch.client.command({ query: 'SELECT 1', clickhouse_settings: { insert_deduplication_token: value } }),
      () => ch.client.exec({ query: 'SELECT 1', clickhouse_settings: { insert_deduplication_token: value } }),
    ]) {
      await assert.rejects(call, (err: Error) => err instanceof UnsafeSettingError && /NEVA_CLICKHOUSE_UNSAFE_SETTING/.test((err as UnsafeSettingError).code) && /insert_deduplication_token/.test(err.message))
    }
    assert.equal(await acks(), before, 'the refused insert stored nothing')
    assert.deepEqual(await tables(), ['acks'])
  })
}

test('a hostile setting name is refused', async () => {
  for (const name of [`a = 1; ${CANARY}; SET b`, "x'", 'a b', '1abc', '', 'é']) {
    await assert.rejects(() => ch.client.command({ query: 'SELECT 1', clickhouse_settings: { [name]: 1 } as Record<string, number> }), UnsafeSettingError)
  }
  assert.deepEqual(await tables(), ['acks'])
})

test('non-finite numbers and objects are refused; numbers, booleans and plain strings pass', async () => {
  assert.throws(() => checkClickHouseSettings({ max_threads: Number.NaN }), UnsafeSettingError)
  assert.throws(() => checkClickHouseSettings({ max_threads: Infinity }), UnsafeSettingError)
  assert.throws(() => checkClickHouseSettings({ x: { toString: () => `'; ${CANARY}` } }), UnsafeSettingError)
  assert.throws(() => checkClickHouseSettings({ x: [1] }), UnsafeSettingError)
  checkClickHouseSettings({ async_insert: 0, mutations_sync: '2', date_time_input_format: 'best_effort', insert_deduplication_token: '', b: true, prefer_column_name_to_alias: 1 })
  await ch.client.insert({ table: 'acks', values: [{ id: 'ok' }], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: dedupToken('ack', `X\\';${CANARY};--`, 'nurse'), async_insert: 0 } })
  assert.ok((await acks()) >= 1)
  assert.deepEqual(await tables(), ['acks'])
})

test('a deduplication token is hex whatever its parts, and the parts cannot collide through a separator', () => {
  const t = dedupToken('ack', `X\\';${CANARY};--\n\u2019\0`, 'nurse')
  assert.match(t, /^[0-9a-f]{64}$/)
  assert.match(t, SAFE_SETTING_VALUE)
  assert.notEqual(dedupToken('a:b', 'c'), dedupToken('a', 'b:c'))
  assert.equal(dedupToken('gw-1', 'b-1', 'observations'), dedupToken('gw-1', 'b-1', 'observations'))
})

test('property: any string as a setting value is either refused before chdb or harmless; the canary table never appears', async () => {
  // Strings built from the characters that matter to SQL text, plus anything unicode.
  const sqlish = fc.constantFrom('\\', "'", '"', '`', ';', '\n', '\r', '\0', ' ', '-', '\u2019', '\uff07', 'X', CANARY, '--', '/*', '*/', 'SET ', '=')
  const value = fc.oneof(fc.array(sqlish, { maxLength: 8 }).map((a) => a.join('')), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }))
  await fc.assert(
    fc.asyncProperty(value, async (v) => {
      let refused = false
      try {
        await ch.client.command({ query: 'SELECT 1', clickhouse_settings: { insert_deduplication_token: v } })
      } catch (err) {
        if (!(err instanceof UnsafeSettingError)) throw err
        refused = true
      }
      // Refused exactly when it is outside the safe pattern.
      assert.equal(refused, !SAFE_SETTING_VALUE.test(v))
    }),
    { numRuns: 300 },
  )
  assert.deepEqual(await tables(), ['acks'])
})
