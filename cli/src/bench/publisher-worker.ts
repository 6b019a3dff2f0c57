// Device load for the outbox benchmark, on its own thread so that publishing does not take the
// gateway's event loop: MQTT clients publishing QoS 1 vitals, timing each PUBACK.
import { parentPort, workerData } from 'node:worker_threads'
import mqtt, { type MqttClient } from 'mqtt'
import { vitalsTopic } from '@neva/contracts'

export interface PublisherJob {
  brokerUrl: string
  devices: number
  readingsPerMessage: number
  /** saturate: keep `window` messages in flight per device; rate: `messagesPerSecond` in total. */
  mode: 'saturate' | 'rate'
  window?: number
  messagesPerSecond?: number
  /** Stop after this long, or when told 'stop'. */
  seconds?: number
}

export interface PublisherResult {
  messages: number
  readings: number
  elapsedMs: number
  /** PUBACK latency of each acknowledged message, ms. */
  latencies: number[]
}

const VITALS = ['heart_rate', 'pulse_rate', 'spo2', 'respiratory_rate', 'nibp_systolic', 'nibp_diastolic', 'nibp_mean', 'temperature', 'consciousness', 'o2_flow'] as const

async function main(job: PublisherJob): Promise<PublisherResult> {
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: job.devices }, (_, d) => mqtt.connectAsync(job.brokerUrl, { clientId: `bench-${d}-${process.pid}`, reconnectPeriod: 0 })),
  )
  const last = new Array<number>(job.devices).fill(0)
  const result: PublisherResult = { messages: 0, readings: 0, elapsedMs: 0, latencies: [] }
  let stopping = false
  parentPort!.on('message', (m) => { if (m === 'stop') stopping = true })
  const started = performance.now()
  const deadline = job.seconds ? started + job.seconds * 1000 : Infinity

  const publishOne = async (d: number) => {
    const time = (last[d] = Math.max(Date.now(), last[d]! + 1))
    const readings = VITALS.slice(0, job.readingsPerMessage).map((vital, i) => ({
      vital,
      value: vital === 'temperature' ? 36.6 : vital === 'consciousness' ? 'A' : vital === 'o2_flow' ? 0 : 60 + ((time + i) % 30),
    }))
    const t0 = performance.now()
    await clients[d]!.publishAsync(vitalsTopic(`bench-dev-${d}`), JSON.stringify({ patient_id: `bench.p${d}`, time, readings }), { qos: 1 })
    result.latencies.push(performance.now() - t0)
    result.messages++
    result.readings += readings.length
  }
  const done = () => stopping || performance.now() >= deadline

  if (job.mode === 'saturate') {
    await Promise.all(clients.flatMap((_, d) => Array.from({ length: job.window ?? 8 }, async () => {
      while (!done()) await publishOne(d)
    })))
  } else {
    const interval = 1000 / job.messagesPerSecond!
    const inflight = new Set<Promise<void>>()
    let next = performance.now()
    let d = 0
    while (!done()) {
      const p: Promise<void> = publishOne(d).finally(() => inflight.delete(p))
      inflight.add(p)
      d = (d + 1) % job.devices
      next += interval
      const wait = next - performance.now()
      if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    }
    await Promise.all(inflight)
  }
  result.elapsedMs = performance.now() - started
  await Promise.all(clients.map((c) => c.endAsync()))
  return result
}

if (parentPort && workerData) {
  parentPort.postMessage(await main(workerData as PublisherJob))
}
