// Device load for `neva bench pressure`, in its own process (so the gateway's RSS and event loop
// are its own): mqtt.js clients publishing QoS 1 vitals at an offered rate with at most `window`
// messages unacknowledged per connection, as a device flushing a backlog does. Each message is
// one reading with its own device time, so every acknowledged reading is one row to find.
import mqtt, { type MqttClient } from 'mqtt'
import { vitalsTopic } from '@neva/contracts'

export interface WindowJob {
  brokerUrl: string
  connections: number
  /** Messages offered per second, over all connections. */
  rate: number
  /** Unacknowledged messages allowed per connection. */
  window: number
  /** Stop offering after this long (in-flight messages are still waited for)... */
  seconds?: number
  /** ...or after this many messages per connection (a backlog). */
  messages?: number
  /** Device ids are `${prefix}-${n}`. */
  prefix: string
  /** Device time of the first message; the others follow 1 ms apart per device. */
  firstTime: number
  protocolVersion?: 4 | 5
}

export interface WindowResult {
  acknowledged: number
  offeredMs: number
  elapsedMs: number
  /** PUBACK latency percentiles, ms. */
  p50: number
  p99: number
  errors: number
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

export async function publishWindowed(job: WindowJob, stopped: () => boolean = () => false): Promise<WindowResult> {
  const clients: MqttClient[] = await Promise.all(Array.from({ length: job.connections }, (_, c) =>
    mqtt.connectAsync(job.brokerUrl, { clientId: `${job.prefix}-${c}-${process.pid}`, reconnectPeriod: 0, protocolVersion: job.protocolVersion ?? 4 })))
  const inflight = new Array<number>(job.connections).fill(0)
  const sent = new Array<number>(job.connections).fill(0)
  const latencies: number[] = []
  let acknowledged = 0
  let errors = 0
  const started = performance.now()
  const deadline = job.seconds !== undefined ? started + job.seconds * 1000 : Infinity
  const perConn = job.rate / job.connections
  const topics = clients.map((_, c) => vitalsTopic(`${job.prefix}-dev-${c}`))
  let wake: (() => void) | undefined
  const done = (c: number) => stopped() || performance.now() >= deadline || (job.messages !== undefined && sent[c]! >= job.messages)

  const publish = (c: number) => {
    const time = job.firstTime + sent[c]!
    sent[c]!++
    inflight[c]!++
    const payload = `{"patient_id":"${job.prefix}.p${c}","time":${time},"readings":[{"vital":"heart_rate","value":${60 + (time % 40)}}]}`
    const t0 = performance.now()
    clients[c]!.publish(topics[c]!, payload, { qos: 1 }, (err) => {
      inflight[c]!--
      if (err) errors++
      else {
        acknowledged++
        latencies.push(performance.now() - t0)
      }
      wake?.()
    })
  }

  // Paced: each connection may have sent rate × elapsed by now, and no more than `window` unanswered.
  while (clients.some((_, c) => !done(c))) {
    const due = ((performance.now() - started) / 1000) * perConn
    let progressed = false
    for (let c = 0; c < clients.length; c++) {
      while (!done(c) && sent[c]! < due && inflight[c]! < job.window) {
        publish(c)
        progressed = true
      }
    }
    if (!progressed) await new Promise<void>((resolve) => {
      wake = resolve
      setTimeout(resolve, 1)
    })
    else await new Promise((r) => setImmediate(r))
    wake = undefined
  }
  const offeredMs = performance.now() - started
  while (inflight.some((n) => n > 0)) await new Promise((r) => setTimeout(r, 5))
  const elapsedMs = performance.now() - started
  await Promise.all(clients.map((c) => c.endAsync()))
  const sorted = Float64Array.from(latencies).sort()
  return { acknowledged, offeredMs, elapsedMs, p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors }
}

if (process.send && process.argv[2] === 'child') {
  let stopping = false
  process.on('message', (m: { job?: WindowJob; stop?: boolean }) => {
    if (m.stop) stopping = true
    if (m.job) publishWindowed(m.job, () => stopping).then((r) => process.send!({ result: r }, () => process.exit(0)), (err: Error) => {
      process.send!({ error: err.message }, () => process.exit(1))
    })
  })
  process.send({ ready: true })
}
