// An ambulance: one monitor per patient on board, publishing vitals over MQTT (QoS 1) the way
// the topic convention in contracts/vitals-message.ts describes. A reading counts as published
// only when the gateway acknowledged it (PUBACK). With `ecg`, each monitor's 12-lead ECG goes
// out too, one chunk per tick on neva/v1/devices/{monitor}/ecg (firmware-adapters/src/ecg).
// With `transport`, the crew's tablet says where each patient is going on
// neva/v1/ambulances/{unit}/transport: en_route with an ETA that it re-estimates as the drive goes
// on, then arrived when the drive is over (or the run ends).
import mqtt from 'mqtt'
import { encodeEcgMessage, encodeVitalsMessage, type VitalsReadingInput } from '@neva/firmware-adapters'
import { MAX_WAVEFORM_SAMPLES, transportTopic, type TransportMessage, type TriageLevel } from '@neva/contracts'
import { SimulatedPatient, type PatientSpec, type VitalSample } from './physiology/patient.js'
import { EcgGenerator } from './physiology/ecg.js'

export interface AmbulanceOptions {
  brokerUrl: string
  ambulanceId: string
  patients: PatientSpec[]
  /** Real time between samples. Default 1000 ms (monitors report at 1 Hz). */
  intervalMs?: number
  /** Simulated seconds per real second; > 1 shows a deterioration within a short demo. */
  timeScale?: number
  /** Stop after this many samples per patient. */
  maxTicks?: number
  signal?: AbortSignal
  onSample?: (patientId: string, sample: VitalSample) => void
  /** Also stream each patient's 12-lead ECG (500 Hz), a chunk per tick at the current heart rate. */
  ecg?: boolean
  /** The tablet's MQTT login (the gateway's mqtt.credentials). */
  username?: string
  password?: string
  /** For mqtts://: the CA to trust, and a client certificate when the gateway requires one (PEM). */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer }
  /** The crew's transport messages: the site they drive to and how long the drive takes (real ms). */
  transport?: { destinationSite: string; driveMs: number; everyTicks?: number }
}

export interface AmbulanceReport {
  /** Readings the gateway acknowledged. */
  published: number
  messages: number
  /** Messages (vitals and ECG) that were never acknowledged (connection lost at the end). */
  unacknowledged: number
  /** ECG chunks the gateway acknowledged (0 without `ecg`). */
  ecgChunks: number
  /** Transport messages the gateway acknowledged (en_route updates and arrivals). */
  transports: number
  patients: Array<{ id: string; scenario: string; acuity: TriageLevel }>
}

const ECG_RATE_HZ = 500

export function monitorId(patientId: string): string {
  return `${patientId}-monitor`
}

/** Which readings a monitor sends on a given tick: fast vitals each second, NIBP and temperature less often. */
export function readingsFor(sample: VitalSample, tick: number, previous: VitalSample | undefined): VitalsReadingInput[] {
  const out: VitalsReadingInput[] = [
    { vital: 'heart_rate', value: sample.heart_rate },
    { vital: 'pulse_rate', value: sample.pulse_rate },
    { vital: 'spo2', value: sample.spo2 },
    { vital: 'respiratory_rate', value: sample.respiratory_rate },
  ]
  if (tick % 5 === 0) {
    out.push({ vital: 'nibp_systolic', value: sample.nibp_systolic })
    out.push({ vital: 'nibp_diastolic', value: sample.nibp_diastolic })
    out.push({ vital: 'nibp_mean', value: sample.nibp_mean })
  }
  if (tick % 10 === 0) out.push({ vital: 'temperature', value: sample.temperature })
  if (tick % 10 === 0 || sample.consciousness !== previous?.consciousness) out.push({ vital: 'consciousness', value: sample.consciousness })
  if (tick % 10 === 0 || sample.o2_flow !== previous?.o2_flow) out.push({ vital: 'o2_flow', value: sample.o2_flow })
  return out
}

export async function runAmbulance(options: AmbulanceOptions): Promise<AmbulanceReport> {
  const intervalMs = options.intervalMs ?? 1000
  const dt = (intervalMs / 1000) * (options.timeScale ?? 1)
  const client = await mqtt.connectAsync(options.brokerUrl, {
    clientId: `${options.ambulanceId}-tablet`,
    clean: true,
    reconnectPeriod: 500,
    connectTimeout: 5000,
    ...(options.username === undefined ? {} : { username: options.username, password: options.password }),
    ...options.tls,
  })
  const patients = options.patients.map((spec) => ({
    sim: new SimulatedPatient(spec),
    last: undefined as VitalSample | undefined,
    ecg: options.ecg ? new EcgGenerator({ seed: `${spec.seed}:${spec.id}` }) : undefined,
  }))
  const report: AmbulanceReport = { published: 0, messages: 0, unacknowledged: 0, ecgChunks: 0, transports: 0, patients: [] }
  // ECG time runs on its samples, so that chunks join end to end whatever the loop's jitter.
  const ecgPerTick = Math.min(MAX_WAVEFORM_SAMPLES, Math.max(1, Math.round((ECG_RATE_HZ * intervalMs) / 1000)))
  let ecgStart: number | undefined
  let ecgSamples = 0
  const inFlight = new Set<Promise<void>>()
  let tick = 0
  const publish = (topic: string, payload: Buffer, acknowledged: () => void) => {
    const sent: Promise<void> = client.publishAsync(topic, payload, { qos: 1 }).then(
      () => acknowledged(),
      () => { report.unacknowledged++ },
    ).finally(() => inFlight.delete(sent))
    inFlight.add(sent)
  }
  const drive = options.transport
  const departed = Date.now()
  let arrived = false
  const sendTransport = (state: TransportMessage['state'], now: number) => {
    for (const p of patients) {
      const message: TransportMessage = { patient_id: p.sim.spec.id, destination_site: drive!.destinationSite, state, eta: state === 'en_route' ? departed + drive!.driveMs : null, time: now }
      publish(transportTopic(options.ambulanceId), Buffer.from(JSON.stringify(message)), () => { report.transports++ })
    }
  }
  try {
    while (!options.signal?.aborted && (options.maxTicks === undefined || tick < options.maxTicks)) {
      const started = Date.now()
      if (drive && !arrived) {
        // The ETA holds still while the minutes left to it count down on the ED's board.
        if (started - departed >= drive.driveMs) { sendTransport('arrived', started); arrived = true }
        else if (tick % (drive.everyTicks ?? 10) === 0) sendTransport('en_route', started)
      }
      for (const p of patients) {
        const sample = p.sim.step(dt)
        options.onSample?.(p.sim.spec.id, sample)
        const readings = readingsFor(sample, tick, p.last)
        p.last = sample
        const { topic, payload } = encodeVitalsMessage(monitorId(p.sim.spec.id), { patient_id: p.sim.spec.id, time: started, readings })
        report.messages++
        publish(topic, payload, () => { report.published += readings.length })
        if (p.ecg) {
          ecgStart ??= started
          const leads = p.ecg.next(ecgPerTick, sample.heart_rate)
          const startTime = ecgStart + Math.round((ecgSamples * 1000) / ECG_RATE_HZ)
          const chunk = encodeEcgMessage(monitorId(p.sim.spec.id), { patientId: p.sim.spec.id, startTime, sampleRateHz: ECG_RATE_HZ, resolutionUv: p.ecg.resolutionUv, leads })
          publish(chunk.topic, chunk.payload, () => { report.ecgChunks++ })
        }
      }
      if (options.ecg) ecgSamples += ecgPerTick
      tick++
      await delay(Math.max(0, intervalMs - (Date.now() - started)), options.signal)
    }
    if (drive && !arrived) sendTransport('arrived', Date.now())
    await Promise.all(inFlight)
  } finally {
    await client.endAsync()
  }
  report.patients = patients.map((p) => ({ id: p.sim.spec.id, scenario: p.sim.spec.scenario, acuity: p.last?.acuity ?? 'green' }))
  return report
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
