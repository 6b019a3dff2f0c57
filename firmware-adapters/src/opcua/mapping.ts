// OPC UA device configuration: which variables of which server the gateway subscribes to, and
// which vital sign each one is. Validated once at start-up into the mapping the source and the
// decoder use; every mistake is named with the device and node it is in.
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Identifier, normalizeMdc, vitalByMdc, type VitalDefinition } from '@neva/contracts'
import { FirmwareErrorCode } from '../errors.js'

export const OpcuaNodeConfigSchema = Type.Object(
  {
    /** The node id in its string form (OPC UA Part 6 §5.3.1.10), e.g. "ns=1;s=Vent.RespRate". */
    node_id: Type.String({ minLength: 1, maxLength: 512 }),
    /** IEEE 11073-10101 code of what the node measures; a 16-bit term means partition 2 (SCADA). */
    mdc_code: Type.Integer({ minimum: 1, maximum: 0xffffffff }),
    /** UCUM unit of the value after `scale`; it must be the code table's. Default: the table's. */
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    /** Factor applied to the raw value, e.g. 100 for an FiO2 sent as a fraction. Default 1. */
    scale: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e9 })),
  },
  { additionalProperties: false },
)

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const
export const OPCUA_SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const
export type OpcuaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number]
export type OpcuaSecurityPolicy = (typeof OPCUA_SECURITY_POLICIES)[number]

export const OpcuaDeviceConfigSchema = Type.Object(
  {
    device_id: Identifier,
    endpoint_url: Type.String({ pattern: '^opc\\.tcp://', maxLength: 512 }),
    /**
     * Message security of the channel to the server. SignAndEncrypt by default; None (no
     * authentication of the server, values in clear text) only when configured, with a warning.
     */
    security_mode: Type.Union(OPCUA_SECURITY_MODES.map((m) => Type.Literal(m)), { default: 'SignAndEncrypt' }),
    /** Default: None with mode None, else Basic256Sha256. */
    security_policy: Type.Optional(Type.Union(OPCUA_SECURITY_POLICIES.map((p) => Type.Literal(p)))),
    /**
     * Directory of the server certificates the gateway trusts (PEM or DER, one per file); the
     * server must present one of them. Required for Sign and SignAndEncrypt unless
     * accept_unknown_certificates.
     */
    trusted_certificates_dir: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    /** Trust any server certificate (first use or not): only for a lab bench; a warning at start-up. */
    accept_unknown_certificates: Type.Boolean({ default: false }),
    /** The patient the device is attached to (a ventilator serves one patient). */
    patient_id: Identifier,
    /** Sampling and publishing interval asked of the server. */
    sampling_interval_ms: Type.Integer({ minimum: 50, maximum: 3_600_000, default: 1000 }),
    nodes: Type.Array(OpcuaNodeConfigSchema, { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false },
)

/** The gateway config's `opcua` section: one entry per OPC UA device. */
export const OpcuaConfigSchema = Type.Array(OpcuaDeviceConfigSchema, { default: [], maxItems: 256 })

export type OpcuaNodeConfig = Static<typeof OpcuaNodeConfigSchema>
export type OpcuaDeviceConfig = Static<typeof OpcuaDeviceConfigSchema>

/** One configured node, resolved: everything decodeOpcuaValue needs. */
export interface OpcuaNodeMapping {
  deviceId: string
  patientId: string
  nodeId: string
  vital: VitalDefinition
  scale: number
}

export interface OpcuaSecurity {
  mode: OpcuaSecurityMode
  policy: OpcuaSecurityPolicy
  trustedCertificatesDir?: string
  acceptUnknownCertificates: boolean
}

export interface OpcuaDeviceMapping {
  deviceId: string
  patientId: string
  endpointUrl: string
  security: OpcuaSecurity
  samplingIntervalMs: number
  nodes: OpcuaNodeMapping[]
}

export class OpcuaMappingError extends Error {
  readonly code = FirmwareErrorCode.NEVA_OPCUA_CONFIG
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems in the OPC UA configuration:\n${problems.join('\n')}`)
  }
}

// Part 6 §5.3.1.10: optional namespace (index or URI), then the identifier by type.
const NODE_ID = /^(?:ns=\d{1,5};|nsu=[^;]+;)?(?:i=\d{1,10}|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/]+={0,2})$/s
const MAX_REPORTED = 50

/**
 * Validates the `opcua` section of the gateway config (defaults applied) and resolves each
 * node's MDC code through the code table. Throws an OpcuaMappingError naming every problem
 * (`origin/2/nodes/1 (ns=1;s=Vent.X): …`): an unknown code, a unit that is not the table's, a
 * malformed or repeated node id, a repeated device id.
 */
export function validateOpcuaMapping(config: unknown, origin = 'opcua'): OpcuaDeviceMapping[] {
  // Checked first: TypeBox's Default turns an object given for an array into an array.
  if (config !== undefined && config !== null && !Array.isArray(config)) throw new OpcuaMappingError([`${origin}/: expected an array of devices`])
  const withDefaults = Value.Default(OpcuaConfigSchema, structuredClone(config ?? []))
  const problems: string[] = []
  for (const e of Value.Errors(OpcuaConfigSchema, withDefaults)) {
    problems.push(`${origin}${e.path || '/'}: ${e.message}`)
    if (problems.length >= MAX_REPORTED) break
  }
  if (problems.length > 0) throw new OpcuaMappingError(problems)

  const devices = withDefaults as OpcuaDeviceConfig[]
  const seenDevices = new Set<string>()
  const out: OpcuaDeviceMapping[] = []
  devices.forEach((device, d) => {
    if (seenDevices.has(device.device_id)) problems.push(`${origin}/${d}/device_id: ${device.device_id} is configured twice`)
    seenDevices.add(device.device_id)
    const seenNodes = new Set<string>()
    const nodes: OpcuaNodeMapping[] = []
    device.nodes.forEach((node, n) => {
      const where = `${origin}/${d}/nodes/${n} (${node.node_id.slice(0, 128)})`
      if (!NODE_ID.test(node.node_id)) problems.push(`${where}: node_id is not an OPC UA node id such as ns=1;s=Name or ns=2;i=1001`)
      if (seenNodes.has(node.node_id)) problems.push(`${where}: node_id is configured twice for device ${device.device_id}`)
      seenNodes.add(node.node_id)
      const vital = vitalByMdc(node.mdc_code)
      if (!vital) {
        problems.push(`${where}: MDC code ${normalizeMdc(node.mdc_code)} is not in the code table`)
        return
      }
      if (node.unit !== undefined && node.unit !== vital.unit) {
        problems.push(`${where}: unit ${JSON.stringify(node.unit)} differs from ${vital.mdcName}'s ${JSON.stringify(vital.unit)} (convert with scale and state the table's unit)`)
        return
      }
      nodes.push({ deviceId: device.device_id, patientId: device.patient_id, nodeId: node.node_id, vital, scale: node.scale ?? 1 })
    })
    const mode = device.security_mode
    const policy = device.security_policy ?? (mode === 'None' ? 'None' : 'Basic256Sha256')
    if ((mode === 'None') !== (policy === 'None')) problems.push(`${origin}/${d}/security_policy: ${policy} does not go with security_mode ${mode} (None goes only with None)`)
    if (mode !== 'None' && !device.trusted_certificates_dir && !device.accept_unknown_certificates) {
      problems.push(`${origin}/${d}/trusted_certificates_dir: security_mode ${mode} needs the directory of the server certificates to trust (or accept_unknown_certificates, for a lab bench only)`)
    }
    const security: OpcuaSecurity = { mode, policy, acceptUnknownCertificates: device.accept_unknown_certificates, ...(device.trusted_certificates_dir ? { trustedCertificatesDir: device.trusted_certificates_dir } : {}) }
    out.push({ deviceId: device.device_id, patientId: device.patient_id, endpointUrl: device.endpoint_url, security, samplingIntervalMs: device.sampling_interval_ms, nodes })
  })
  if (problems.length > 0) throw new OpcuaMappingError(problems.slice(0, MAX_REPORTED))
  return out
}
