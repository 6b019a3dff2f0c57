// Decodes an ECG chunk (format.ts, README.md) into one waveform draft per lead.
// Pure and bounded: the payload's size is checked before anything is read, counts are checked
// before anything is allocated, and every refusal is one problem naming what was wrong.
import { messageHash } from '../message-hash.js'
import { crc32 } from 'node:zlib'
import { LEAD_NAME, MAX_WAVEFORM_SAMPLES, leadMdc, standardLead } from '@neva/contracts'
import type { Decoded, WaveformDraft } from '../decoded.js'
import { FirmwareErrorCode, type DecodeProblem, type EcgErrorCode } from '../errors.js'
import {
  ECG_ENCODINGS,
  ECG_MAGIC,
  ECG_TOPIC_PREFIX,
  ECG_VERSION,
  ECG_VERSION_NAMED,
  MAX_CHUNK_SAMPLES,
  MAX_NAMED_LEADS,
  FIXED_HEADER_BYTES,
  FRAMING_BYTES,
  MAX_ECG_PAYLOAD_BYTES,
  MAX_VARINT_BYTES,
  OFFSET,
  PATIENT_ID,
  leadsOf,
  unzigzag,
} from './format.js'

const DEVICE_ID = /^[A-Za-z0-9._:-]{1,128}$/
const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1)
const MAX_FUTURE_MS = 24 * 3600_000
const MAX_EPOCH_MS = 8_640_000_000_000
const PREVIEW_BYTES = 64

/** The device id of an ECG topic, null for another neva/ topic, undefined when not ours. */
export function parseEcgTopic(topic: string): string | null | undefined {
  if (!topic.startsWith('neva/')) return undefined
  if (!topic.startsWith(ECG_TOPIC_PREFIX) || !topic.endsWith('/ecg')) return null
  const id = topic.slice(ECG_TOPIC_PREFIX.length, -'/ecg'.length)
  return DEVICE_ID.test(id) ? id : null
}

const preview = (payload: Uint8Array) => {
  const hex = Buffer.from(payload.subarray(0, PREVIEW_BYTES)).toString('hex')
  return payload.length > PREVIEW_BYTES ? `${hex}… (${payload.length} bytes)` : hex
}

export function decodeEcgMessage(topic: string, payload: Uint8Array, receivedTime: number): Decoded {
  const deviceId = parseEcgTopic(topic)
  if (deviceId === undefined) return { source: 'mqtt', observations: [], problems: [] }
  const refuse = (code: EcgErrorCode, reason: string, offset?: number): Decoded => {
    const p: DecodeProblem = { code, reason, payload: preview(payload) }
    if (offset !== undefined) p.offset = offset
    return deviceId === null ? { source: 'mqtt', observations: [], problems: [p] } : { source: 'mqtt', deviceId, observations: [], problems: [p] }
  }
  if (deviceId === null) return refuse(FirmwareErrorCode.NEVA_ECG_UNKNOWN_TOPIC, `topic ${JSON.stringify(topic.slice(0, 256))}: expected neva/v1/devices/{device_id}/ecg`)
  if (payload.length > MAX_ECG_PAYLOAD_BYTES) return refuse(FirmwareErrorCode.NEVA_ECG_TOO_LARGE, `payload is ${payload.length} bytes; a chunk is at most ${MAX_ECG_PAYLOAD_BYTES}`)
  const minimum = FIXED_HEADER_BYTES + FRAMING_BYTES
  if (payload.length < minimum) return refuse(FirmwareErrorCode.NEVA_ECG_TRUNCATED, `payload is ${payload.length} bytes; the header alone takes ${minimum}`, payload.length)
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.length)
  if (buf.toString('latin1', 0, 4) !== ECG_MAGIC) return refuse(FirmwareErrorCode.NEVA_ECG_BAD_MAGIC, `starts with 0x${buf.toString('hex', 0, 4)}, not "${ECG_MAGIC}"`, 0)
  const version = buf[OFFSET.version]!
  if (version !== ECG_VERSION && version !== ECG_VERSION_NAMED) return refuse(FirmwareErrorCode.NEVA_ECG_UNSUPPORTED_VERSION, `version ${version}; this gateway reads versions ${ECG_VERSION} and ${ECG_VERSION_NAMED}`, OFFSET.version)

  const idLength = buf[OFFSET.patientIdLength]!
  const tableAt = OFFSET.patientId + idLength
  // Version 2: the lead table (a count, then each name's length and bytes) follows the patient id.
  const names: string[] = []
  let bodyLengthAt = tableAt
  if (version === ECG_VERSION_NAMED) {
    if (tableAt + 1 > buf.length) return refuse(FirmwareErrorCode.NEVA_ECG_TRUNCATED, `lead table at byte ${tableAt} runs past the end of a ${buf.length}-byte payload`, tableAt)
    const count = buf[tableAt]!
    let p = tableAt + 1
    for (let k = 0; k < count; k++) {
      if (p + 1 > buf.length || p + 1 + buf[p]! > buf.length) return refuse(FirmwareErrorCode.NEVA_ECG_TRUNCATED, `lead name ${k + 1} of ${count} runs past the end of a ${buf.length}-byte payload`, p)
      names.push(buf.toString('latin1', p + 1, p + 1 + buf[p]!))
      p += 1 + buf[p]!
    }
    bodyLengthAt = p
  }
  if (bodyLengthAt + 4 > buf.length) return refuse(FirmwareErrorCode.NEVA_ECG_TRUNCATED, `patient id of ${idLength} bytes runs past the end of a ${buf.length}-byte payload`, OFFSET.patientIdLength)
  const bodyLength = buf.readUInt32LE(bodyLengthAt)
  const bodyAt = bodyLengthAt + 4
  const expected = bodyAt + bodyLength + 4
  if (expected !== buf.length) {
    return refuse(expected > buf.length ? FirmwareErrorCode.NEVA_ECG_TRUNCATED : FirmwareErrorCode.NEVA_ECG_LENGTH_MISMATCH, `header gives ${expected} bytes (samples section ${bodyLength}), payload has ${buf.length}`, bodyLengthAt)
  }
  const crcAt = bodyAt + bodyLength
  const sent = buf.readUInt32LE(crcAt)
  const computed = crc32(buf.subarray(0, crcAt))
  if (sent !== computed) return refuse(FirmwareErrorCode.NEVA_ECG_CHECKSUM, `CRC-32 is 0x${sent.toString(16).padStart(8, '0')}, payload gives 0x${computed.toString(16).padStart(8, '0')}`, crcAt)

  // Header fields, each against the contract's bounds.
  const encoding = buf[OFFSET.encoding]!
  const mask = buf.readUInt16LE(OFFSET.leadMask)
  const n = buf.readUInt16LE(OFFSET.samples)
  const rate = buf.readUInt16LE(OFFSET.rate)
  const resolutionNv = buf.readUInt32LE(OFFSET.resolutionNv)
  const start = Number(buf.readBigUInt64LE(OFFSET.startTime))
  const patientId = buf.toString('latin1', OFFSET.patientId, tableAt)
  const header = (reason: string, offset: number) => refuse(FirmwareErrorCode.NEVA_ECG_BAD_HEADER, reason, offset)
  if (encoding !== ECG_ENCODINGS.int16 && encoding !== ECG_ENCODINGS.delta) return header(`encoding ${encoding} is neither 0 (int16) nor 1 (delta)`, OFFSET.encoding)
  if (version === ECG_VERSION && (mask === 0 || mask >= 1 << 12)) return header(`lead mask 0x${mask.toString(16)} names no lead or bits beyond the 12 leads`, OFFSET.leadMask)
  if (version === ECG_VERSION_NAMED) {
    if (mask !== 0) return header(`lead mask 0x${mask.toString(16)} in a version 2 chunk, which names its leads`, OFFSET.leadMask)
    if (names.length < 1 || names.length > MAX_NAMED_LEADS) return header(`${names.length} leads named; 1–${MAX_NAMED_LEADS}`, tableAt)
    const bad = names.find((l) => !LEAD_NAME.test(l))
    if (bad !== undefined) return header(`lead name ${JSON.stringify(bad)} breaks ${LEAD_NAME}`, tableAt)
    const canonical = names.map((l) => standardLead(l) ?? l)
    if (new Set(canonical).size !== canonical.length) return header(`lead names ${JSON.stringify(names)} repeat a lead`, tableAt)
  }
  if (n < 1 || n > MAX_WAVEFORM_SAMPLES) return header(`${n} samples per lead is outside 1–${MAX_WAVEFORM_SAMPLES}`, OFFSET.samples)
  if (rate < 1 || rate > 10_000) return header(`sample rate ${rate} Hz is outside 1–10000`, OFFSET.rate)
  if (resolutionNv < 1 || resolutionNv > 1_000_000) return header(`resolution ${resolutionNv} nV is outside 1–1000000`, OFFSET.resolutionNv)
  if (start > MAX_EPOCH_MS) return header(`start time ${start} is beyond any date`, OFFSET.startTime)
  if (!PATIENT_ID.test(patientId)) return header(`patient id ${JSON.stringify(patientId.slice(0, 128))} is not an identifier`, OFFSET.patientId)

  const leads: string[] = version === ECG_VERSION ? leadsOf(mask) : names.map((l) => standardLead(l) ?? l)
  if (leads.length * n > MAX_CHUNK_SAMPLES) return header(`${leads.length} leads × ${n} samples exceed ${MAX_CHUNK_SAMPLES} in one chunk`, OFFSET.samples)
  const samples = readSamples(buf, bodyAt, bodyLength, encoding, leads.length, n)
  if (typeof samples === 'string') return refuse(FirmwareErrorCode.NEVA_ECG_BAD_SAMPLES, samples, bodyAt)

  const out: Decoded = { source: 'mqtt', deviceId, patientId, observations: [], waveforms: [], problems: [] }
  const durationMs = Math.round((n * 1000) / rate)
  let startTime = start
  if (start < MIN_PLAUSIBLE_MS || start > receivedTime + MAX_FUTURE_MS) {
    // A wrong tablet clock must not lose the ECG nor file it in 1970; without the device's
    // time the chunk has no identity, so a resend may be stored twice.
    startTime = Math.max(0, receivedTime - durationMs)
    out.ignored = [{ code: FirmwareErrorCode.NEVA_ECG_CLOCK_SUSPECT, reason: `start time ${start} is implausible; stored as ${startTime}`, payload: preview(payload), offset: OFFSET.startTime }]
  } else {
    out.key = { device: deviceId, time: start, hash: messageHash(payload) }
  }
  const resolution_uv = resolutionNv / 1000
  leads.forEach((lead, i) => {
    const w: WaveformDraft = {
      device_id: deviceId,
      patient_id: patientId,
      lead,
      mdc_code: leadMdc(lead),
      start_time: startTime,
      sample_rate_hz: rate,
      resolution_uv,
      samples: samples[i]!,
      received_time: receivedTime,
    }
    out.waveforms!.push(w)
  })
  return out
}

/** Samples per lead, or why the section is malformed. */
function readSamples(buf: Buffer, at: number, length: number, encoding: number, leads: number, n: number): number[][] | string {
  const total = leads * n
  if (encoding === ECG_ENCODINGS.int16) {
    if (length !== total * 2) return `int16 samples of ${leads} lead(s) × ${n} take ${total * 2} bytes, the section has ${length}`
    const out: number[][] = []
    for (let l = 0; l < leads; l++) {
      const lead = new Array<number>(n)
      for (let i = 0; i < n; i++) lead[i] = buf.readInt16LE(at + 2 * (l * n + i))
      out.push(lead)
    }
    return out
  }
  if (length < total || length > total * MAX_VARINT_BYTES) return `delta samples of ${leads} lead(s) × ${n} take ${total}–${total * MAX_VARINT_BYTES} bytes, the section has ${length}`
  const end = at + length
  let p = at
  const out: number[][] = []
  for (let l = 0; l < leads; l++) {
    const lead = new Array<number>(n)
    let value = 0
    for (let i = 0; i < n; i++) {
      let z = 0
      let shift = 1
      for (let k = 0; ; k++) {
        if (p >= end) return `samples section ends inside sample ${i} of lead ${l + 1} (byte ${p})`
        if (k === MAX_VARINT_BYTES) return `varint longer than ${MAX_VARINT_BYTES} bytes at byte ${p}`
        const b = buf[p++]!
        z += (b & 0x7f) * shift
        shift *= 128
        if (b < 0x80) break
      }
      value += unzigzag(z)
      if (value < -32768 || value > 32767) return `sample ${i} of lead ${l + 1} is ${value}, outside signed 16 bits (byte ${p - 1})`
      lead[i] = value
    }
    out.push(lead)
  }
  if (p !== end) return `${end - p} bytes left after the last sample`
  return out
}
