// Encodes ECG chunks for ambulance tablets (the simulator) and tests: the inverse of decode.ts.
// Unlike the decoder, the encoder refuses a chunk it cannot represent by throwing RangeError:
// that is a bug in its caller, not input from a device.
import { crc32 } from 'node:zlib'
import { ECG_LEADS, LEAD_NAME, MAX_WAVEFORM_SAMPLES, type EcgLead } from '@neva/contracts'
import {
  ECG_ENCODINGS,
  ECG_MAGIC,
  ECG_VERSION,
  ECG_VERSION_NAMED,
  MAX_CHUNK_SAMPLES,
  MAX_NAMED_LEADS,
  FIXED_HEADER_BYTES,
  OFFSET,
  PATIENT_ID,
  ecgTopic,
  maskOf,
  zigzag,
  type EcgEncoding,
} from './format.js'

export interface EcgChunkInput {
  patientId: string
  /** Device time of the first sample, epoch ms. */
  startTime: number
  sampleRateHz: number
  /** Microvolts per count; sent in nanovolts, so at most three decimals survive. */
  resolutionUv: number
  /**
   * Counts (signed 16-bit) per lead, every lead the same length; leads left out are not sent.
   * Only standard leads (ECG_LEADS): version 1, in the standard order; any other name (MLII, vx):
   * version 2, in the order given.
   */
  leads: Partial<Record<EcgLead, ArrayLike<number>>> & Record<string, ArrayLike<number>>
}

export function encodeEcgChunk(chunk: EcgChunkInput, encoding: EcgEncoding = 'delta'): Buffer {
  const given = Object.keys(chunk.leads).filter((l) => chunk.leads[l] !== undefined)
  const named = given.some((l) => !(ECG_LEADS as readonly string[]).includes(l))
  const leads: string[] = named ? given : ECG_LEADS.filter((l) => chunk.leads[l] !== undefined)
  const n = leads.length ? chunk.leads[leads[0]!]!.length : 0
  if (leads.length === 0 || n < 1 || n > MAX_WAVEFORM_SAMPLES) throw new RangeError(`an ECG chunk needs 1–${MAX_WAVEFORM_SAMPLES} samples of at least one lead`)
  if (named && (leads.length > MAX_NAMED_LEADS || leads.some((l) => !LEAD_NAME.test(l)))) throw new RangeError(`lead names ${JSON.stringify(leads)}: at most ${MAX_NAMED_LEADS}, each ${LEAD_NAME}`)
  if (leads.length * n > MAX_CHUNK_SAMPLES) throw new RangeError(`${leads.length} leads × ${n} samples exceed ${MAX_CHUNK_SAMPLES} in one chunk`)
  if (!PATIENT_ID.test(chunk.patientId)) throw new RangeError(`patient id ${JSON.stringify(chunk.patientId)} is not an identifier`)
  const resolutionNv = Math.round(chunk.resolutionUv * 1000)
  if (resolutionNv < 1 || resolutionNv > 1_000_000) throw new RangeError(`resolution ${chunk.resolutionUv} µV is outside 0.001–1000`)
  if (!Number.isInteger(chunk.sampleRateHz) || chunk.sampleRateHz < 1 || chunk.sampleRateHz > 10_000) throw new RangeError(`sample rate ${chunk.sampleRateHz} Hz is outside 1–10000`)
  if (!Number.isSafeInteger(chunk.startTime) || chunk.startTime < 0) throw new RangeError(`start time ${chunk.startTime} is not epoch ms`)

  const body: number[] = []
  for (const lead of leads) {
    const samples = chunk.leads[lead]!
    if (samples.length !== n) throw new RangeError(`lead ${lead} has ${samples.length} samples, lead ${leads[0]} has ${n}`)
    let previous = 0
    for (let i = 0; i < n; i++) {
      const s = samples[i]!
      if (!Number.isInteger(s) || s < -32768 || s > 32767) throw new RangeError(`lead ${lead} sample ${i} (${s}) is not a signed 16-bit count`)
      if (encoding === 'int16') {
        body.push(s & 0xff, (s >> 8) & 0xff)
      } else {
        // Differences of neighbouring samples are small: most take one byte.
        let z = zigzag(s - previous)
        while (z >= 0x80) {
          body.push((z & 0x7f) | 0x80)
          z = Math.floor(z / 128)
        }
        body.push(z)
        previous = s
      }
    }
  }

  const id = Buffer.from(chunk.patientId, 'ascii')
  const table = named ? Buffer.concat([Buffer.from([leads.length]), ...leads.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]))]) : Buffer.alloc(0)
  const out = Buffer.alloc(FIXED_HEADER_BYTES + 1 + id.length + table.length + 4 + body.length + 4)
  out.write(ECG_MAGIC, 0, 'ascii')
  out.writeUInt8(named ? ECG_VERSION_NAMED : ECG_VERSION, OFFSET.version)
  out.writeUInt8(ECG_ENCODINGS[encoding], OFFSET.encoding)
  out.writeUInt16LE(named ? 0 : maskOf(leads as EcgLead[]), OFFSET.leadMask)
  out.writeUInt16LE(n, OFFSET.samples)
  out.writeUInt16LE(chunk.sampleRateHz, OFFSET.rate)
  out.writeUInt32LE(resolutionNv, OFFSET.resolutionNv)
  out.writeBigUInt64LE(BigInt(chunk.startTime), OFFSET.startTime)
  out.writeUInt8(id.length, OFFSET.patientIdLength)
  id.copy(out, OFFSET.patientId)
  let at = OFFSET.patientId + id.length
  table.copy(out, at)
  at += table.length
  out.writeUInt32LE(body.length, at)
  at += 4
  Buffer.from(body).copy(out, at)
  at += body.length
  out.writeUInt32LE(crc32(out.subarray(0, at)), at)
  return out
}

export function encodeEcgMessage(deviceId: string, chunk: EcgChunkInput, encoding: EcgEncoding = 'delta'): { topic: string; payload: Buffer } {
  return { topic: ecgTopic(deviceId), payload: encodeEcgChunk(chunk, encoding) }
}
