// Plays a replay plan in real time scaled by `timeScale`: each bed's monitor over MLLP, the lab
// analyzer on its serial line, the ventilators' OPC UA server. Device times are the recorded
// ones; only when a message leaves depends on the scale. Resolves once every device has
// delivered what it sent (ACKs from the gateway; OPC UA values held long enough to be sampled).
import type { AstmAnalyzer } from '../astm-analyzer.js'
import { MllpSender } from '../mllp-sender.js'
import type { ReplayPath, ReplayPlan } from './plan.js'
import type { ReplayVentilators } from './ventilators.js'

export interface ReplayRunOptions {
  mllp: { host: string; port: number }
  analyzer: AstmAnalyzer
  ventilators: ReplayVentilators
  /** Recorded seconds per real second (3600: an hour a second). */
  timeScale: number
  /** Shortest real time between two writes of one OPC UA variable, so the gateway samples each. Default 400 ms. */
  opcuaGapMs?: number
  signal?: AbortSignal
  /** Called about once a second. */
  onProgress?: (p: { minute: number; steps: number; done: number }) => void
}

export interface ReplayRunReport {
  sent: Record<ReplayPath, number>
  hl7: { messages: number; acked: number; refused: number; resent: number }
  astm: { messages: number; acked: number; resent: number }
  opcua: { writes: number }
  seconds: number
  aborted: boolean
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (ms <= 0 || signal?.aborted) return resolve()
  const t = setTimeout(resolve, ms)
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
})

export async function runPhysionet2012Replay(plan: ReplayPlan, options: ReplayRunOptions): Promise<ReplayRunReport> {
  const started = Date.now()
  const gap = options.opcuaGapMs ?? 400
  const monitors = new Map<string, MllpSender>()
  const ventChains = new Map<string, Promise<void>>()
  const lastWrite = new Map<string, number>()
  const sent: Record<ReplayPath, number> = { hl7: 0, astm: 0, opcua: 0 }
  let hl7Messages = 0
  let astmMessages = 0
  let lastProgress = 0
  let done = 0
  for (const step of plan.steps) {
    if (options.signal?.aborted) break
    await sleep(started + (step.minute * 60_000) / options.timeScale - Date.now(), options.signal)
    if (options.signal?.aborted) break
    if (step.hl7) {
      let monitor = monitors.get(step.patientId)
      // A recorded message is not resent after an AE or AR (it would be refused again): the count says so.
      if (!monitor) monitors.set(step.patientId, (monitor = new MllpSender({ ...options.mllp, maxErrorResends: 0, reconnectMaxMs: 250 })))
      monitor.send(step.hl7.controlId, step.hl7.message)
      hl7Messages++
      sent.hl7 += step.hl7.readings
    }
    if (step.astm) {
      options.analyzer.submit(step.patientId, step.astm.specimenId, step.astm.results, step.astm.time)
      astmMessages++
      sent.astm += step.astm.results.length
    }
    for (const w of step.opcua) {
      const key = `${step.patientId}.${w.variable}`
      sent.opcua++
      // Per variable, one write at a time with a gap: the gateway samples every value.
      const chain = (ventChains.get(key) ?? Promise.resolve()).then(async () => {
        await sleep((lastWrite.get(key) ?? 0) + gap - Date.now())
        options.ventilators.write(step.patientId, w.variable, w.value, w.time)
        lastWrite.set(key, Date.now())
      })
      ventChains.set(key, chain)
    }
    done++
    if (options.onProgress && Date.now() - lastProgress >= 1000) {
      lastProgress = Date.now()
      options.onProgress({ minute: step.minute, steps: plan.steps.length, done })
    }
  }
  await Promise.all(ventChains.values())
  // The last values stay a while: sampled and published before anyone stops listening.
  await sleep(gap * 2)
  await Promise.race([Promise.all([...monitors.values()].map((m) => m.idle())), new Promise((r) => options.signal?.addEventListener('abort', r, { once: true }))])
  while (!options.signal?.aborted && options.analyzer.stats().queued > 0) await sleep(50, options.signal)
  options.onProgress?.({ minute: plan.steps.at(-1)?.minute ?? 0, steps: plan.steps.length, done })
  const m = [...monitors.values()].map((x) => x.counters)
  await Promise.all([...monitors.values()].map((x) => x.close()))
  const a = options.analyzer.stats()
  return {
    sent,
    hl7: { messages: hl7Messages, acked: sum(m.map((x) => x.acked)), refused: sum(m.map((x) => x.rejected)), resent: sum(m.map((x) => x.resent)) },
    astm: { messages: astmMessages, acked: a.acked, resent: a.resent },
    opcua: { writes: options.ventilators.writes },
    seconds: Math.round((Date.now() - started) / 100) / 10,
    aborted: options.signal?.aborted ?? false,
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
