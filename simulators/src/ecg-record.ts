// A real ECG recording (WFDB) streamed through the ambulance's ECG path: the tablet's MQTT topic,
// one chunk a second of every lead the record has, at the record's own rate. Samples go as the
// record's integers (ADC − baseline) with the resolution its gain gives, so what is stored can be
// compared with the recording sample for sample.
import mqtt from 'mqtt'
import { MAX_WAVEFORM_SAMPLES } from '@neva/contracts'
import { encodeEcgMessage, type WfdbRecord } from '@neva/firmware-adapters'
import { monitorId } from './ambulance.js'

export interface EcgRecordLead {
  /** The record's description of the signal (MLII, v1, vx). */
  lead: string
  /** ADC − baseline, as stored. */
  samples: Int16Array
  resolutionUv: number
}

/**
 * The leads of a record as the ECG path carries them, or why it cannot: a signal that is not in
 * a voltage unit, a gain whose µV per count is not exact in the chunk's nanovolts, a value that
 * does not fit 16 bits after the baseline. Signals whose file was not read are left out (listed).
 */
export function ecgRecordLeads(record: WfdbRecord): { leads: EcgRecordLead[]; skipped: string[] } {
  const leads: EcgRecordLead[] = []
  const skipped: string[] = []
  for (const s of record.signals) {
    const name = s.spec.description
    if (!s.samples) { skipped.push(`${name}: its file was not read`); continue }
    const perUnit = { mV: 1000, uV: 1, µV: 1, V: 1_000_000 }[s.spec.units]
    if (perUnit === undefined) throw new RangeError(`${name}: unit ${s.spec.units} is not a voltage; the ECG path carries voltages`)
    const resolutionUv = perUnit / s.spec.gain
    const nv = resolutionUv * 1000
    if (Math.abs(nv - Math.round(nv)) > 1e-9 * nv) throw new RangeError(`${name}: ${s.spec.gain} adu/${s.spec.units} is ${nv} nV per count, not exact in the chunk's whole nanovolts`)
    const out = new Int16Array(s.samples.length)
    for (let i = 0; i < out.length; i++) {
      const v = s.samples[i]! - s.spec.baseline
      if (v < -32768 || v > 32767) throw new RangeError(`${name}: sample ${i} is ${v} after the baseline, beyond 16 bits`)
      out[i] = v
    }
    leads.push({ lead: name, samples: out, resolutionUv: Math.round(nv) / 1000 })
  }
  if (leads.length === 0) throw new RangeError('no lead of the record could be read')
  if (new Set(leads.map((l) => l.resolutionUv)).size > 1) throw new RangeError('leads of different gains cannot share a chunk')
  return { leads, skipped }
}

export interface EcgRecordOptions {
  brokerUrl: string
  ambulanceId: string
  patientId: string
  record: WfdbRecord
  /** Stream only the first seconds. */
  seconds?: number
  /** Recording seconds per real second; Infinity sends as fast as the gateway acknowledges. */
  timeScale?: number
  /** Start time of the first sample (epoch ms); default: now − the streamed duration. */
  startTime?: number
  username?: string
  password?: string
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer }
  signal?: AbortSignal
}

export interface EcgRecordReport {
  record: string
  leads: string[]
  skipped: string[]
  sampleRateHz: number
  samplesPerLead: number
  chunks: number
  unacknowledged: number
  startTime: number
  deviceId: string
}

export async function streamEcgRecord(o: EcgRecordOptions): Promise<EcgRecordReport> {
  const rate = o.record.header.samplingHz
  if (!Number.isInteger(rate) || rate < 1 || rate > MAX_WAVEFORM_SAMPLES) throw new RangeError(`sampling rate ${rate} Hz: the ECG path carries whole rates of 1–${MAX_WAVEFORM_SAMPLES} Hz`)
  const { leads, skipped } = ecgRecordLeads(o.record)
  const total = Math.min(o.record.samplesPerSignal, o.seconds === undefined ? Infinity : Math.round(o.seconds * rate))
  const startTime = o.startTime ?? Date.now() - Math.ceil((total * 1000) / rate)
  const deviceId = monitorId(o.patientId)
  const client = await mqtt.connectAsync(o.brokerUrl, {
    clientId: `${o.ambulanceId}-tablet-rec`, clean: true, reconnectPeriod: 500, connectTimeout: 5000,
    ...(o.username === undefined ? {} : { username: o.username, password: o.password }), ...o.tls,
  })
  const report: EcgRecordReport = { record: o.record.header.record, leads: leads.map((l) => l.lead), skipped, sampleRateHz: rate, samplesPerLead: total, chunks: 0, unacknowledged: 0, startTime, deviceId }
  const scale = o.timeScale ?? 1
  const began = Date.now()
  try {
    // One second of every lead per chunk; chunk k starts k seconds after the first sample.
    for (let at = 0, k = 0; at < total && !o.signal?.aborted; at += rate, k++) {
      const n = Math.min(rate, total - at)
      const chunk = { patientId: o.patientId, startTime: startTime + k * 1000, sampleRateHz: rate, resolutionUv: leads[0]!.resolutionUv, leads: Object.fromEntries(leads.map((l) => [l.lead, l.samples.subarray(at, at + n)])) }
      const m = encodeEcgMessage(deviceId, chunk, 'delta')
      try {
        await client.publishAsync(m.topic, m.payload, { qos: 1 })
        report.chunks++
      } catch {
        report.unacknowledged++
      }
      if (Number.isFinite(scale)) {
        const due = began + ((k + 1) * 1000) / scale
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
      }
    }
  } finally {
    await client.endAsync()
  }
  return report
}
