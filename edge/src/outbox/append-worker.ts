// The outbox's writer thread: receives appends, commits what arrived together as one group.
import { parentPort, workerData } from 'node:worker_threads'
import { AppendWriter, type AppendRequest, type AppendWriterOptions } from './append-writer.js'

const writer = new AppendWriter(workerData as AppendWriterOptions)
let pending: AppendRequest[] = []
let scheduled = false

function flush() {
  scheduled = false
  const group = pending
  pending = []
  if (group.length === 0) return
  const results = writer.commit(group)
  parentPort!.postMessage({ type: 'committed', results, full: writer.full, bytes: writer.usedBytes() })
}

parentPort!.on('message', (msg: { type: 'append'; requests: AppendRequest[] } | { type: 'close' }) => {
  if (msg.type === 'close') {
    flush()
    writer.close()
    parentPort!.postMessage({ type: 'closed' })
    parentPort!.close()
    return
  }
  pending.push(...msg.requests)
  if (!scheduled) {
    scheduled = true
    // Group commit: whatever arrives while this thread is busy committing shares the next fsync.
    setImmediate(flush)
  }
})
