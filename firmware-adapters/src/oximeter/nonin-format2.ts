// Nonin serial "Data Format #2" as the OEM III module's specification describes it: 5-byte
// frames, 75 a second, grouped in packets of 25 frames (three a second).
//
//   frame:  0x01 | STATUS | PLETH | DATA | CHK        CHK = (sum of the first four) mod 256
//   STATUS: bit 7 always 1, 6 SNSD sensor disconnect, 5 ARTF artifact, 4 OOT out of track,
//           3 SNSA sensor alarm, 2..1 perfusion (RPRF red 10, GPRF green 01, yellow 11),
//           0 SYNC (set only in a packet's first frame)
//   DATA:   the packet's values, one byte per frame; see NONIN_DATA_FRAME.
//
// HR is 9 bits over two frames; "no value" is 511 for HR and 127 for SpO2.
import type { QualityFlag } from '@neva/contracts'

export const NONIN_FRAME_BYTES = 5
export const NONIN_FRAMES_PER_PACKET = 25
export const NONIN_FRAMES_PER_SECOND = 75
export const NONIN_PACKET_BYTES = NONIN_FRAME_BYTES * NONIN_FRAMES_PER_PACKET
export const NONIN_FRAME_START = 0x01

export const NONIN_STATUS = {
  ALWAYS_SET: 0x80,
  SENSOR_DISCONNECT: 0x40,
  ARTIFACT: 0x20,
  OUT_OF_TRACK: 0x10,
  SENSOR_ALARM: 0x08,
  RED_PERFUSION: 0x04,
  GREEN_PERFUSION: 0x02,
  /** Both perfusion bits. */
  YELLOW_PERFUSION: 0x06,
  SYNC: 0x01,
} as const
const S = NONIN_STATUS

/** Index of each value's frame in a packet (0-based; the specification counts from 1). */
export const NONIN_DATA_FRAME = {
  HR_MSB: 0,
  HR_LSB: 1,
  SPO2: 2,
  SREV: 3,
  TIMER_MSB: 5,
  TIMER_LSB: 6,
  STAT2: 7,
  SPO2_D: 8,
  SPO2_FAST: 9,
  SPO2_BB: 10,
  E_HR_MSB: 13,
  E_HR_LSB: 14,
  E_SPO2: 15,
  E_SPO2_D: 16,
  HR_D_MSB: 19,
  HR_D_LSB: 20,
  E_HR_D_MSB: 21,
  E_HR_D_LSB: 22,
} as const

export const NONIN_NO_SPO2 = 127
export const NONIN_NO_HR = 511

export const noninChecksum = (b0: number, b1: number, b2: number, b3: number) => (b0 + b1 + b2 + b3) & 0xff

/** The quality flags a packet's status bits (OR-ed over its frames) mean for its readings. */
export function noninStatusFlags(status: number): QualityFlag[] {
  const flags: QualityFlag[] = []
  if (status & S.SENSOR_DISCONNECT) flags.push('sensor_off')
  const perfusion = status & S.YELLOW_PERFUSION
  // Red perfusion is, in Nonin's words, an amplitude representation of low signal quality.
  if (status & (S.ARTIFACT | S.OUT_OF_TRACK | S.SENSOR_ALARM) || perfusion === S.RED_PERFUSION) flags.push('artifact')
  else if (perfusion === S.YELLOW_PERFUSION) flags.push('questionable')
  return flags
}

export interface NoninPacketInput {
  /** Absent: sent as 127, "no value". */
  spo2?: number
  /** Absent: sent as 511. */
  pulseRate?: number
  /** Status bits besides bit 7 and SYNC, the same in every frame (NONIN_STATUS). Default green perfusion. */
  status?: number
  /** 25 plethysmogram samples, 0–255. Default flat. */
  pleth?: ArrayLike<number>
  /** Firmware revision byte. */
  revision?: number
}

/** One packet: 25 frames, 125 bytes, as the module writes it. */
export function encodeNoninPacket(p: NoninPacketInput): Uint8Array {
  const hr = p.pulseRate === undefined ? NONIN_NO_HR : Math.min(NONIN_NO_HR, Math.max(0, Math.round(p.pulseRate)))
  const spo2 = p.spo2 === undefined ? NONIN_NO_SPO2 : Math.min(NONIN_NO_SPO2, Math.max(0, Math.round(p.spo2)))
  const data = new Uint8Array(NONIN_FRAMES_PER_PACKET)
  const hr2 = (msb: number, lsb: number) => {
    data[msb] = (hr >> 7) & 0x03
    data[lsb] = hr & 0x7f
  }
  hr2(NONIN_DATA_FRAME.HR_MSB, NONIN_DATA_FRAME.HR_LSB)
  hr2(NONIN_DATA_FRAME.E_HR_MSB, NONIN_DATA_FRAME.E_HR_LSB)
  hr2(NONIN_DATA_FRAME.HR_D_MSB, NONIN_DATA_FRAME.HR_D_LSB)
  hr2(NONIN_DATA_FRAME.E_HR_D_MSB, NONIN_DATA_FRAME.E_HR_D_LSB)
  for (const i of [NONIN_DATA_FRAME.SPO2, NONIN_DATA_FRAME.SPO2_D, NONIN_DATA_FRAME.SPO2_FAST, NONIN_DATA_FRAME.SPO2_BB, NONIN_DATA_FRAME.E_SPO2, NONIN_DATA_FRAME.E_SPO2_D]) data[i] = spo2
  data[NONIN_DATA_FRAME.SREV] = (p.revision ?? 0x2a) & 0x7f
  const status = S.ALWAYS_SET | ((p.status ?? S.GREEN_PERFUSION) & 0x7e)
  const out = new Uint8Array(NONIN_PACKET_BYTES)
  for (let f = 0; f < NONIN_FRAMES_PER_PACKET; f++) {
    const o = f * NONIN_FRAME_BYTES
    const st = f === 0 ? status | S.SYNC : status
    const pleth = Math.min(255, Math.max(0, Math.round(p.pleth?.[f] ?? 128)))
    out[o] = NONIN_FRAME_START
    out[o + 1] = st
    out[o + 2] = pleth
    out[o + 3] = data[f]!
    out[o + 4] = noninChecksum(NONIN_FRAME_START, st, pleth, data[f]!)
  }
  return out
}
