// Decodes one value an OPC UA server reported for a configured node (a monitored item's data
// change) into an observation draft. Pure and free of node-opcua: the source hands in a plain
// object, the receive time is an argument, and no input makes it throw.
import type { QualityFlag } from '@neva/contracts'
import type { Decoded, ObservationDraft } from '../decoded.js'
import { FirmwareErrorCode, type DecodeProblem, type OpcuaErrorCode } from '../errors.js'
import type { OpcuaNodeMapping } from './mapping.js'

/** A DataValue as plain data (OPC UA Part 4 §7.11). */
export interface OpcuaDataValue {
  /** The Variant's value as the client library gives it. */
  value: unknown
  sourceTimestamp?: Date | number | null
  serverTimestamp?: Date | number | null
  /** The 32-bit StatusCode (Part 4 §7.39); absent means Good, as on the wire. */
  statusCode?: number
}

export type OpcuaSeverity = 'good' | 'uncertain' | 'bad'

/** Part 4 §7.39: the two top bits of a StatusCode are its severity (11 is reserved: Bad). */
export function opcuaSeverity(statusCode: number): OpcuaSeverity {
  const severity = statusCode >>> 30
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad'
}

const MAX_FUTURE_MS = 24 * 3600_000
const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1)
/** OPC UA's DateTime 0 (1601-01-01) means "no timestamp" (Part 6 §5.2.2.5). */
const OPCUA_MIN_DATE_MS = Date.UTC(1601, 0, 1)

/**
 * One data change of `mapping`'s node, decoded. Bad status → `ignored` (the device says it has
 * no valid value: a sensor off, a value not yet measured); null value → `ignored` (missing is
 * absent, never zero); not a finite scalar number, or outside the vital's plausible range →
 * `problems`; Uncertain status → the reading is kept and flagged 'questionable'. Device time is
 * the source timestamp, else the server timestamp, else `receivedTime`; an implausible one is
 * replaced by `receivedTime` and flagged 'clock_suspect'.
 */
export function decodeOpcuaValue(mapping: OpcuaNodeMapping, dataValue: OpcuaDataValue, receivedTime: number): Decoded {
  const out: Decoded = { source: 'opcua', deviceId: mapping.deviceId, patientId: mapping.patientId, observations: [], problems: [], ignored: [] }
  const { vital } = mapping
  const status: unknown = dataValue.statusCode ?? 0
  const report = (list: DecodeProblem[], code: OpcuaErrorCode, reason: string) => {
    list.push({ code, reason: `${mapping.nodeId.slice(0, 256)} (${vital.name}): ${reason}`.slice(0, 1024), payload: describe(mapping, dataValue) })
    return out
  }
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 0 || status > 0xffffffff) {
    return report(out.problems, FirmwareErrorCode.NEVA_OPCUA_NOT_A_NUMBER, `status code ${typeof status === 'number' ? status : kind(status)} is not a 32-bit StatusCode`)
  }
  const severity = opcuaSeverity(status)
  if (severity === 'bad') return report(out.ignored!, FirmwareErrorCode.NEVA_OPCUA_BAD_STATUS, `status ${hex(status)} (Bad): no valid value`)
  const raw = dataValue.value
  if (raw === null || raw === undefined) return report(out.ignored!, FirmwareErrorCode.NEVA_OPCUA_NO_VALUE, 'null value: nothing measured')
  let value: number
  if (typeof raw === 'number') value = raw
  else if (typeof raw === 'bigint') value = Number(raw)
  else return report(out.problems, FirmwareErrorCode.NEVA_OPCUA_NOT_A_NUMBER, `expected a number, got ${kind(raw)}`)
  if (!Number.isFinite(value)) return report(out.problems, FirmwareErrorCode.NEVA_OPCUA_NOT_A_NUMBER, `expected a number, got ${value}`)
  // toPrecision drops the binary noise of scaling (0.42 × 100 = 42.00000000000001).
  if (mapping.scale !== 1) value = Number((value * mapping.scale).toPrecision(12))
  if (value < vital.min || value > vital.max) {
    const scaled = mapping.scale !== 1 ? ` (raw ${String(raw).slice(0, 32)} × ${mapping.scale})` : ''
    return report(out.problems, FirmwareErrorCode.NEVA_OPCUA_IMPLAUSIBLE_VALUE, `${value} ${vital.unit}${scaled} is outside ${vital.min}–${vital.max}`)
  }

  const flags: QualityFlag[] = severity === 'uncertain' ? ['questionable'] : []
  let deviceTime = timestamp(dataValue.sourceTimestamp) ?? timestamp(dataValue.serverTimestamp) ?? receivedTime
  if (!(deviceTime >= MIN_PLAUSIBLE_MS && deviceTime <= receivedTime + MAX_FUTURE_MS)) {
    // A wrong device clock must not lose the reading nor create partitions in 1970.
    deviceTime = receivedTime
    flags.push('clock_suspect')
  }
  const observation: ObservationDraft = {
    device_id: mapping.deviceId,
    patient_id: mapping.patientId,
    source: 'opcua',
    mdc_code: vital.mdc,
    loinc: vital.loinc,
    name: vital.name,
    value,
    unit: vital.unit,
    device_time: Math.floor(deviceTime),
    received_time: receivedTime,
    flags,
  }
  out.observations.push(observation)
  return out
}

/** Milliseconds, or undefined when there is no timestamp; NaN (an invalid Date) stays NaN. */
function timestamp(t: unknown): number | undefined {
  let ms: number
  if (t instanceof Date) ms = t.getTime()
  else if (typeof t === 'number') ms = t
  else return undefined
  return ms <= OPCUA_MIN_DATE_MS ? undefined : ms
}

const hex = (status: number) => `0x${status.toString(16).toUpperCase().padStart(8, '0')}`

/** What a value is, for a message, without calling anything the value defines. */
function kind(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `the string ${JSON.stringify(v.slice(0, 64))}`
    case 'boolean':
      return `the boolean ${v}`
    case 'object':
      return Array.isArray(v) ? `an array of ${v.length}` : v instanceof Date ? 'a date' : 'an object'
    default:
      return `a ${typeof v}`
  }
}

/** The offending data change as JSON, bounded. */
function describe(mapping: OpcuaNodeMapping, dv: OpcuaDataValue): string {
  const v = dv.value
  const value = typeof v === 'number' ? (Number.isFinite(v) ? v : String(v))
    : typeof v === 'string' ? v.slice(0, 256)
    : typeof v === 'boolean' || v === null || v === undefined ? (v ?? null)
    : typeof v === 'bigint' ? String(v).slice(0, 64)
    : kind(v)
  const time = (t: unknown) => {
    const ms = timestamp(t)
    return ms === undefined ? null : Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms)
  }
  const s: unknown = dv.statusCode
  const status = s === undefined ? null : typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 0xffffffff ? hex(s) : typeof s === 'number' ? String(s) : kind(s)
  return JSON.stringify({
    node_id: mapping.nodeId.slice(0, 512),
    value,
    status,
    source_timestamp: time(dv.sourceTimestamp),
    server_timestamp: time(dv.serverTimestamp),
  })
}
