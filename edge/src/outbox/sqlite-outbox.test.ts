import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SqliteOutbox } from './sqlite-outbox.js'
import { SQL } from './writer.js'
import { OutboxFullError, type OutboxEntry } from './types.js'
import { obs, outboxConformance } from './conformance.js'

const rejected = (i: number): OutboxEntry => ({ kind: 'rejected', body: { source: 'mqtt', origin: 'test', received_time: Date.now(), code: 'NEVA_DECODE_SCHEMA', reason: `bad ${i}`, payload: '{}' } })

const dir = mkdtempSync(join(tmpdir(), 'neva-outbox-'))
outboxConformance('SqliteOutbox', { open: (key) => new SqliteOutbox({ path: join(dir, `${key}.db`), gatewayId: 'gw-test' }) })

test('SqliteOutbox: runs in WAL mode with full sync, and a resolved append is visible to another connection', async () => {
  const path = join(dir, 'wal.db')
  const o = new SqliteOutbox({ path, gatewayId: 'gw-test' })
  await o.append([obs('p', 90)])
  const other = new Database(path, { readonly: true })
  assert.equal((other.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal')
  assert.equal((other.prepare('SELECT sum(n) AS n FROM items').get() as { n: number }).n, 1)
  other.close()
  await o.close()
})

test('SqliteOutbox: appends in one turn of the event loop share one commit', async () => {
  const o = new SqliteOutbox({ path: join(dir, 'group.db'), gatewayId: 'gw-test' })
  let commits = 0
  o.onAppend(() => commits++)
  const seqs = await Promise.all(Array.from({ length: 50 }, (_, i) => o.append(i % 10 === 0 ? [obs('p', i), rejected(i)] : [obs('p', i)])))
  assert.equal(commits, 1)
  assert.equal(o.stats().depth, 55)
  await o.close()
  // One row per kind for the whole group; every entry keeps the sequence number it was given.
  const db = new Database(join(dir, 'group.db'), { readonly: true })
  assert.deepEqual(db.prepare('SELECT kind, n FROM items ORDER BY first_seq').all(), [{ kind: 'observation', n: 50 }, { kind: 'rejected', n: 5 }])
  db.close()
  const again = new SqliteOutbox({ path: join(dir, 'group.db'), gatewayId: 'gw-test' })
  const batch = (await again.nextBatch(100))!
  assert.deepEqual(batch.observations.map((x) => [x.seq, x.value]), seqs.map((s, i) => [s![0], i]))
  assert.deepEqual(batch.rejected.map((x) => [x.seq, x.reason]), seqs.filter((_, i) => i % 10 === 0).map((s, k) => [s![1], `bad ${k * 10}`]))
  await again.close()
})

test('SqliteOutbox: refuses a batch id from another outbox', async () => {
  const o = new SqliteOutbox({ path: join(dir, 'foreign.db'), gatewayId: 'gw-test' })
  await assert.rejects(o.ack('ffffffffffff-1'), /not from this outbox/)
  await o.close()
})

test('SqliteOutbox: live readings go in the next batch ahead of an old backlog', async () => {
  // The window is wide enough that a loaded machine cannot age the live reading out of it
  // between its append and the batch (40 ms failed at a load average of 25).
  const o = new SqliteOutbox({ path: join(dir, 'live.db'), gatewayId: 'gw-test', liveWindowMs: 1500 })
  try {
    for (let i = 0; i < 50; i++) await o.append([obs('backlog', i)])
    await new Promise((r) => setTimeout(r, 1600))
    await o.append([obs('live', 99)])
    const batch = (await o.nextBatch(10))!
    assert.equal(batch.observations.length, 10)
    assert.deepEqual(batch.observations.filter((x) => x.patient_id === 'live').map((x) => x.value), [99])
    // The rest of the batch is the oldest backlog, in order.
    assert.deepEqual(batch.observations.filter((x) => x.patient_id === 'backlog').map((x) => x.value), [0, 1, 2, 3, 4, 5, 6, 7, 8])
  } finally {
    await o.close()
  }
})

test('SqliteOutbox: after an outage, what arrives since the recovery goes first, then old refusals, then old readings', async () => {
  const o = new SqliteOutbox({ path: join(dir, 'recovery.db'), gatewayId: 'gw-test' })
  for (let i = 0; i < 3; i++) await o.append([obs('old', i)])
  await o.append([rejected(0)])
  await new Promise((r) => setTimeout(r, 20))
  // Readings that arrive while the backlog drains keep arriving: each batch takes them first.
  const recovered = Date.now()
  await o.append([obs('new', 100)])
  const order: string[] = []
  for (let b = await o.nextBatch(1, undefined, recovered); b; b = await o.nextBatch(1, undefined, recovered)) {
    order.push(...b.observations.map((x) => `${x.patient_id}:${x.value}`), ...b.rejected.map((x) => x.reason))
    await o.ack(b.id)
    if (order.length === 2) await o.append([obs('new', 101)])
  }
  assert.deepEqual(order, ['new:100', 'bad 0', 'new:101', 'old:0', 'old:1', 'old:2'])
  await o.close()
})

test('SqliteOutbox: at its disk budget appends are refused, never shed, and resume once drained', async () => {
  const o = new SqliteOutbox({ path: join(dir, 'budget.db'), gatewayId: 'gw-test', maxBytes: 1024 * 1024, rejectedMaxBytes: 1024 * 1024 })
  const big = (i: number) => ({ kind: 'rejected' as const, body: { source: 'mqtt' as const, origin: 'x', received_time: 1, code: 'C', reason: 'r', payload: 'x'.repeat(60_000) + i } })
  let refused: unknown
  for (let i = 0; i < 40 && !refused; i++) {
    await o.append([big(i)]).catch((err: unknown) => { refused = err })
  }
  assert.ok(refused instanceof OutboxFullError, 'refused at the budget')
  assert.match((refused as Error).message, /disk budget/)
  const before = o.stats()
  assert.equal(before.full, true)
  assert.ok(before.refusedFull >= 1)
  // Everything accepted before is still there.
  const accepted = before.depth
  let delivered = 0
  for (let b = await o.nextBatch(100, 256 * 1024); b; b = await o.nextBatch(100, 256 * 1024)) {
    delivered += b.rejected.length
    await o.ack(b.id)
  }
  assert.equal(delivered, accepted)
  assert.deepEqual((await o.append([obs('p', 1)]))?.length, 1)
  assert.equal(o.stats().full, false)
  await o.close()
})

test('SqliteOutbox: no statement of the writer scans the whole items table', async () => {
  // A full scan reads every stored body: with a large backlog that made forming a batch take 150 ms.
  const path = join(dir, 'plans.db')
  const o = new SqliteOutbox({ path, gatewayId: 'gw-test' })
  await o.append(Array.from({ length: 100 }, (_, i) => obs('p', i)))
  await o.close()
  const db = new Database(path, { readonly: true })
  // Realistic parameters: the planner's choice depends on them.
  const params = (name: string, sql: string): unknown[] =>
    name === 'live' || name === 'liveUrgent' ? [Date.now() - 1000, 5000] : Array.from(sql.matchAll(/\?/g), () => 5000)
  for (const [name, sql] of Object.entries(SQL)) {
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params(name, sql)) as Array<{ detail: string }>).map((r) => r.detail)
    assert.ok(!plan.some((d) => /^SCAN items\b(?! USING INDEX items_pending\b)/.test(d)), `${name}: ${plan.join(' | ')}`)
    assert.ok(!plan.some((d) => d.includes('TEMP B-TREE')), `${name} sorts: ${plan.join(' | ')}`)
  }
  db.close()
})

test('SqliteOutbox: a message identity is remembered for the window by arrival, whatever its device time', async () => {
  const path = join(dir, 'window.db')
  const open = () => new SqliteOutbox({ path, gatewayId: 'gw-test', dedupWindowMs: 60_000 })
  // Readings a device buffered for a day and sent late: the device time is old, the arrival new.
  const late = { device: 'amb-1', time: Date.now() - 86_400_000, hash: 'late' }
  let o = open()
  await o.append([obs('p', 90)], late)
  await o.close()
  // An identity older than the window by both clocks, as if stored long ago.
  const db = new Database(path)
  const old = { device: 'amb-1', time: Date.now() - 7_200_000, hash: 'old' }
  db.prepare('INSERT INTO seen (t, device, hash, at_ms) VALUES (?, ?, ?, ?)').run(old.time, old.device, old.hash, Date.now() - 7_200_000)
  db.close()
  // Reopening prunes with the first commit.
  o = open()
  assert.equal((await o.append([obs('p', 1)]))?.length, 1)
  assert.equal(await o.append([obs('p', 90)], late), null, 'a late message resent within the window is dropped')
  assert.equal((await o.append([obs('p', 91)], old))?.length, 1, 'an identity past the window is forgotten')
  await o.close()
})

test('SqliteOutbox: an outbox with the first layout of seen is upgraded', async () => {
  const path = join(dir, 'old-seen.db')
  await new SqliteOutbox({ path, gatewayId: 'gw-test' }).close()
  const db = new Database(path)
  db.exec('DROP TABLE seen; CREATE TABLE seen (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL) WITHOUT ROWID')
  db.close()
  const o = new SqliteOutbox({ path, gatewayId: 'gw-test' })
  const key = { device: 'd', time: Date.now(), hash: 'h' }
  assert.equal((await o.append([obs('p', 90)], key))?.length, 1)
  assert.equal(await o.append([obs('p', 90)], key), null)
  await o.close()
})

test('SqliteOutbox: lab results, waveform chunks, alarms and transports come back in a batch with their sequence numbers, after a restart too', async () => {
  const path = join(dir, 'kinds.db')
  const o = new SqliteOutbox({ path, gatewayId: 'gw-test' })
  const lab: OutboxEntry = {
    kind: 'lab_result',
    body: { device_id: 'an-1', source: 'astm', order_id: null, patient_id: 'p', test_code: 'K', loinc: '2823-3', value: '4.1', numeric_value: 4.1, unit: 'mmol/L', reference_range: '3.5-5.1', abnormal_flag: 'N', status: 'F', result_time: null, received_time: 1, comments: [] },
  }
  const wave: OutboxEntry = {
    kind: 'waveform',
    body: { device_id: 'tab-1', patient_id: 'p', lead: 'V1', mdc_code: 131331, start_time: 1, sample_rate_hz: 500, resolution_uv: 2.5, samples: [1, -2, 3], received_time: 2 },
  }
  const alarm: OutboxEntry = {
    kind: 'alarm',
    body: {
      alarm_id: 'mon-1/a-1', device_id: 'mon-1', source: 'hl7v2', patient_id: null, ward: 'ICU', room: null, bed: '3', facility: null, event_code: 196670,
      event_name: 'MDC_EVT_LO', event_text: 'SpO2 low', source_code: 150456, source_name: 'MDC_PULS_OXIM_SAT_O2', alert_type: 'physiological', priority: 'high',
      state: 'active', phase: 'start', alarm_state: 'active', inactivation_state: 'enabled', value: 85, unit: '%', limit_low: 90, limit_high: null, device_time: null, received_time: 3,
    },
  }
  const transport: OutboxEntry = { kind: 'transport', body: { unit: 'amb-1', patient_id: 'p', destination_site: 'city-1', state: 'en_route', eta: 9, updated_time: 4, received_time: 5 } }
  const seqs = await o.append([obs('p', 90), lab, wave, alarm, transport])
  await o.close()
  const again = new SqliteOutbox({ path, gatewayId: 'gw-test' })
  const batch = (await again.nextBatch(10))!
  assert.deepEqual(batch.labResults, [{ gateway_id: 'gw-test', seq: seqs![1], ...lab.body }])
  assert.deepEqual(batch.waveforms, [{ gateway_id: 'gw-test', seq: seqs![2], ...wave.body }])
  assert.deepEqual(batch.alarms, [{ gateway_id: 'gw-test', seq: seqs![3], ...alarm.body }])
  assert.deepEqual(batch.transports, [{ gateway_id: 'gw-test', seq: seqs![4], ...transport.body }])
  assert.equal(batch.observations.length, 1)
  await again.close()
})
