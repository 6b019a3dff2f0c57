// The outbox's writer thread: group commits of appends, and the batch operations, in order.
import { parentPort, workerData } from 'node:worker_threads'
import { OutboxWriter, type AppendRequest, type WriterOptions } from './writer.js'

export type WriterCall =
  | { type: 'append'; requests: AppendRequest[] }
  | { type: 'call'; id: number; op: 'nextBatch'; args: [max: number, maxBytes: number, liveSince: number | null] }
  | { type: 'call'; id: number; op: 'ack'; args: [batchId: number] }
  | { type: 'call'; id: number; op: 'deadLetter'; args: [batchId: number, batchName: string, reason: string] }
  | { type: 'close' }

const writer = new OutboxWriter(workerData as WriterOptions)
let pending: AppendRequest[] = []
let scheduled = false

function flush() {
  scheduled = false
  const group = pending
  pending = []
  if (group.length === 0) return
  const results = writer.commit(group)
  parentPort!.postMessage({ type: 'committed', results, full: writer.full })
}

parentPort!.on('message', (msg: WriterCall) => {
  switch (msg.type) {
    case 'append':
      pending.push(...msg.requests)
      if (!scheduled) {
        scheduled = true
        // Group commit: whatever arrives while this thread is busy committing shares the next fsync.
        setImmediate(flush)
      }
      return
    case 'call': {
      // Appends received before a call are committed before it runs.
      flush()
      try {
        const value =
          msg.op === 'nextBatch' ? writer.nextBatch(...msg.args)
          : msg.op === 'ack' ? writer.ack(...msg.args)
          : writer.deadLetter(...msg.args)
        parentPort!.postMessage({ type: 'reply', id: msg.id, value })
      } catch (err) {
        parentPort!.postMessage({ type: 'reply', id: msg.id, error: (err as Error).message })
      }
      return
    }
    case 'close':
      flush()
      writer.close()
      parentPort!.postMessage({ type: 'closed' })
      parentPort!.close()
      return
    default: {
      const unknown: never = msg
      throw new Error(`outbox writer: unknown message ${JSON.stringify(unknown)}`)
    }
  }
})
