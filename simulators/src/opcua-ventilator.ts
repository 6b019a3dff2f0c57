// A ventilator as an OPC UA server: one simulated patient on it, its breathing and oximetry
// variables updated every second from the physiology engine, stamped with source timestamps.
// Security mode None only (the gateway's OPC UA source speaks None for now). It can be stopped
// and started again on the same port, as a ventilator whose network stack restarts; the
// patient's course goes on where it was.
//
// Variables, in the server's own namespace (index 1), each a Double:
//   ns=1;s=Vent.RespRate      total respiratory rate      /min     MDC_RESP_RATE
//   ns=1;s=Vent.SetRate       mandatory (set) rate        /min     MDC_VENT_RESP_RATE
//   ns=1;s=Vent.FiO2          inspired O2 concentration   %        MDC_CONC_AWAY_O2_INSP
//   ns=1;s=Vent.PEEP          applied PEEP                cm[H2O]  MDC_VENT_PRESS_AWAY_END_EXP_POS
//   ns=1;s=Vent.PeakPressure  peak inspiratory pressure   cm[H2O]  MDC_VENT_PRESS_AWAY_MAX
//   ns=1;s=Vent.TidalVolume   delivered tidal volume      mL       MDC_VENT_VOL_TIDAL
//   ns=1;s=Vent.MinuteVolume  inspired minute volume      L/min    MDC_VENT_VOL_MINUTE_INSP
//   ns=1;s=Vent.EtCO2         end-tidal CO2               mm[Hg]   MDC_CONC_AWAY_CO2_ET
//   ns=1;s=Vent.SpO2          SpO2 (oximetry probe)       %        MDC_PULS_OXIM_SAT_O2
//   ns=1;s=Vent.PulseRate     pulse rate (oximetry probe) /min     MDC_PULS_OXIM_PULS_RATE
import { join } from 'node:path'
import type { OPCUAServer, UAVariable } from 'node-opcua'
import { createSimulatedServer, type Opcua } from './opcua-server.js'
import { VITALS, type VitalName } from '@neva/contracts'
import type { OpcuaNodeConfig } from '@neva/firmware-adapters'
import { SimulatedPatient, type PatientSpec, type VitalSample } from './physiology/patient.js'
import { gaussian, seededRandom } from './physiology/random.js'

export interface VentilatorSettings {
  /** Set FiO2, %; the crew raises it as they would start oxygen. */
  fio2: number
  /** Set PEEP, cm H2O. */
  peep: number
  /** Set mandatory rate, /min. */
  rate: number
  /** Set tidal volume, mL (6–8 mL/kg of ideal body weight). */
  tidalVolumeMl: number
}

export interface OpcuaVentilatorOptions {
  /** Folder of the server's certificates (created); node-opcua otherwise writes to ~/.config. */
  pkiDir: string
  patient: PatientSpec
  /** Address to listen on and advertise. Default 127.0.0.1. */
  host?: string
  /** 0 (the default): a free port chosen at the first start and kept for later starts. */
  port?: number
  /** Real time between updates. Default 1000 ms. */
  intervalMs?: number
  /** Simulated seconds per real second. Default 1. */
  timeScale?: number
  settings?: Partial<VentilatorSettings>
  /** Expose SpO2 and pulse rate, as a ventilator with an oximetry probe does. Default true. */
  oximetry?: boolean
  /**
   * Endpoints offered: None (the default, what the demo configures explicitly) or
   * SignAndEncrypt with Basic256Sha256. The server trusts any client certificate either way.
   */
  security?: 'None' | 'SignAndEncrypt'
}

export interface OpcuaVentilatorStats {
  running: boolean
  port: number
  /** Times the server was started. */
  starts: number
  /** Physiology steps taken while running. */
  ticks: number
  /** Variable values written (a value equal to the last one is written too; the server reports changes). */
  updates: number
  /** Sessions open now. */
  sessions: number
}

interface VariableSpec {
  name: string
  vital: VitalName
  value: (v: Derived) => number
  probe?: boolean
}

interface Derived {
  sample: VitalSample
  setRate: number
  totalRate: number
  fio2: number
  peep: number
  peak: number
  tidal: number
  minuteVolume: number
  etco2: number
}

const VARIABLES: readonly VariableSpec[] = [
  { name: 'RespRate', vital: 'respiratory_rate', value: (d) => d.totalRate },
  { name: 'SetRate', vital: 'ventilation_rate', value: (d) => d.setRate },
  { name: 'FiO2', vital: 'fio2', value: (d) => d.fio2 },
  { name: 'PEEP', vital: 'peep', value: (d) => d.peep },
  { name: 'PeakPressure', vital: 'peak_airway_pressure', value: (d) => d.peak },
  { name: 'TidalVolume', vital: 'tidal_volume', value: (d) => d.tidal },
  { name: 'MinuteVolume', vital: 'minute_volume', value: (d) => d.minuteVolume },
  { name: 'EtCO2', vital: 'etco2', value: (d) => d.etco2 },
  { name: 'SpO2', vital: 'spo2', value: (d) => d.sample.spo2, probe: true },
  { name: 'PulseRate', vital: 'pulse_rate', value: (d) => d.sample.pulse_rate, probe: true },
]

const DEFAULT_SETTINGS: VentilatorSettings = { fio2: 30, peep: 5, rate: 12, tidalVolumeMl: 450 }

export const ventilatorNodeId = (name: string) => `ns=1;s=Vent.${name}`

export class OpcuaVentilator {
  private readonly patient: SimulatedPatient
  private readonly random: () => number
  private readonly settings: VentilatorSettings
  private readonly variables: readonly VariableSpec[]
  private server: OPCUAServer | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly counts = { starts: 0, ticks: 0, updates: 0 }
  port: number

  constructor(private readonly options: OpcuaVentilatorOptions) {
    this.patient = new SimulatedPatient(options.patient)
    this.random = seededRandom(`${options.patient.seed}:${options.patient.id}:ventilator`)
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings }
    this.variables = options.oximetry === false ? VARIABLES.filter((v) => !v.probe) : VARIABLES
    this.port = options.port ?? 0
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1'
  }

  /** The server's own certificate (PEM), once started: what a gateway puts in its trusted directory. */
  get certificateFile(): string {
    return join(this.options.pkiDir, 'server', 'own', 'certs', 'certificate.pem')
  }

  get endpointUrl(): string {
    return `opc.tcp://${this.host}:${this.port}`
  }

  /** The `nodes` of the gateway's OPC UA device config for this ventilator. */
  nodes(): OpcuaNodeConfig[] {
    return this.variables.map((v) => ({ node_id: ventilatorNodeId(v.name), mdc_code: VITALS[v.vital].mdc, unit: VITALS[v.vital].unit }))
  }

  async start(): Promise<void> {
    if (this.server) throw new Error('the ventilator is already running')
    const { ua, server } = await createSimulatedServer({
      pkiDir: this.options.pkiDir, host: this.host, port: this.port, encrypt: this.options.security === 'SignAndEncrypt',
      productName: 'Neva simulated ventilator',
    })
    try {
      await server.initialize()
      const variables = this.addVariables(ua, server)
      await server.start()
      this.port = server.endpoints[0]!.port
      this.server = server
      this.counts.starts++
      const intervalMs = this.options.intervalMs ?? 1000
      const dt = (intervalMs / 1000) * (this.options.timeScale ?? 1)
      this.timer = setInterval(() => this.tick(ua, variables, dt), intervalMs)
    } catch (err) {
      await server.shutdown(0).catch(() => {})
      throw err
    }
  }

  /** Closes every session and the listening socket, at once (a ventilator losing its network). */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    const server = this.server
    this.server = undefined
    await server?.shutdown(0)
  }

  stats(): OpcuaVentilatorStats {
    return { running: this.server !== undefined, port: this.port, ...this.counts, sessions: this.server?.currentSessionCount ?? 0 }
  }

  private addVariables(ua: Opcua, server: OPCUAServer): Map<VariableSpec, UAVariable> {
    const addressSpace = server.engine.addressSpace!
    const ns = addressSpace.getOwnNamespace()
    const device = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Ventilator', nodeId: 's=Vent' })
    const first = this.derive(this.patient.step(0))
    const now = new Date()
    const out = new Map<VariableSpec, UAVariable>()
    for (const spec of this.variables) {
      const def = VITALS[spec.vital]
      const variable = ns.addVariable({ componentOf: device, browseName: spec.name, nodeId: `s=Vent.${spec.name}`, dataType: 'Double', description: `${def.mdcName} (${def.unit})` })
      variable.setValueFromSource(new ua.Variant({ dataType: ua.DataType.Double, value: spec.value(first) }), ua.StatusCodes.Good, now)
      out.set(spec, variable)
    }
    return out
  }

  private tick(ua: Opcua, variables: Map<VariableSpec, UAVariable>, dt: number): void {
    const derived = this.derive(this.patient.step(dt))
    const now = new Date()
    this.counts.ticks++
    for (const [spec, variable] of variables) {
      variable.setValueFromSource(new ua.Variant({ dataType: ua.DataType.Double, value: spec.value(derived) }), ua.StatusCodes.Good, now)
      this.counts.updates++
    }
  }

  /** Ventilator readings from the patient's state: a simple model, plausible rather than exact. */
  private derive(sample: VitalSample): Derived {
    const s = this.settings
    const noise = (sd: number) => sd * gaussian(this.random)
    // The patient breathes over the set rate when distressed (assisted breaths).
    const totalRate = Math.max(s.rate, sample.respiratory_rate)
    const fio2 = clamp(Math.max(s.fio2, 21 + 4 * sample.o2_flow), 21, 100)
    const tidal = s.tidalVolumeMl * (1 + noise(0.03))
    const minuteVolume = (tidal * totalRate) / 1000
    // Lungs stiffen as the patient deteriorates: compliance 50 → 25 mL/cm H2O.
    const compliance = 50 * (1 - 0.5 * sample.severity)
    const peep = s.peep + noise(0.2)
    const peak = peep + tidal / compliance + 4
    // End-tidal CO2 falls as ventilation rises above what the settings give.
    const etco2 = clamp((38 * (s.tidalVolumeMl * s.rate)) / 1000 / minuteVolume + noise(1), 10, 90)
    return {
      sample,
      setRate: s.rate,
      totalRate: Math.round(totalRate),
      fio2: Math.round(fio2),
      peep: round1(Math.max(0, peep)),
      peak: Math.round(peak),
      tidal: Math.round(tidal),
      minuteVolume: round1(minuteVolume),
      etco2: Math.round(etco2),
    }
  }
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x))
const round1 = (x: number) => Math.round(x * 10) / 10
