// The simulators' OPC UA servers (one ventilator; a replay's ventilators). node-opcua is loaded
// when one starts, not when @neva/simulators is imported: it is about a second of CPU (a hundred
// packages) in every process that imports the package, most of which serve no OPC UA.
import { join } from 'node:path'
import type { OPCUAServer } from 'node-opcua'

export type Opcua = typeof import('node-opcua')

let loading: Promise<Opcua> | undefined
/** node-opcua, loaded once. */
const loadOpcua = (): Promise<Opcua> => (loading ??= import('node-opcua'))

export interface SimulatedServerOptions {
  pkiDir: string
  host: string
  port: number
  /** SignAndEncrypt with Basic256Sha256, or no security. */
  encrypt: boolean
  productName: string
  /** Sessions (and connections) allowed; node-opcua's default otherwise. */
  maxSessions?: number
}

/** An OPC UA server, not yet initialized: anonymous, its certificates accepted by itself, not registered with a discovery server. */
export async function createSimulatedServer(o: SimulatedServerOptions): Promise<{ ua: Opcua; server: OPCUAServer }> {
  const ua = await loadOpcua()
  const pki = (name: string) => new ua.OPCUACertificateManager({ rootFolder: join(o.pkiDir, name), automaticallyAcceptUnknownCertificate: true })
  const server = new ua.OPCUAServer({
    host: o.host,
    hostname: o.host,
    port: o.port,
    serverCertificateManager: pki('server'),
    userCertificateManager: pki('user'),
    nodeset_filename: [ua.nodesets.standard],
    securityModes: [o.encrypt ? ua.MessageSecurityMode.SignAndEncrypt : ua.MessageSecurityMode.None],
    securityPolicies: [o.encrypt ? ua.SecurityPolicy.Basic256Sha256 : ua.SecurityPolicy.None],
    ...(o.maxSessions === undefined ? {} : { maxConnectionsPerEndpoint: o.maxSessions, serverCapabilities: { maxSessions: o.maxSessions } }),
    allowAnonymous: true,
    registerServerMethod: ua.RegisterServerMethod.HIDDEN,
    isAuditing: false,
    buildInfo: { productName: o.productName, manufacturerName: 'Neva', softwareVersion: '0.1.0' },
  })
  return { ua, server }
}
