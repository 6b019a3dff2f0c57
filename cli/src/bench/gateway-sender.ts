// Gateways for the analytics ingest benchmark, on their own thread as real gateways are on their
// own machines: the core's event loop then carries only the core's work (parse, validate, store),
// not the senders' serialization. Each round, every gateway posts its next batch at once.
import { parentPort, workerData } from 'node:worker_threads'
import { makeBatches } from '../commands/bench.js'

export interface SenderJob {
  url: string
  gateways: string[]
  batches: number
  batchSize: number
  start: number
}

const job = workerData as SenderJob
// Serialized up front: a gateway's outbox holds its batches before the uplink sends them.
const bodies = job.gateways.map((g) => makeBatches(g, job.batches, job.batchSize, job.start).map((b) => JSON.stringify(b)))

async function post(gateway: string, body: string): Promise<void> {
  const res = await fetch(`${job.url}/v1/ingest`, {
    // Each batch is sent once, so each is a first attempt, as nearly all are from a real gateway.
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer token-${gateway}`, 'neva-batch-attempt': '1' }, body,
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${text}`)
}

parentPort!.on('message', (round: number) => {
  Promise.all(job.gateways.map((g, i) => post(g, bodies[i]![round]!))).then(
    () => parentPort!.postMessage({ round }),
    (err: Error) => parentPort!.postMessage({ round, error: err.message }),
  )
})
parentPort!.postMessage('ready')
