// A chemistry analyzer on a serial port, speaking ASTM E1381/E1394 as the instrument: every
// `intervalMs` it runs a panel (glucose, lactate, potassium, sodium, creatinine, CRP) on one
// specimen per patient and sends the results with the E1381 sender machine of
// firmware-adapters. Results wait in its memory while the link is down and are sent again until
// acknowledged; stats() says how many were made, sent, acknowledged and resent.
//
// Values follow each patient's hidden severity from the physiology engine when patients are
// given (sepsis raises lactate, CRP and creatinine; haemorrhage lactate; a respiratory
// infection CRP), else a seeded generator makes plausible patients.
import { SerialPort } from 'serialport'
import { AstmSender, encodeAstmMessage, frameAstmMessage, type AstmResultInput, type AstmSenderOptions, type AstmSenderOutput } from '@neva/firmware-adapters'
import { SimulatedPatient, type PatientSpec } from './physiology/patient.js'
import { gaussian, seededRandom } from './physiology/random.js'
import { COHORT_SCENARIOS, type ScenarioName } from './physiology/scenarios.js'

export interface AstmAnalyzerOptions {
  /** The serial port (in a demo or test, one end of a socat pair from pty.ts). */
  path: string
  /** Default 9600, 8N1. */
  baudRate?: number
  /** Real time between runs. Default 60 s. */
  intervalMs?: number
  /** Patients whose physiology the values follow; without them, `randomPatients` synthetic ones. */
  patients?: PatientSpec[]
  /** Default 3. */
  randomPatients?: number
  seed?: number | string
  /** Simulated seconds per real second for the physiology. Default 1. */
  timeScale?: number
  /** H-5 sender name. */
  name?: string
  /** Prefix of specimen ids (O-3). Default 'LAB'. */
  specimenPrefix?: string
  /** Minutes east of UTC the analyzer's clock shows. Default 0. */
  utcOffsetMinutes?: number
  /** Messages held while the link is down; the oldest are dropped past it. Default 1000. */
  maxQueued?: number
  /** Stop making runs after this many messages. */
  maxMessages?: number
  sender?: AstmSenderOptions
  onDelivered?: (specimenId: string) => void
  /** Run the panel every `intervalMs` (default true); false: only what submit() is given is sent. */
  automatic?: boolean
}

export interface AstmAnalyzerStats {
  /** Messages made (one specimen each). */
  produced: number
  /** Messages whose transfer began at least once. */
  sent: number
  /** Messages the receiver acknowledged (their last frame ACKed). */
  acked: number
  /** Transfers of a message after its first (aborted, or the link dropped). */
  resent: number
  framesSent: number
  /** Frames sent again after a NAK. */
  framesResent: number
  /** Waiting to be sent or in transfer. */
  queued: number
  /** Dropped because the queue was full. */
  dropped: number
  connected: boolean
}

/** Test code, unit, reference range, decimals; the codes are those of the gateway's default table. */
const PANEL = [
  { code: 'GLU', unit: 'mmol/L', low: 3.9, high: 6.1, decimals: 1 },
  { code: 'LACT', unit: 'mmol/L', low: 0.5, high: 2.2, decimals: 1 },
  { code: 'K', unit: 'mmol/L', low: 3.5, high: 5.1, decimals: 1 },
  { code: 'NA', unit: 'mmol/L', low: 135, high: 145, decimals: 0 },
  { code: 'CREA', unit: 'umol/L', low: 59, high: 104, decimals: 0 },
  { code: 'CRP', unit: 'mg/L', low: 0, high: 5, decimals: 1 },
] as const
type Analyte = (typeof PANEL)[number]['code']

/** Change of each analyte at full severity, per scenario. */
const EFFECTS: Record<ScenarioName, Partial<Record<Analyte, number>>> = {
  stable: {},
  sepsis: { GLU: 4.5, LACT: 5, K: 0.6, NA: -4, CREA: 150, CRP: 250 },
  haemorrhage: { GLU: 2.5, LACT: 6, K: 0.4, NA: -2, CREA: 60, CRP: 5 },
  compensated_haemorrhage: { GLU: 2, LACT: 3, CREA: 40 },
  respiratory: { GLU: 1.5, LACT: 2, NA: -2, CREA: 20, CRP: 120 },
  copd_stable: { CRP: 6 },
  copd_exacerbation: { GLU: 1, LACT: 1, CRP: 60 },
}
const SPREAD: Record<Analyte, number> = { GLU: 0.5, LACT: 0.2, K: 0.25, NA: 2, CREA: 12, CRP: 1.2 }
const MEAN: Record<Analyte, number> = { GLU: 5.0, LACT: 1.0, K: 4.2, NA: 140, CREA: 75, CRP: 2 }

interface LabPatient {
  id: string
  /** Hidden state at this run: scenario and severity 0–1. */
  state(dtS: number): { scenario: ScenarioName; severity: number }
  baseline: Record<Analyte, number>
}

export class AstmAnalyzer {
  private readonly sender: AstmSender
  private readonly random: () => number
  private readonly patients: LabPatient[]
  private readonly attempts = new Map<string, number>()
  private readonly counts = { produced: 0, sent: 0, acked: 0, resent: 0, dropped: 0 }
  private port: SerialPort | undefined
  private opening = false
  private stopped = true
  private retryAt = 0
  private retryMs = 250
  private tickTimer: NodeJS.Timeout | undefined
  private runTimer: NodeJS.Timeout | undefined
  private specimen = 0
  readonly delivered: string[] = []

  constructor(private readonly options: AstmAnalyzerOptions) {
    this.sender = new AstmSender(options.sender)
    const seed = options.seed ?? 1
    this.random = seededRandom(`astm-analyzer:${seed}`)
    this.patients = options.patients?.length ? options.patients.map((spec) => this.fromPhysiology(spec)) : this.synthetic(options.randomPatients ?? 3)
  }

  async start(): Promise<void> {
    if (!this.stopped) return
    this.stopped = false
    this.tickTimer = setInterval(() => this.tick(), 100)
    if (this.options.automatic !== false) {
      this.run()
      this.runTimer = setInterval(() => this.run(), this.options.intervalMs ?? 60_000)
    }
    await this.open()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.tickTimer)
    clearInterval(this.runTimer)
    const port = this.port
    this.port = undefined
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
  }

  stats(): AstmAnalyzerStats {
    const s = this.sender.stats
    return { ...this.counts, framesSent: s.framesSent, framesResent: s.framesResent, queued: this.sender.queued, connected: this.port?.isOpen ?? false }
  }

  /** Runs the panel on one specimen per patient now; returns the specimen ids. */
  run(): string[] {
    const ids: string[] = []
    const now = Date.now()
    const dtS = ((this.options.intervalMs ?? 60_000) / 1000) * (this.options.timeScale ?? 1)
    for (const patient of this.patients) {
      if (this.options.maxMessages !== undefined && this.counts.produced >= this.options.maxMessages) break
      const id = `${this.options.specimenPrefix ?? 'LAB'}${String(++this.specimen).padStart(6, '0')}`
      const text = encodeAstmMessage({
        time: now,
        sender: this.options.name ?? 'Neva simulated chemistry analyzer',
        utcOffsetMinutes: this.options.utcOffsetMinutes ?? 0,
        patients: [{ patient_id: patient.id, orders: [{ order_id: id, results: this.panel(patient, patient.state(dtS), now) }] }],
      })
      this.counts.produced++
      ids.push(id)
      this.apply(this.sender.enqueue({ id, frames: frameAstmMessage(text) }, now))
      while (this.sender.queued > (this.options.maxQueued ?? 1000)) {
        const dropped = this.sender.dropOldest()
        if (dropped === undefined) break
        this.attempts.delete(dropped)
        this.counts.dropped++
      }
    }
    return ids
  }

  /** Sends results given by the caller (a replay of recorded ones) as one specimen's message. */
  submit(patientId: string, specimenId: string, results: AstmResultInput[], time = Date.now()): void {
    const text = encodeAstmMessage({
      time,
      sender: this.options.name ?? 'Neva simulated chemistry analyzer',
      utcOffsetMinutes: this.options.utcOffsetMinutes ?? 0,
      patients: [{ patient_id: patientId, orders: [{ order_id: specimenId, results }] }],
    })
    this.counts.produced++
    this.apply(this.sender.enqueue({ id: specimenId, frames: frameAstmMessage(text) }, Date.now()))
  }

  private panel(patient: LabPatient, state: { scenario: ScenarioName; severity: number }, now: number): AstmResultInput[] {
    const effects = EFFECTS[state.scenario]
    return PANEL.map((a) => {
      const mean = patient.baseline[a.code] + (effects[a.code] ?? 0) * state.severity
      // Analytical noise of a few percent.
      const value = Math.max(a.code === 'CRP' ? 0.1 : 0.1 * mean, mean * (1 + 0.02 * gaussian(this.random)))
      const shown = value.toFixed(a.decimals)
      const n = Number(shown)
      return {
        test_code: a.code,
        value: shown,
        unit: a.unit,
        reference_range: `${a.low}-${a.high}`,
        abnormal_flag: n > a.high ? 'H' : n < a.low ? 'L' : 'N',
        status: 'F',
        result_time: now,
      }
    })
  }

  private fromPhysiology(spec: PatientSpec): LabPatient {
    const sim = new SimulatedPatient(spec)
    return { id: spec.id, baseline: this.baseline(), state: (dtS) => ({ scenario: spec.scenario, severity: sim.step(dtS).severity }) }
  }

  private synthetic(n: number): LabPatient[] {
    return Array.from({ length: n }, (_, i) => {
      const scenario = COHORT_SCENARIOS[Math.floor(this.random() * COHORT_SCENARIOS.length)]!
      // Most patients are mildly ill; the severity wanders slowly.
      let severity = this.random() ** 2
      return {
        id: `lab-patient-${i + 1}`,
        baseline: this.baseline(),
        state: () => {
          severity = Math.min(1, Math.max(0, severity + 0.05 * gaussian(this.random)))
          return { scenario, severity }
        },
      }
    })
  }

  private baseline(): Record<Analyte, number> {
    const b = {} as Record<Analyte, number>
    for (const a of PANEL) b[a.code] = Math.max(a.code === 'CRP' ? 0.3 : 0, MEAN[a.code] + SPREAD[a.code] * gaussian(this.random))
    return b
  }

  private tick(): void {
    const now = Date.now()
    if (this.port?.isOpen) this.apply(this.sender.tick(now))
    else if (!this.opening && now >= this.retryAt) void this.open()
  }

  private async open(): Promise<void> {
    if (this.stopped || this.opening || this.port) return
    this.opening = true
    const port = new SerialPort({ path: this.options.path, baudRate: this.options.baudRate ?? 9600, autoOpen: false })
    port.on('error', () => {})
    const err = await new Promise<Error | null>((resolve) => port.open(resolve))
    this.opening = false
    if (err || this.stopped) {
      if (!err) port.close()
      this.retryAt = Date.now() + this.retryMs
      this.retryMs = Math.min(this.retryMs * 2, 2000)
      return
    }
    this.retryMs = 250
    this.port = port
    port.on('data', (chunk: Buffer) => this.apply(this.sender.receive(chunk, Date.now())))
    port.on('close', () => {
      if (this.port !== port) return
      // Cable pulled: the transfer in progress is lost; its message stays first in the queue.
      this.port = undefined
      this.sender.reset(Date.now())
      this.retryAt = Date.now() + this.retryMs
    })
    // Whatever the sender thought it wrote while the port was closed went nowhere: start over.
    this.sender.reset(Date.now())
    this.apply(this.sender.tick(Date.now()))
  }

  private apply(out: AstmSenderOutput): void {
    for (const id of out.started) {
      const n = (this.attempts.get(id) ?? 0) + 1
      this.attempts.set(id, n)
      if (n === 1) this.counts.sent++
      else this.counts.resent++
    }
    for (const id of out.delivered) {
      this.attempts.delete(id)
      this.counts.acked++
      this.delivered.push(id)
      if (this.delivered.length > 10_000) this.delivered.shift()
      this.options.onDelivered?.(id)
    }
    const port = this.port
    if (port?.isOpen) for (const bytes of out.write) port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  }
}
