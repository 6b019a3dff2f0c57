// V8 heaps of the gateway's worker threads (the outbox's SQLite writer, the triage scorers): each
// is an isolate of its own, beside the main thread's heap that prom-client's defaults report, and
// together they are most of the gateway's RSS. Per process, like the process's RSS itself.
import type { Worker } from 'node:worker_threads'
import { Gauge, type Registry } from 'prom-client'

const workers = new Map<Worker, string>()

/** Reports `worker` under `name` until it exits (so the map holds only live threads). */
export function trackWorker(name: string, worker: Worker): void {
  workers.set(worker, name)
  worker.once('exit', () => workers.delete(worker))
}

export function registerWorkerHeaps(registry: Registry): void {
  new Gauge({
    name: 'neva_edge_worker_heap_bytes',
    help: "V8 heap of each worker thread of the process (outbox writer, triage), bytes: used and total (committed)",
    labelNames: ['worker', 'thread', 'of'] as const,
    registers: [registry],
    async collect() {
      this.reset()
      await Promise.all([...workers].map(async ([worker, name]) => {
        // A thread that is exiting has no heap to report: it is left out, not zero.
        const heap = await worker.getHeapStatistics().catch(() => undefined)
        if (!heap) return
        const labels = { worker: name, thread: String(worker.threadId) }
        this.set({ ...labels, of: 'used' }, heap.used_heap_size)
        this.set({ ...labels, of: 'total' }, heap.total_heap_size)
      }))
    },
  })
}
