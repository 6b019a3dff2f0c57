// The soak's /proc probe: descriptors sorted by kind, and this very process read.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fdKinds, sampleProcess } from '../src/soak/probe.js'

test('soak probe: descriptor targets sorted into sockets, pipes, anon inodes, ClickHouse thread stats and files', () => {
  assert.deepEqual(fdKinds([
    'socket:[123]', 'pipe:[9]', 'pipe:[10]', 'anon_inode:[eventfd]', 'anon_inode:[eventpoll]',
    '/proc/42/task/57/stat', '/proc/42/task/57/schedstat', '/proc/thread-self/io',
    '/tmp/x/clickhouse/store/abc/deduplication_log/log_1.txt', '/dev/null', '/proc/42/status',
  ]), { sockets: 1, pipes: 2, anon: 2, thread_stats: 3, files: 3 })
})

test('soak probe: this process has memory, threads and descriptors; a pid that is gone reads as null', () => {
  const s = sampleProcess(process.pid)
  assert.ok(s && s.rss_mb > 10 && s.fds > 3 && (s.threads ?? 0) >= 1, JSON.stringify(s))
  const k = s.fd_kinds!
  assert.equal(k.sockets + k.pipes + k.anon + k.thread_stats + k.files, s.fds)
  assert.equal(sampleProcess(2 ** 22 + 1), null)
  assert.equal(sampleProcess(undefined), null)
})
