// A bedside pulse oximeter on a serial port: Masimo-like ASCII records once a second, or Nonin
// Data Format #2 binary frames (75 a second, written a packet of 25 at a time, three a
// second). Values come from the physiology engine; seeded episodes of a sensor off the finger
// (no values, sensor-off status) and of motion artifact (values, flagged) break the trace the
// way real wards do. stats() says what was written, for tests to compare with what arrived.
import { SerialPort } from 'serialport'
import {
  MASIMO_EXCEPTION,
  NONIN_FRAMES_PER_PACKET,
  NONIN_FRAMES_PER_SECOND,
  NONIN_STATUS,
  encodeNoninPacket,
  encodeOximeterAsciiRecord,
  type OximeterFormat,
} from '@neva/firmware-adapters'
import { SimulatedPatient, type PatientSpec, type VitalSample } from './physiology/patient.js'
import { gaussian, seededRandom } from './physiology/random.js'

export interface OximeterSimOptions {
  /** The serial port to write to (in tests, one end of a socat pseudo-terminal pair). */
  path: string
  format: OximeterFormat
  patient: PatientSpec
  /** Seeds the episodes. Default: the patient's seed. */
  seed?: number | string
  /** Default 9600, what both vendors use. */
  baudRate?: number
  /** Simulated seconds per real second for the physiology. Default 1. */
  timeScale?: number
  /** Chance per second that the sensor comes off. Default 1/300. */
  sensorOffPerSecond?: number
  /** Chance per second that a motion-artifact episode starts. Default 1/120. */
  artifactPerSecond?: number
  /** Zone of the device clock, minutes east of UTC (ASCII records). Default 0. */
  utcOffsetMinutes?: number
  serialNumber?: string
}

export interface OximeterStats {
  format: OximeterFormat
  /** Bytes the port accepted. */
  bytes: number
  /** Records (ASCII) or packets (binary) written. */
  messages: number
  /** Messages that carried a value, per parameter. */
  values: { spo2: number; pulse_rate: number }
  /** Messages written during sensor-off episodes (no values) and artifact episodes (flagged values). */
  sensorOff: number
  artifact: number
  /** Write errors (port gone). */
  errors: number
}

type Episode = { kind: 'normal' | 'sensor_off' | 'artifact'; seconds: number }

export class SimulatedOximeter {
  private readonly port: SerialPort
  private readonly patient: SimulatedPatient
  private readonly random: () => number
  private readonly period: number
  private readonly counts: OximeterStats
  private timer: NodeJS.Timeout | undefined
  private started = 0
  private tickIndex = 0
  private sample: VitalSample | undefined
  private episode: Episode = { kind: 'normal', seconds: 0 }
  private perfusion = 3
  /** Pleth phase, in beats. */
  private phase = 0
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly options: OximeterSimOptions) {
    this.port = new SerialPort({ path: options.path, baudRate: options.baudRate ?? 9600, autoOpen: false })
    this.patient = new SimulatedPatient(options.patient)
    this.random = seededRandom(`oximeter:${options.seed ?? options.patient.seed}:${options.patient.id}`)
    this.period = options.format === 'ascii' ? 1000 : (1000 * NONIN_FRAMES_PER_PACKET) / NONIN_FRAMES_PER_SECOND
    this.counts = { format: options.format, bytes: 0, messages: 0, values: { spo2: 0, pulse_rate: 0 }, sensorOff: 0, artifact: 0, errors: 0 }
    // Write errors are counted by the write callbacks; without a listener they would crash.
    this.port.on('error', () => {})
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => this.port.open((err) => (err ? reject(err) : resolve())))
    this.started = Date.now()
    this.tick()
  }

  stats(): OximeterStats {
    return { ...this.counts, values: { ...this.counts.values } }
  }

  /** Stops writing, waits for what was written to leave, closes the port. */
  async stop(): Promise<OximeterStats> {
    clearTimeout(this.timer)
    this.timer = undefined
    await Promise.all(this.pending)
    if (this.port.isOpen) {
      await new Promise<void>((resolve) => this.port.drain(() => resolve()))
      await new Promise<void>((resolve) => this.port.close(() => resolve()))
    }
    return this.stats()
  }

  private tick(): void {
    const perSecond = Math.round(1000 / this.period)
    if (this.tickIndex % perSecond === 0) this.second()
    this.write(this.options.format === 'ascii' ? this.record() : this.packet(), this.episode.kind)
    this.tickIndex++
    // Scheduled against the start, so the rate does not drift with a slow event loop.
    const next = this.started + this.tickIndex * this.period
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - Date.now()))
  }

  /** Once a second: physiology moves on, episodes start and end. */
  private second(): void {
    this.sample = this.patient.step(this.options.timeScale ?? 1)
    this.perfusion = Math.min(10, Math.max(0.3, this.perfusion + 0.1 * gaussian(this.random)))
    if (this.episode.seconds > 0) this.episode.seconds--
    if (this.episode.seconds === 0) {
      const r = this.random()
      const off = this.options.sensorOffPerSecond ?? 1 / 300
      const artifact = this.options.artifactPerSecond ?? 1 / 120
      if (r < off) this.episode = { kind: 'sensor_off', seconds: 3 + Math.floor(this.random() * 8) }
      else if (r < off + artifact) this.episode = { kind: 'artifact', seconds: 2 + Math.floor(this.random() * 5) }
      else this.episode = { kind: 'normal', seconds: 0 }
    }
  }

  private record(): Uint8Array {
    const s = this.sample!
    const kind = this.episode.kind
    const off = kind === 'sensor_off'
    const line = encodeOximeterAsciiRecord(
      {
        time: Date.now(),
        spo2: off ? undefined : s.spo2,
        pulseRate: off ? undefined : s.pulse_rate,
        perfusionIndex: off ? undefined : this.perfusion,
        // Masimo reports motion as low signal IQ, in SET mode.
        exception: off ? MASIMO_EXCEPTION.SENSOR_OFF : kind === 'artifact' ? MASIMO_EXCEPTION.LOW_SIGNAL_IQ | MASIMO_EXCEPTION.SET_MODE : MASIMO_EXCEPTION.SET_MODE,
        serialNumber: this.options.serialNumber ?? '0000123456',
      },
      { utcOffsetMinutes: this.options.utcOffsetMinutes ?? 0 },
    )
    return Buffer.from(line, 'latin1')
  }

  private packet(): Uint8Array {
    const s = this.sample!
    const kind = this.episode.kind
    const off = kind === 'sensor_off'
    const pleth: number[] = []
    for (let f = 0; f < NONIN_FRAMES_PER_PACKET; f++) {
      this.phase += s.pulse_rate / 60 / NONIN_FRAMES_PER_SECOND
      const x = this.phase % 1
      // A quick upstroke and a slower fall with a dicrotic notch.
      const wave = x < 0.15 ? x / 0.15 : Math.exp(-(x - 0.15) * 4) * (1 + 0.1 * Math.sin(2 * Math.PI * (x - 0.15) * 2))
      pleth.push(off ? 128 : 80 + 120 * wave + (kind === 'artifact' ? 40 * gaussian(this.random) : 0))
    }
    const status = off
      ? NONIN_STATUS.SENSOR_DISCONNECT
      : kind === 'artifact'
        ? NONIN_STATUS.ARTIFACT | NONIN_STATUS.YELLOW_PERFUSION
        : NONIN_STATUS.GREEN_PERFUSION
    return encodeNoninPacket(off ? { status, pleth } : { spo2: s.spo2, pulseRate: s.pulse_rate, status, pleth })
  }

  private count(kind: Episode['kind']): void {
    this.counts.messages++
    if (kind === 'sensor_off') {
      this.counts.sensorOff++
      return
    }
    if (kind === 'artifact') this.counts.artifact++
    this.counts.values.spo2++
    this.counts.values.pulse_rate++
  }

  /** Counted once the port took the bytes: stats() is what was written. */
  private write(bytes: Uint8Array, kind: Episode['kind']): void {
    const done = new Promise<void>((resolve) => {
      this.port.write(Buffer.from(bytes), (err) => {
        if (err) {
          this.counts.errors++
        } else {
          this.counts.bytes += bytes.length
          this.count(kind)
        }
        resolve()
      })
    }).finally(() => this.pending.delete(done))
    this.pending.add(done)
  }
}
