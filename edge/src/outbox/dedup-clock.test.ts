// The outbox's memory of device messages when the gateway's wall clock jumps an hour ahead (neva
// sim faults found a resend stored twice): the writer, driven in this thread with Date.now moved.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteOutbox } from './sqlite-outbox.js'
import { OutboxWriter, type AppendRequest } from './writer.js'

const HOUR = 3_600_000
const options = (path: string) => ({ path, maxBytes: 2 ** 30, rejectedMaxBytes: 2 ** 20, dedupWindowMs: HOUR, liveWindowMs: 1000 })
const message = (id: number, time: number): AppendRequest => ({
  id, key: { device: 'dev-1', time, hash: `h${time}` },
  rows: [{ kind: 'observation', priority: 0, n: 1, body: JSON.stringify([{ time }]) }],
})

async function withClockAhead<T>(ms: number, fn: () => T): Promise<T> {
  const real = Date.now
  Date.now = () => real() + ms
  try {
    return fn()
  } finally {
    Date.now = real
  }
}

test('outbox writer: a message resent after the clock jumps an hour ahead is still a duplicate, also across a restart', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'neva-dedup-clock-')), 'outbox.db')
  await new SqliteOutbox({ path, gatewayId: 'gw-test' }).close()
  const sent = Date.now()
  let writer = new OutboxWriter(options(path))
  assert.ok('firstSeqs' in writer.commit([message(1, sent)])[0]!)
  writer.close()
  // The wall clock jumps; the gateway is restarted (a kill) and the device resends its message.
  await withClockAhead(HOUR + 5000, () => {
    writer = new OutboxWriter(options(path))
    assert.ok('firstSeqs' in writer.commit([message(2, sent + 1000)])[0]!, 'a new message is stored')
    assert.deepEqual(writer.commit([message(3, sent)])[0], { id: 3, duplicate: true })
    writer.close()
  })
})

test('outbox writer: identities past the window are still forgotten when the clock is steady', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'neva-dedup-clock-')), 'outbox.db')
  await new SqliteOutbox({ path, gatewayId: 'gw-test' }).close()
  const writer = new OutboxWriter({ ...options(path), dedupWindowMs: 50 })
  const t = Date.now()
  writer.commit([message(1, t)])
  await new Promise((r) => setTimeout(r, 120))
  // The first prune ran at the first commit; the next comes after a minute: force it.
  ;(writer as unknown as { lastPrune: number }).lastPrune = 0
  writer.commit([message(2, t + 1)])
  assert.ok('firstSeqs' in writer.commit([message(3, t)])[0]!, 'forgotten after the window')
  writer.close()
})
