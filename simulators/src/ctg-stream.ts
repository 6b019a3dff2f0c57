// A fetal monitor's central station sending CTG to a gateway: the trace (simulated, or a WFDB
// recording such as CTU-UHB's) cut into ORU^R01 messages of NA arrays (one a minute by
// default), sent over MLLP one by one, each waiting for its ACK as a central station does.
import { connect } from 'node:net'
import { MllpDeframer, encodeCtgOru, mllpFrame, parseHl7, physical, type CtgOruSignal, type WfdbRecord } from '@neva/firmware-adapters'
import type { CtgSignal } from '@neva/contracts'

export interface CtgTraceInput {
  hz: number
  /** Values in each signal's unit (bpm, toco); NaN is a gap; FHR 0 is the monitor's own "lost". */
  signals: Partial<Record<CtgSignal, ArrayLike<number>>>
}

/** FHR and UC of a WFDB record (signals described FHR and UC), as the monitor gave them. */
export function ctgTraceFromRecord(record: WfdbRecord): CtgTraceInput {
  const signals: CtgTraceInput['signals'] = {}
  for (const s of record.signals) {
    const name = s.spec.description.toUpperCase()
    const kind: CtgSignal | undefined = name === 'FHR' ? 'fhr' : name === 'UC' ? 'uc' : name === 'MHR' ? 'mhr' : undefined
    if (kind && s.samples) signals[kind] = Array.from(s.samples, (v) => physical(s.spec, v))
  }
  return { hz: record.header.samplingHz, signals }
}

export interface CtgMessagesOptions {
  patientId: string
  deviceId: string
  /** The first sample's time; default so that the trace ends now. */
  startTime?: number
  /** Seconds per message; default 60. */
  secondsPerMessage?: number
  /** Only the first seconds of the trace. */
  seconds?: number
  location?: { pointOfCare?: string; room?: string; bed?: string; facility?: string }
}

export function ctgOruMessages(trace: CtgTraceInput, o: CtgMessagesOptions): { messages: string[]; startTime: number; samples: number } {
  const lengths = Object.values(trace.signals).map((v) => v!.length)
  const total = Math.min(Math.min(...lengths), o.seconds === undefined ? Infinity : Math.round(o.seconds * trace.hz))
  const per = Math.round((o.secondsPerMessage ?? 60) * trace.hz)
  const startTime = o.startTime ?? Date.now() - Math.ceil((total * 1000) / trace.hz)
  const messages: string[] = []
  for (let i = 0, n = 0; i < total; i += per, n++) {
    const end = Math.min(total, i + per)
    const signals: CtgOruSignal[] = Object.entries(trace.signals).map(([signal, v]) => ({ signal: signal as CtgSignal, values: Array.prototype.slice.call(v, i, end) as number[] }))
    messages.push(encodeCtgOru({
      controlId: `${o.deviceId}-${startTime}-${n}`, time: startTime + Math.round((i * 1000) / trace.hz), rateHz: trace.hz,
      sendingApplication: o.deviceId, patientId: o.patientId, ...(o.location ? { location: o.location } : {}), signals,
    }))
  }
  return { messages, startTime, samples: total }
}

/** Sends messages over MLLP one at a time; resolves with each ACK's MSA-1. */
export async function sendCtgMllp(host: string, port: number, messages: readonly string[], timeoutMs = 15_000): Promise<string[]> {
  const socket = connect(port, host)
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const deframer = new MllpDeframer()
  const acks: string[] = []
  let waiting: (() => void) | undefined
  socket.on('data', (b) => {
    for (const m of deframer.push(b).messages) acks.push(parseHl7(m).message?.segment('MSA')?.value(1) ?? '?')
    waiting?.()
  })
  try {
    for (const [i, m] of messages.entries()) {
      socket.write(mllpFrame(m))
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ACK for CTG message ${i}`)), timeoutMs)
        waiting = () => { if (acks.length > i) { clearTimeout(timer); resolve() } }
        waiting()
      })
    }
  } finally {
    socket.end()
  }
  return acks
}
