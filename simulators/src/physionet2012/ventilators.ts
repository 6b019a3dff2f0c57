// The ventilators of a replay as one OPC UA server (a ventilation gateway in the ICU): for each
// bed, `<patient>.FiO2` (fraction, as set A records it) and `<patient>.MechVent` (1 while on
// mechanical ventilation), Doubles written with the recorded time as their source timestamp.
// Before a bed's first recorded value its variables are Bad (waiting for initial data).
import type { OPCUAServer, UAVariable } from 'node-opcua'
import { createSimulatedServer, type Opcua } from '../opcua-server.js'

export const REPLAY_VENTILATOR_VARIABLES = ['FiO2', 'MechVent'] as const
export type ReplayVentilatorVariable = (typeof REPLAY_VENTILATOR_VARIABLES)[number]

export const replayNodeId = (patientId: string, variable: ReplayVentilatorVariable) => `ns=1;s=${patientId}.${variable}`

export class ReplayVentilators {
  private server: OPCUAServer | undefined
  private ua: Opcua | undefined
  private readonly variables = new Map<string, UAVariable>()
  writes = 0

  constructor(private readonly options: { pkiDir: string; patientIds: readonly string[]; host?: string }) {}

  get endpointUrl(): string {
    return `opc.tcp://${this.options.host ?? '127.0.0.1'}:${this.server?.endpoints[0]?.port ?? 0}`
  }

  async start(): Promise<void> {
    // One session per bed from the gateway (node-opcua's default allows 10 connections).
    const { ua, server } = await createSimulatedServer({
      pkiDir: this.options.pkiDir, host: this.options.host ?? '127.0.0.1', port: 0, encrypt: false,
      productName: 'Neva replay ventilators', maxSessions: this.options.patientIds.length + 10,
    })
    await server.initialize()
    const addressSpace = server.engine.addressSpace!
    const ns = addressSpace.getOwnNamespace()
    for (const patientId of this.options.patientIds) {
      const device = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: `Ventilator ${patientId}`, nodeId: `s=${patientId}` })
      for (const name of REPLAY_VENTILATOR_VARIABLES) {
        const variable = ns.addVariable({ componentOf: device, browseName: name, nodeId: `s=${patientId}.${name}`, dataType: 'Double' })
        variable.setValueFromSource(new ua.Variant({ dataType: ua.DataType.Null }), ua.StatusCodes.BadWaitingForInitialData, new Date())
        this.variables.set(`${patientId}.${name}`, variable)
      }
    }
    await server.start()
    this.server = server
    this.ua = ua
  }

  write(patientId: string, name: ReplayVentilatorVariable, value: number, time: number): void {
    const variable = this.variables.get(`${patientId}.${name}`)
    const ua = this.ua
    if (!variable || !ua) throw new Error(`no ventilator variable ${patientId}.${name}`)
    variable.setValueFromSource(new ua.Variant({ dataType: ua.DataType.Double, value }), ua.StatusCodes.Good, new Date(time))
    this.writes++
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    await server?.shutdown(0)
  }
}
